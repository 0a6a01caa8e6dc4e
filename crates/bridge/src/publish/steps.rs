//! The idempotent steps of a push, each in Moodle with the user's own token: the category
//! path, the course, and one activity per asset. Every object carries an ID number derived
//! from the local id, and every step first looks for what it would make, so a push that was
//! cut off (a timeout, `kill -9`) and is run again finds the earlier attempt's work instead of
//! making it twice.
//!
//! Writes go through [`Steps::write`]: audited, and repeated after a transport error (up to
//! `LMS_RETRY_ATTEMPTS`, with exponential backoff) only once a look-up by ID number has shown
//! that the earlier attempt did not take effect. Moodle's reads are repeated by `moodle_ws`.

use std::future::Future;
use std::time::Duration;

use moodle_ws::functions::category::{CategoryCriterion, NewCategory};
use moodle_ws::functions::course::{CourseField, CourseSettings, CourseUpdate, NewCourse};
use moodle_ws::{Client, ItemWarnings as _};
use serde_json::{Value, json};

use super::PublishError;
use super::ids::Idnumbers;
use super::plan::Target;
use super::store;
use crate::audit::{Actor, AuditLog, Event, now_ms};
use crate::courses::Courses;
use crate::db::Db;

/// Moodle's default category (made at install, id 1), for courses without a category path.
pub const DEFAULT_CATEGORY: i64 = 1;
/// How many short names are tried (`X`, `X-2`, … `X-20`) before giving up.
const SHORTNAME_TRIES: u32 = 20;

/// Repeats of writes after transport errors.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts in all (`LMS_RETRY_ATTEMPTS`).
    pub attempts: u32,
    /// The first backoff; each next one doubles.
    pub base: Duration,
}

impl Retry {
    fn backoff(self, retry: u32) -> Duration {
        self.base
            .saturating_mul(2u32.saturating_pow(retry.min(10)))
            .min(Duration::from_secs(10))
    }
}

/// What the steps share.
pub struct Steps<'a> {
    /// The user's client.
    pub client: &'a Client,
    /// Who acts, for the audit log.
    pub actor: &'a Actor,
    /// The audit log.
    pub audit: &'a AuditLog,
    /// Write repeats.
    pub retry: Retry,
    /// ID numbers.
    pub ids: &'a Idnumbers,
    /// The database (mapping and the categories known).
    pub db: &'a Db,
    /// The site's name.
    pub site: &'a str,
    /// The local course pushed (for the audit log's object ids).
    pub course_id: i64,
    /// The course store (file assets' bytes).
    pub courses: &'a Courses,
}

/// Whether a failed call may have reached Moodle and taken effect: no answer came back.
pub fn is_uncertain(e: &moodle_ws::Error) -> bool {
    use moodle_ws::Error as E;
    match e {
        E::Timeout(_) | E::Interrupted { .. } | E::Connect { .. } | E::RateLimited { .. } => true,
        E::Status { status, .. } => *status >= 500 || *status == 429,
        _ => false,
    }
}

