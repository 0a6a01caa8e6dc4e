//! Enrolments with a push (`enrol: [{email | username, role}]`, the publisher-sync
//! contract's `core_enrol_manual_enrol_users`): role names become Moodle roles
//! (`LMS_ENROL_ROLES`, `student=5,teacher=3`), and only roles the bridge may give at all
//! (`GATEWAY_ENROL_ROLE_IDS`, the gateway's allow-list) pass; the users are found with
//! `core_user_get_users_by_field` and enrolled with `enrol_manual_enrol_users` (Moodle keeps
//! one enrolment per user and course: enrolling again changes nothing), with the user's own
//! token, so Moodle's own rules on who may give which role apply. What a push enrolled is
//! remembered per Moodle course: a repeated push does not ask Moodle again.

use std::collections::HashMap;

use moodle_ws::functions::enrol::{ENROL_USERS, Enrolment};
use moodle_ws::functions::user::UserField;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::steps::Steps;
use super::store::enrolments::{self, Enrolled};
use super::{FailureClass, PublishError, Publisher};
use crate::audit::now_ms;

/// Most users one push enrols.
const MAX_ENROL: usize = 500;
/// Values per `core_user_get_users_by_field` call.
const LOOKUP_CHUNK: usize = 100;

/// One user to enrol, as a request names them.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// The user's email address (or give `username`).
    #[serde(default)]
    pub email: Option<String>,
    /// The user's Moodle username (or give `email`).
    #[serde(default)]
    pub username: Option<String>,
    /// `student` or `teacher` (the names of `LMS_ENROL_ROLES`).
    pub role: String,
}

/// A user to enrol, checked (kept in the push's job).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolee {
    /// `email` or `username`.
    pub by: String,
    /// The address or the username.
    pub value: String,
    /// The role's name.
    pub role: String,
    /// Its Moodle role id.
    pub role_id: i64,
}

impl Enrolee {
    fn login(&self) -> String {
        format!("{}:{}", self.by, self.value)
    }
}

/// What became of one user of `enrol`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnrolResult {
    /// The address, when the user was named by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The username, when the user was named by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The role's name.
    pub role: String,
    /// `enrolled`, `already_enrolled` (by an earlier push: Moodle is not asked again),
    /// `not_found` (no such Moodle user) or `failed`.
    pub status: String,
    /// The Moodle user, once found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moodle_user_id: Option<i64>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl EnrolResult {
    fn of(e: &Enrolee, status: &str, user: Option<i64>) -> EnrolResult {
        EnrolResult {
            email: (e.by == "email").then(|| e.value.clone()),
            username: (e.by == "username").then(|| e.value.clone()),
            role: e.role.clone(),
            status: status.to_owned(),
            moodle_user_id: user,
            error: None,
        }
    }
}

