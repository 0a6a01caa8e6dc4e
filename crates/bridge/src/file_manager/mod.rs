//! The file manager (`docs/contracts/file-manager.md`) as plain Rust: a course's learners and
//! their Moodle files,
//! copies from Moodle into the bridge's storage, uploads, and the stored files' list,
//! download and deletion. Every operation takes the caller's [`Access`]: a launch sees only
//! its platform's Moodle and its own course, and only the files stored from its context; an
//! API token reads the bridge's own Moodle and sees the files it stored itself (every stored
//! file with the `files:admin` scope).
//!
//! Bytes stream in constant memory with their SHA-256 counted on the way (`storage.rs`); an
//! interrupted transfer keeps nothing; metadata is in `stored_files` (`store.rs`). Every
//! write is audited. The HTTP layer (`http/file_manager.rs`) only reads requests and writes answers.

mod copy;
mod error;
pub mod moodle;
pub mod names;
mod sites;
mod store;
mod transfer;

use serde::Serialize;
use utoipa::ToSchema;

pub use copy::{CopyRequest, CopyResult};
pub use error::FileError;
pub use moodle::{MoodleFile, Participant, PrivateFiles};
pub use sites::Sites;
pub use transfer::{FileStream, Page, Upload};

use crate::audit::{Actor, AuditLog, Event};
use crate::db::Db;
use crate::storage::Storage;

/// Who is asking, and what they may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// A launch: its platform's Moodle, its course, its context's files.
    Launch {
        /// The registration the launch came from.
        platform: String,
        /// The LTI context id.
        context_id: String,
        /// The Moodle course of the context.
        course_id: Option<i64>,
    },
    /// An API token: the bridge's own Moodle, any course; its own stored files, or every
    /// stored file with `files:admin`.
    Api {
        /// Who owns what it stores: the token's source and subject (`bridge:alice`).
        owner: String,
        /// Whether it holds `files:admin`.
        admin: bool,
    },
}

/// Which stored files a caller sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// All of them (API tokens with `files:admin`).
    Everything,
    /// Those filed under one platform key, whatever the context (an API token's own).
    Platform {
        /// The key (`api:<owner>`).
        platform: String,
    },
    /// Those stored from one context.
    Context {
        /// The registration.
        platform: String,
        /// The context.
        context_id: String,
    },
}

impl Access {
    /// The stored files this caller sees.
    pub fn scope(&self) -> Scope {
        match self {
            Access::Launch {
                platform,
                context_id,
                ..
            } => Scope::Context {
                platform: platform.clone(),
                context_id: context_id.clone(),
            },
            Access::Api { admin: true, .. } => Scope::Everything,
            Access::Api { owner, .. } => Scope::Platform {
                platform: api_platform(owner),
            },
        }
    }

    /// The course a request is about: a launch's own (another is refused), an API caller's
    /// given one.
    ///
    /// # Errors
    /// [`FileError::OtherCourse`], [`FileError::NoCourse`], [`FileError::CourseRequired`].
    pub fn course(&self, asked: Option<i64>) -> Result<i64, FileError> {
        match (self, asked) {
            (
                Access::Launch {
                    course_id: None, ..
                },
                _,
            ) => Err(FileError::NoCourse),
            (
                Access::Launch {
                    course_id: Some(own),
                    ..
                },
                Some(asked),
            ) if asked != *own => Err(FileError::OtherCourse { course: asked }),
            (
                Access::Launch {
                    course_id: Some(own),
                    ..
                },
                _,
            ) => Ok(*own),
            (Access::Api { .. }, Some(asked)) if asked > 0 => Ok(asked),
            (Access::Api { .. }, Some(_)) => Err(FileError::Invalid {
                field: "course_id".to_owned(),
                reason: "must be a course id".to_owned(),
            }),
            (Access::Api { .. }, None) => Err(FileError::CourseRequired),
        }
    }

    /// Where a stored file is filed: the launch's context, or the course an API caller named.
    fn filing(&self, course: Option<i64>) -> (String, String, Option<i64>) {
        match self {
            Access::Launch {
                platform,
                context_id,
                course_id,
            } => (platform.clone(), context_id.clone(), *course_id),
            Access::Api { owner, .. } => (
                api_platform(owner),
                course.map(|c| c.to_string()).unwrap_or_default(),
                course,
            ),
        }
    }
}

/// Where an API caller's files are filed: its own key, so one caller's copies and uploads
/// never meet another's (a copy of the same Moodle file is stored once per caller).
fn api_platform(owner: &str) -> String {
    format!("api:{owner}")
}

impl Access {
    /// Who a stored file is recorded as stored by: the API caller's owner key, or the
    /// launch's user.
    pub fn stored_by(&self, actor: &Actor) -> String {
        match self {
            Access::Api { owner, .. } => owner.clone(),
            Access::Launch { .. } => actor.subject.clone(),
        }
    }
}

/// A file in the bridge's storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Its id.
    pub id: String,
    /// Its (sanitised) name.
    pub name: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Content type.
    pub content_type: String,
    /// Storage key.
    pub storage_key: String,
    /// Registration it was stored from ('' for API callers).
    pub platform: String,
    /// Context it was stored from.
    pub context_id: String,
    /// Moodle course of that context.
    pub course_id: Option<i64>,
    /// For copies: the Moodle file.
    pub moodle: Option<MoodleOrigin>,
    /// Who stored it.
    pub stored_by: String,
    /// When (Unix milliseconds).
    pub created_at_ms: i64,
}