impl Steps<'_> {
    /// Runs a write, audited; after an uncertain failure, waits, asks `took_effect` and
    /// either returns what it found or tries again.
    pub async fn write<T, W, WFut, C, CFut>(
        &self,
        function: &str,
        ids: &Value,
        mut attempt: W,
        mut took_effect: C,
    ) -> Result<T, moodle_ws::Error>
    where
        W: FnMut() -> WFut,
        WFut: Future<Output = Result<T, moodle_ws::Error>>,
        C: FnMut() -> CFut,
        CFut: Future<Output = Result<Option<T>, moodle_ws::Error>>,
    {
        let mut tries = 0;
        loop {
            tries += 1;
            let result = attempt().await;
            self.audited(function, ids, result.as_ref().err()).await;
            match result {
                Err(e) if is_uncertain(&e) && tries < self.retry.attempts => {
                    tracing::info!(function, attempt = tries, error = %e, "moodle write unanswered; checking whether it took effect");
                    tokio::time::sleep(self.retry.backoff(tries - 1)).await;
                    if let Some(found) = took_effect().await? {
                        return Ok(found);
                    }
                }
                other => return other,
            }
        }
    }

    async fn audited(&self, function: &str, ids: &Value, error: Option<&moodle_ws::Error>) {
        let outcome = match error {
            None => "ok",
            Some(e) => e.code().unwrap_or(e.kind().as_str()),
        };
        self.audit
            .record(
                self.actor,
                Event {
                    function: Some(function),
                    object_ids: ids.clone(),
                    outcome,
                },
            )
            .await;
    }

    /// The category of a path: each prefix found by name under its parent (preferring one
    /// with the bridge's ID number) or made; prefixes already known locally are not asked for.
    pub async fn category_path(&self, path: &str) -> Result<i64, PublishError> {
        let mut parent = 0;
        let mut prefix = String::new();
        for name in path.split('/').filter(|s| !s.is_empty()) {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(name);
            if let Some(id) = store::category(self.db, self.site, &prefix).await? {
                parent = id;
                continue;
            }
            let idnumber = self.ids.category(&prefix);
            let found = self
                .find_category(name, parent, &idnumber)
                .await
                .map_err(|e| PublishError::moodle(format!("finding the category {prefix:?}"), e))?;
            let id = match found {
                Some(id) => id,
                None => self
                    .create_category(name, parent, &idnumber)
                    .await
                    .map_err(|e| {
                        PublishError::moodle(format!("creating the category {prefix:?}"), e)
                    })?,
            };
            store::save_category(self.db, self.site, &prefix, id, now_ms()).await?;
            parent = id;
        }
        Ok(if parent == 0 {
            DEFAULT_CATEGORY
        } else {
            parent
        })
    }

    async fn find_category(
        &self,
        name: &str,
        parent: i64,
        idnumber: &str,
    ) -> Result<Option<i64>, moodle_ws::Error> {
        let found = self
            .client
            .get_categories(
                &[
                    CategoryCriterion::Name(name.to_owned()),
                    CategoryCriterion::Parent(parent),
                ],
                false,
            )
            .await?;
        let ours = found
            .iter()
            .find(|c| c.idnumber.as_deref() == Some(idnumber));
        Ok(ours
            .or_else(|| found.iter().min_by_key(|c| c.id))
            .map(|c| c.id))
    }

    async fn create_category(
        &self,
        name: &str,
        parent: i64,
        idnumber: &str,
    ) -> Result<i64, moodle_ws::Error> {
        let new = [NewCategory {
            parent: Some(parent),
            idnumber: Some(idnumber.to_owned()),
            ..NewCategory::new(name)
        }];
        let ids = json!({"name": name, "parent": parent, "idnumber": idnumber});
        let made = self
            .write(
                moodle_ws::functions::category::CREATE_CATEGORIES.name(),
                &ids,
                || async {
                    self.client
                        .create_categories(&new)
                        .await
                        .map(|c| c.first().map(|c| c.id))
                },
                || async {
                    self.find_category(name, parent, idnumber)
                        .await
                        .map(|f| f.map(Some))
                },
            )
            .await;
        match made {
            Ok(Some(id)) => Ok(id),
            // Made by a push running beside this one.
            Err(e) if e.moodle_errorcode() == Some("categoryidnumbertaken") => {
                self.find_category(name, parent, idnumber).await?.ok_or(e)
            }
            Ok(None) => Err(unexpected(
                "core_course_create_categories answered no category",
            )),
            Err(e) => Err(e),
        }
    }

    /// The Moodle course with the course's ID number, if the user can see it.
    pub async fn find_course(
        &self,
        idnumber: &str,
    ) -> Result<Option<(i64, String)>, moodle_ws::Error> {
        let found = self
            .client
            .get_courses_by_field(&CourseField::Idnumber(idnumber.to_owned()))
            .await?;
        Ok(found
            .courses
            .into_iter()
            .min_by_key(|c| c.id)
            .map(|c| (c.id, c.shortname)))
    }

    /// Whether a Moodle course exists for the user.
    pub async fn course_exists(&self, id: i64) -> Result<bool, moodle_ws::Error> {
        let found = self
            .client
            .get_courses_by_field(&CourseField::Id(id))
            .await?;
        Ok(found.courses.iter().any(|c| c.id == id))
    }

    /// Makes the course, trying `X`, `X-2`, … while the short name is taken; answers its id
    /// and the short name Moodle took.
    pub async fn create_course(
        &self,
        course: &Target,
        categoryid: i64,
        visible: bool,
    ) -> Result<(i64, String), moodle_ws::Error> {
        let idnumber = self.ids.course(course.id);
        let base: String = course.shortname.chars().take(240).collect();
        let mut last = None;
        for n in 1..=SHORTNAME_TRIES {
            let shortname = if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            };
            let new = [NewCourse {
                settings: CourseSettings {
                    idnumber: Some(idnumber.clone()),
                    summary: Some(course.description.clone()),
                    summaryformat: Some(1),
                    visible: Some(visible),
                    ..CourseSettings::default()
                },
                ..NewCourse::new(course.name.clone(), shortname.clone(), categoryid)
            }];
            let ids = json!({"course_id": course.id, "idnumber": idnumber, "shortname": shortname, "categoryid": categoryid});
            let made = self
                .write(
                    moodle_ws::functions::course::CREATE_COURSES.name(),
                    &ids,
                    || async {
                        self.client
                            .create_courses(&new)
                            .await
                            .map(|c| c.first().map(|c| (c.id, c.shortname.clone())))
                    },
                    || async { self.find_course(&idnumber).await.map(|f| f.map(Some)) },
                )
                .await;
            match made {
                Ok(Some(made)) => return Ok(made),
                Ok(None) => {
                    return Err(unexpected("core_course_create_courses answered no course"));
                }
                Err(e) if e.moodle_errorcode() == Some("shortnametaken") => last = Some(e),
                // Made by a push running beside this one (Moodle's course code, or its older
                // general `idnumbertaken`).
                Err(e)
                    if matches!(
                        e.moodle_errorcode(),
                        Some("courseidnumbertaken" | "idnumbertaken")
                    ) =>
                {
                    return self.find_course(&idnumber).await?.ok_or(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| unexpected("no short name was free")))
    }

    /// Sets the course's name, summary, visibility and (for the bridge's own courses) category.
    pub async fn update_course(
        &self,
        id: i64,
        course: &Target,
        visible: bool,
        categoryid: Option<i64>,
    ) -> Result<(), moodle_ws::Error> {
        let update = [CourseUpdate {
            fullname: Some(course.name.clone()),
            categoryid,
            settings: CourseSettings {
                summary: Some(course.description.clone()),
                summaryformat: Some(1),
                visible: Some(visible),
                ..CourseSettings::default()
            },
            ..CourseUpdate::new(id)
        }];
        let ids = json!({"course_id": course.id, "moodle_course_id": id});
        // Setting values twice is harmless: nothing to look up before repeating.
        self.write(
            moodle_ws::functions::course::UPDATE_COURSES.name(),
            &ids,
            || async {
                self.client
                    .update_courses(&update)
                    .await?
                    .fail_on_warnings()
                    .map(drop)
            },
            || async { Ok(None) },
        )
        .await
    }
}

/// An answer of the wrong shape.
pub fn unexpected(what: &str) -> moodle_ws::Error {
    moodle_ws::Error::Decode {
        reason: moodle_ws::DecodeReason::UnexpectedShape,
        snippet: what.to_owned(),
    }
}
