//! The SQL of `lms_enrolments`: the users a push enrolled in a Moodle course, so a repeated
//! push does not ask Moodle again.

use std::collections::HashSet;

use sqlx::Row as _;

use crate::db::Db;

/// The (login, role) pairs already enrolled in a Moodle course.
pub async fn done(
    db: &Db,
    site: &str,
    moodle_course_id: i64,
) -> Result<HashSet<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT login, role_id FROM lms_enrolments WHERE site = $1 AND moodle_course_id = $2",
    )
    .bind(site)
    .bind(moodle_course_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("login")?, r.try_get("role_id")?)))
        .collect()
}

/// One enrolment made.
#[derive(Debug, Clone)]
pub struct Enrolled {
    /// `email:…` or `username:…`.
    pub login: String,
    /// The Moodle role.
    pub role_id: i64,
    /// The Moodle user.
    pub moodle_user_id: i64,
}

/// Records enrolments made.
pub async fn save(
    db: &Db,
    course_id: i64,
    site: &str,
    moodle_course_id: i64,
    enrolled: &[Enrolled],
    now: i64,
) -> Result<(), sqlx::Error> {
    for e in enrolled {
        sqlx::query(
            "INSERT INTO lms_enrolments (course_id, site, moodle_course_id, login, role_id, moodle_user_id, \
             enrolled_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (site, moodle_course_id, login, role_id) DO NOTHING",
        )
        .bind(course_id)
        .bind(site)
        .bind(moodle_course_id)
        .bind(&e.login)
        .bind(e.role_id)
        .bind(e.moodle_user_id)
        .bind(now)
        .execute(db.pool())
        .await?;
    }
    Ok(())
}
