//! `POST /copy_moodle_files`: the file manager copies a learner's Moodle files into storage and
//! answers one result per file asked for — the stored file, or why not in the file manager's
//! error words (`http/error/file_manager.rs`), so one failing file never fails the others.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::{FileActor, FileCaller};
use crate::file_manager::{CopyRequest, CopyResult, StoredFile};
use crate::http::error::{FileManagerFailure, FileProblem, file_error_parts};
use crate::http::extract::AppJson;
use crate::state::AppState;

/// The answer of a copy.
#[derive(Debug, Serialize, ToSchema)]
pub struct CopyReply {
    /// One result per file asked for, in order.
    pub results: Vec<CopyOutcome>,
}

/// What happened to one file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CopyOutcome {
    /// The key asked for.
    pub file: String,
    /// Whether it is stored now.
    pub ok: bool,
    /// The stored file (new, or the earlier copy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<StoredSummary>,
    /// Whether an earlier copy was found instead of storing again.
    pub duplicate: bool,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<OutcomeError>,
}

/// A stored file's id, name, size and hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoredSummary {
    /// Stored id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256.
    pub sha256: String,
}

/// A per-file failure.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomeError {
    /// Stable code.
    pub code: String,
    /// For people.
    pub message: String,
}

impl From<&StoredFile> for StoredSummary {
    fn from(f: &StoredFile) -> Self {
        StoredSummary {
            id: f.id.clone(),
            name: f.name.clone(),
            size: f.size,
            sha256: f.sha256.clone(),
        }
    }
}

impl From<CopyResult> for CopyOutcome {
    fn from(r: CopyResult) -> Self {
        match r.outcome {
            Ok((stored, duplicate)) => CopyOutcome {
                file: r.file,
                ok: true,
                stored: Some(StoredSummary::from(&stored)),
                duplicate,
                error: None,
            },
            Err(e) => {
                let (_, code, message) = file_error_parts(&e);
                CopyOutcome {
                    file: r.file,
                    ok: false,
                    stored: None,
                    duplicate: false,
                    error: Some(OutcomeError { code, message }),
                }
            }
        }
    }
}

/// Copies a learner's Moodle files into the bridge's storage.
#[utoipa::path(post, path = "/copy_moodle_files", tag = "file manager", request_body = CopyRequest,
    security(("launch" = []), ("bearer" = ["moodle:write"])),
    responses((status = 200, description = "A result per file: stored id, size, SHA-256, or why not", body = CopyReply),
        (status = "4XX", description = "Refused", body = FileProblem)))]
pub async fn copy_moodle_files(
    State(app): State<AppState>,
    caller: FileCaller,
    FileActor(actor): FileActor,
    AppJson(request): AppJson<CopyRequest>,
) -> Result<Json<CopyReply>, FileManagerFailure> {
    let results = app
        .file_manager
        .copy(&caller.access(), &actor, request)
        .await?;
    Ok(Json(CopyReply {
        results: results.into_iter().map(CopyOutcome::from).collect(),
    }))
}