impl Publisher {
    /// Checks `enrol`: each user named once by `email` or `username`, a role of
    /// `LMS_ENROL_ROLES` the bridge may give.
    ///
    /// # Errors
    /// [`PublishError::Invalid`] (422) naming the entry; [`PublishError::RoleForbidden`]
    /// (403) for a role `GATEWAY_ENROL_ROLE_IDS` does not allow.
    pub(super) fn check_enrol(
        &self,
        requests: &[EnrolRequest],
    ) -> Result<Vec<Enrolee>, PublishError> {
        if requests.len() > MAX_ENROL {
            return Err(invalid(
                "enrol",
                format!("at most {MAX_ENROL} users per push"),
            ));
        }
        let mut out: Vec<Enrolee> = Vec::with_capacity(requests.len());
        for (i, r) in requests.iter().enumerate() {
            let (by, value) = match (r.email.as_deref(), r.username.as_deref()) {
                (Some(e), None) if e.contains('@') && e.trim().len() <= 100 => ("email", e.trim()),
                (None, Some(u)) if !u.trim().is_empty() && u.trim().len() <= 100 => {
                    ("username", u.trim())
                }
                _ => {
                    return Err(invalid(
                        &format!("enrol[{i}]"),
                        "name the user by email (an address) or username, not both".to_owned(),
                    ));
                }
            };
            let role = r.role.trim().to_ascii_lowercase();
            let Some((_, role_id)) = self.inner.enrol_roles.iter().find(|(n, _)| *n == role) else {
                let known: Vec<&str> = self
                    .inner
                    .enrol_roles
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect();
                return Err(invalid(
                    &format!("enrol[{i}].role"),
                    format!("unknown role {:?}; known: {}", r.role, known.join(", ")),
                ));
            };
            if !self.inner.enrol_allowed.contains(role_id) {
                return Err(PublishError::RoleForbidden {
                    field: format!("enrol[{i}].role"),
                    role,
                    role_id: *role_id,
                    allowed: self.inner.enrol_allowed.clone(),
                });
            }
            let e = Enrolee {
                by: by.to_owned(),
                value: value.to_owned(),
                role,
                role_id: *role_id,
            };
            if !out.contains(&e) {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// Enrols the users in the Moodle course; answers each one's result and, when Moodle
    /// refused some, the first refusal's class and reason.
    pub(super) async fn enrol(
        &self,
        steps: &Steps<'_>,
        moodle_id: i64,
        enrolees: &[Enrolee],
    ) -> Result<(Vec<EnrolResult>, Option<(String, FailureClass)>), PublishError> {
        let db = &self.inner.db;
        let done = enrolments::done(db, steps.site, moodle_id).await?;
        let mut results: Vec<Option<EnrolResult>> = vec![None; enrolees.len()];
        let mut todo: Vec<usize> = Vec::new();
        for (i, e) in enrolees.iter().enumerate() {
            if done.contains(&(e.login(), e.role_id)) {
                results[i] = Some(EnrolResult::of(e, "already_enrolled", None));
            } else {
                todo.push(i);
            }
        }
        let users = self.find_users(steps, enrolees, &todo).await?;
        let mut enrol: Vec<(usize, i64)> = Vec::new();
        for i in todo {
            match users.get(&enrolees[i].login()) {
                Some(id) => enrol.push((i, *id)),
                None => {
                    let mut r = EnrolResult::of(&enrolees[i], "not_found", None);
                    r.error = Some(format!("no Moodle user has this {}", enrolees[i].by));
                    results[i] = Some(r);
                }
            }
        }
        let mut first_failure = None;
        let mut made = Vec::new();
        // One call for all; when Moodle refuses it (it enrols all or none), one call each
        // to say which it refuses.
        let all = self.enrol_call(steps, moodle_id, enrolees, &enrol).await;
        let outcomes: Vec<(usize, i64, Result<(), moodle_ws::Error>)> = match all {
            Ok(()) => enrol.iter().map(|(i, u)| (*i, *u, Ok(()))).collect(),
            Err(e) if crate::lms::is_unreachable(&e) => {
                return Err(PublishError::moodle("enrolling the users", e));
            }
            Err(_) if enrol.len() > 1 => {
                let mut each = Vec::new();
                for (i, u) in &enrol {
                    let one = self
                        .enrol_call(steps, moodle_id, enrolees, &[(*i, *u)])
                        .await;
                    each.push((*i, *u, one));
                }
                each
            }
            Err(e) => enrol
                .first()
                .map(|(i, u)| (*i, *u, Err(e)))
                .into_iter()
                .collect(),
        };
        for (i, user, outcome) in outcomes {
            let e = &enrolees[i];
            let mut r = EnrolResult::of(e, "enrolled", Some(user));
            match outcome {
                Ok(()) => made.push(Enrolled {
                    login: e.login(),
                    role_id: e.role_id,
                    moodle_user_id: user,
                }),
                Err(err) => {
                    let error = PublishError::moodle(format!("enrolling {}", e.value), err);
                    if error.is_unreachable() || matches!(error, PublishError::Lms(_)) {
                        return Err(error);
                    }
                    let reason = error
                        .detail()
                        .trim_start_matches("LMS export failed: ")
                        .to_owned();
                    first_failure.get_or_insert((reason.clone(), error.class()));
                    r.status = "failed".to_owned();
                    r.error = Some(reason);
                }
            }
            results[i] = Some(r);
        }
        enrolments::save(db, steps.course_id, steps.site, moodle_id, &made, now_ms()).await?;
        Ok((results.into_iter().flatten().collect(), first_failure))
    }

    /// The Moodle ids of the users named, by login (`email:…`, `username:…`).
    async fn find_users(
        &self,
        steps: &Steps<'_>,
        enrolees: &[Enrolee],
        todo: &[usize],
    ) -> Result<HashMap<String, i64>, PublishError> {
        let mut found = HashMap::new();
        for (by, field) in [
            ("email", UserField::Email),
            ("username", UserField::Username),
        ] {
            let values: Vec<&str> = todo
                .iter()
                .map(|i| &enrolees[*i])
                .filter(|e| e.by == by)
                .map(|e| e.value.as_str())
                .collect();
            for chunk in values.chunks(LOOKUP_CHUNK) {
                let users = steps
                    .client
                    .get_users_by_field(field, chunk)
                    .await
                    .map_err(|e| PublishError::moodle("finding the users to enrol", e))?;
                for u in users {
                    let key = match by {
                        "email" => u.email.clone().unwrap_or_default(),
                        _ => u.username.clone().unwrap_or_default(),
                    };
                    // Moodle compares both case-insensitively where its database does.
                    if let Some(asked) = chunk.iter().find(|v| v.eq_ignore_ascii_case(&key)) {
                        found.insert(format!("{by}:{asked}"), u.id);
                    }
                }
            }
        }
        Ok(found)
    }

    async fn enrol_call(
        &self,
        steps: &Steps<'_>,
        moodle_id: i64,
        enrolees: &[Enrolee],
        users: &[(usize, i64)],
    ) -> Result<(), moodle_ws::Error> {
        if users.is_empty() {
            return Ok(());
        }
        let list: Vec<Enrolment> = users
            .iter()
            .map(|(i, u)| Enrolment::new(enrolees[*i].role_id, *u, moodle_id))
            .collect();
        let ids = json!({
            "course_id": steps.course_id,
            "moodle_course_id": moodle_id,
            "users": users.iter().map(|(_, u)| *u).collect::<Vec<_>>(),
        });
        // Enrolling again is harmless (Moodle keeps one enrolment): nothing to look up.
        steps
            .write(
                ENROL_USERS.name(),
                &ids,
                || async { steps.client.enrol_users(&list).await.map(Some) },
                || async { Ok(None) },
            )
            .await
            .map(drop)
    }
}

fn invalid(field: &str, reason: String) -> PublishError {
    PublishError::Invalid {
        field: field.to_owned(),
        reason,
    }
}
