//! Copies of a learner's Moodle files into storage: the keys asked for are looked up in a
//! fresh listing of that learner in that course (nothing else can be fetched), each file
//! streams Moodle → storage on its own (one failing does not fail or half-write another),
//! and a Moodle file already stored in this context, unchanged, is not stored again.

use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::moodle::{self, MoodleFile};
use super::{Access, FileError, FileManager, MoodleOrigin, StoredFile, store};
use crate::audit::{Actor, now_ms};
use crate::storage::StorageKey;

/// The most files one copy request names.
const MAX_FILES: usize = 200;

/// `POST /copy_moodle_files`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyRequest {
    /// The learner.
    pub user_id: i64,
    /// The course (a launch's own by default).
    #[serde(default)]
    pub course_id: Option<i64>,
    /// Keys from `GET /get_user_files`.
    pub files: Vec<String>,
}

/// What happened to one file asked for.
#[derive(Debug)]
pub struct CopyResult {
    /// The key asked for.
    pub file: String,
    /// The stored file (new, or the earlier copy found instead) and whether it was an earlier
    /// copy; or why it is not stored.
    pub outcome: Result<(StoredFile, bool), FileError>,
}

impl FileManager {
    /// Copies learner files; one outcome per key, in the order asked.
    ///
    /// # Errors
    /// For the request as a whole: [`Access::course`]'s errors, [`FileError::NotEnrolled`],
    /// [`FileError::NotALearner`],
    /// [`FileError::Invalid`] (no or too many keys), Moodle failing to list.
    pub async fn copy(
        &self,
        access: &Access,
        actor: &Actor,
        request: CopyRequest,
    ) -> Result<Vec<CopyResult>, FileError> {
        if request.files.is_empty() || request.files.len() > MAX_FILES {
            return Err(FileError::Invalid {
                field: "files".to_owned(),
                reason: format!("must name 1 to {MAX_FILES} files"),
            });
        }
        let course = access.course(request.course_id)?;
        let client = self.moodle(access).await?;
        moodle::learner(&client, course, request.user_id).await?;
        let listing = moodle::listing(&client, course, request.user_id).await?;
        let mut outcomes = Vec::with_capacity(request.files.len());
        for key in &request.files {
            let outcome = match listing.files.iter().find(|f| &f.key == key) {
                None => Err(FileError::NotFound { id: key.clone() }),
                Some(file) => {
                    self.copy_one(access, actor, &client, course, request.user_id, file)
                        .await
                }
            };
            outcomes.push(CopyResult {
                file: key.clone(),
                outcome,
            });
        }
        Ok(outcomes)
    }

    async fn copy_one(
        &self,
        access: &Access,
        actor: &Actor,
        client: &moodle_ws::Client,
        course: i64,
        user: i64,
        file: &MoodleFile,
    ) -> Result<(StoredFile, bool), FileError> {
        let (platform, context_id, course_id) = access.filing(Some(course));
        if let Some(earlier) = store::find_copy(
            &self.db,
            &platform,
            &context_id,
            &file.moodle_ref,
            file.modified,
        )
        .await?
        {
            return Ok((earlier, true));
        }
        let ids = |id: Option<&str>| json!({"file_id": id, "moodle_ref": file.moodle_ref, "user_id": user, "course_id": course});
        if u64::try_from(file.size).unwrap_or(0) > self.max_file_bytes {
            let e = FileError::TooLarge {
                limit: self.max_file_bytes,
            };
            self.audited(actor, None, ids(None), Some(&e)).await;
            return Err(e);
        }
        let key = StorageKey::new("files");
        let stored = async {
            let download = moodle::open(client, course, &file.origin).await?;
            let body = exactly(
                Box::pin(download.into_stream()),
                u64::try_from(file.size).ok(),
            );
            Ok::<_, FileError>(
                self.storage
                    .put_stream(&key, Box::pin(body), self.max_file_bytes)
                    .await?,
            )
        }
        .await;
        let stored = match stored {
            Ok(stored) => stored,
            Err(e) => {
                self.audited(actor, None, ids(None), Some(&e)).await;
                return Err(e);
            }
        };
        let row = StoredFile {
            id: uuid::Uuid::new_v4().simple().to_string(),
            name: super::names::sanitize(&file.name),
            size: i64::try_from(stored.size).unwrap_or(i64::MAX),
            sha256: stored.sha256,
            content_type: super::names::content_type(Some(&file.mimetype), &file.name),
            storage_key: key.as_str().to_owned(),
            platform: platform.clone(),
            context_id: context_id.clone(),
            course_id,
            moodle: Some(MoodleOrigin {
                source: file.source.to_owned(),
                moodle_ref: file.moodle_ref.clone(),
                user_id: user,
                modified: file.modified,
                location: file.location.clone(),
            }),
            stored_by: access.stored_by(actor),
            created_at_ms: now_ms(),
        };
        match store::insert(&self.db, &row).await {
            Ok(true) => {
                self.audited(actor, None, ids(Some(&row.id)), None).await;
                Ok((row, false))
            }
            Ok(false) => {
                // Another copy of the same file won the race: keep that one only.
                self.forget(&key).await;
                store::find_copy(
                    &self.db,
                    &platform,
                    &context_id,
                    &file.moodle_ref,
                    file.modified,
                )
                .await?
                .map(|earlier| (earlier, true))
                .ok_or(FileError::NotFound {
                    id: file.key.clone(),
                })
            }
            Err(e) => {
                self.forget(&key).await;
                Err(e.into())
            }
        }
    }
}

/// Passes `body` on, and ends it with an error when it brought other than the `expected`
/// bytes Moodle listed for the file: a body cut short (a proxy, a PHP error, a truncated
/// answer with a matching `Content-Length`) is then never stored.
fn exactly<E: std::fmt::Display>(
    body: impl futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    expected: Option<u64>,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, String>> {
    use futures_util::StreamExt as _;
    futures_util::stream::unfold(
        (body, 0u64, false),
        move |(mut body, seen, done)| async move {
            if done {
                return None;
            }
            match body.next().await {
                Some(Ok(chunk)) => {
                    let seen = seen + chunk.len() as u64;
                    Some((Ok(chunk), (body, seen, false)))
                }
                Some(Err(e)) => Some((Err(e.to_string()), (body, seen, true))),
                None => match expected {
                    Some(size) if size != seen => Some((
                        Err(format!("Moodle sent {seen} bytes of a {size}-byte file")),
                        (body, seen, true),
                    )),
                    _ => None,
                },
            }
        },
    )
}