/// The Moodle file a stored copy came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MoodleOrigin {
    /// `submission` or `private`.
    pub source: String,
    /// Its reference in Moodle.
    #[serde(rename = "ref")]
    pub moodle_ref: String,
    /// Its owner.
    pub user_id: i64,
    /// Its time modified in Moodle (Unix seconds).
    pub modified: i64,
    /// Where it is in Moodle.
    pub location: String,
}

/// A learner's files, as `GET /get_user_files/{user_id}` answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserFiles {
    /// The learner.
    pub user: Participant,
    /// The course.
    pub course_id: i64,
    /// Their files; `stored_file_id` is set for those already copied.
    pub files: Vec<ListedFile>,
    /// Whether private files are included, and why not.
    pub private_files: PrivateFiles,
}

/// One listed Moodle file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListedFile {
    /// The file.
    #[serde(flatten)]
    pub file: MoodleFile,
    /// The stored copy of this version, if any.
    pub stored_file_id: Option<String>,
}

/// The file manager.
#[derive(Debug, Clone)]
pub struct FileManager {
    db: Db,
    storage: Storage,
    sites: Sites,
    audit: AuditLog,
    max_file_bytes: u64,
}

impl FileManager {
    /// The file manager over `db` and `storage`, reading Moodle through `sites`, storing
    /// files of at most `max_file_bytes`.
    pub fn new(db: Db, storage: Storage, sites: Sites, max_file_bytes: u64) -> FileManager {
        FileManager {
            audit: AuditLog::new(db.clone()),
            db,
            storage,
            sites,
            max_file_bytes,
        }
    }

    /// The largest file stored.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
    }

    /// The Moodle of a caller.
    async fn moodle(&self, access: &Access) -> Result<moodle_ws::Client, FileError> {
        match access {
            Access::Launch { platform, .. } => self.sites.client(platform).await,
            Access::Api { .. } => Ok(self.sites.default_client().clone()),
        }
    }

    /// The learners of a course (active participants with a student role), by name.
    ///
    /// # Errors
    /// [`Access::course`]'s errors, Moodle's.
    pub async fn learners(
        &self,
        access: &Access,
        course: Option<i64>,
    ) -> Result<Vec<Participant>, FileError> {
        let course = access.course(course)?;
        let client = self.moodle(access).await?;
        let mut all = moodle::participants(&client, course).await?;
        all.retain(Participant::is_learner);
        Ok(all)
    }

    /// A learner's Moodle files in a course.
    ///
    /// # Errors
    /// [`Access::course`]'s errors, [`FileError::NotEnrolled`], [`FileError::NotALearner`],
    /// Moodle's.
    pub async fn user_files(
        &self,
        access: &Access,
        user: i64,
        course: Option<i64>,
    ) -> Result<UserFiles, FileError> {
        let course = access.course(course)?;
        let client = self.moodle(access).await?;
        let participant = moodle::learner(&client, course, user).await?;
        let listing = moodle::listing(&client, course, user).await?;
        let (platform, context, _) = access.filing(Some(course));
        let copies = store::copies_in(&self.db, &platform, &context, user).await?;
        let files = listing
            .files
            .into_iter()
            .map(|file| {
                let stored_file_id = copies
                    .iter()
                    .find(|(r, modified, _)| *r == file.moodle_ref && *modified == file.modified)
                    .map(|(_, _, id)| id.clone());
                ListedFile {
                    file,
                    stored_file_id,
                }
            })
            .collect();
        Ok(UserFiles {
            user: participant,
            course_id: course,
            files,
            private_files: listing.private_files,
        })
    }

    async fn audited(
        &self,
        actor: &Actor,
        function: Option<&str>,
        ids: serde_json::Value,
        error: Option<&FileError>,
    ) {
        let outcome = match error {
            None => "ok".to_owned(),
            Some(e) => e.code(),
        };
        self.audit
            .record(
                actor,
                Event {
                    function,
                    object_ids: ids,
                    outcome: &outcome,
                },
            )
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launch(course: Option<i64>) -> Access {
        Access::Launch {
            platform: "default".to_owned(),
            context_id: "2".to_owned(),
            course_id: course,
        }
    }

    #[test]
    fn a_launch_sees_only_its_course_and_an_api_token_names_one() {
        assert_eq!(launch(Some(2)).course(None).ok(), Some(2));
        assert_eq!(launch(Some(2)).course(Some(2)).ok(), Some(2));
        assert!(matches!(
            launch(Some(2)).course(Some(3)),
            Err(FileError::OtherCourse { course: 3 })
        ));
        assert!(matches!(
            launch(None).course(Some(2)),
            Err(FileError::NoCourse)
        ));
        let api = |admin| Access::Api {
            owner: "bridge:alice".to_owned(),
            admin,
        };
        assert!(matches!(
            api(false).course(None),
            Err(FileError::CourseRequired)
        ));
        assert_eq!(api(false).course(Some(3)).ok(), Some(3));
        assert_eq!(
            launch(Some(2)).scope(),
            Scope::Context {
                platform: "default".to_owned(),
                context_id: "2".to_owned()
            }
        );
        assert_eq!(api(true).scope(), Scope::Everything);
        assert_eq!(
            api(false).scope(),
            Scope::Platform {
                platform: "api:bridge:alice".to_owned()
            }
        );
    }
}
