//! Pushes from an application's own data: `POST /api/lms/publish` takes one course and its
//! assets inline, keyed by the application's own ids (any text up to 100 characters: UUIDs
//! and the like), with the asset schemas of the local store, and pushes them like
//! `push-to-lms` (same job, events, report, idempotency). The bridge keeps only the mapping:
//! a row naming the course and one per asset id (no content), the Moodle ids, the hashes of
//! what was pushed and the sync state; so a repeated publish writes only what changed. With
//! `"complete": true`, the course's assets missing from the call are removed in Moodle as
//! deleted ones are (`LMS_DELETE_MODE`). File assets cannot be sent inline (they are uploads).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::enrol::EnrolRequest;
use super::plan::{Item, Plan, Target};
use super::request::{course_id, yes};
use super::store::removals;
use super::sync::GivenToken;
use super::{ActorArgs, Mode, PublishError, Publisher, PushArgs, Pushed};
use crate::audit::{Actor, now_ms};
use crate::config::DeleteMode;
use crate::courses::{AssetType, Content};
use crate::jobs::Sealed;

/// Most assets one inline publish carries.
const MAX_ASSETS: usize = 2000;
/// Longest application id.
const MAX_ID: usize = 100;

/// `POST /api/lms/publish`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InlinePublish {
    /// The course, as the application keeps it.
    pub course: InlineCourseInput,
    /// Its assets, in the order they are pushed.
    #[serde(default)]
    pub assets: Vec<InlineAsset>,
    /// Whether `assets` is all of the course: the course's assets published before and
    /// missing now are removed in Moodle (`LMS_DELETE_MODE`).
    #[serde(default)]
    pub complete: bool,
    /// Whether students see the course (default yes).
    #[serde(default = "yes")]
    pub publish: bool,
    /// A Moodle course to update instead of the one the bridge makes.
    #[serde(default, deserialize_with = "course_id")]
    #[schema(value_type = Option<String>)]
    pub lms_course_id: Option<i64>,
    /// Users to enrol with the publish.
    #[serde(default)]
    pub enrol: Vec<EnrolRequest>,
}

/// The course of an inline publish.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InlineCourseInput {
    /// The application's id for it (e.g. a UUID).
    pub id: String,
    /// Full name.
    pub name: String,
    /// Short name for Moodle (default: the name).
    #[serde(default)]
    pub shortname: Option<String>,
    /// Summary (HTML).
    #[serde(default)]
    pub description: String,
    /// Category names from the top, joined by `/`.
    #[serde(default)]
    pub category_path: String,
}

/// An asset of an inline publish.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InlineAsset {
    /// The application's id for it, unique in the course.
    pub id: String,
    /// Its name (the activity's name in Moodle).
    pub asset_name: String,
    /// Its type (not `file`).
    pub asset_type: AssetType,
    /// Its content, in the type's schema.
    #[schema(value_type = Object)]
    pub asset_content: Value,
}

/// An inline course as its push job keeps it: typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InlineCourse {
    /// The course.
    pub course: Target,
    /// Its items.
    pub items: Vec<InlineItem>,
}

/// One asset of an inline course, typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InlineItem {
    /// Its row.
    pub asset_id: i64,
    /// The application's id.
    pub external_id: String,
    /// Its name.
    pub name: String,
    /// Its type.
    pub kind: AssetType,
    /// Its content.
    pub content: Content,
}

impl InlineCourse {
    /// What a push of it works on.
    pub fn plan(&self) -> Plan {
        Plan {
            course: self.course.clone(),
            items: self
                .items
                .iter()
                .map(|i| Item {
                    asset_id: i.asset_id,
                    key: i.external_id.clone(),
                    name: i.name.clone(),
                    external_id: Some(i.external_id.clone()),
                    kind: i.kind,
                    content: Ok(i.content.clone()),
                    storage_key: None,
                    version: 1,
                })
                .collect(),
            complete: false,
        }
    }
}

impl Publisher {
    /// Publishes an application's course and assets inline.
    ///
    /// # Errors
    /// As [`Publisher::push`]; 422 naming the field for a body that does not fit.
    pub async fn publish_inline(
        &self,
        actor: &Actor,
        token: GivenToken<'_>,
        request: InlinePublish,
        mode: Mode,
    ) -> Result<Pushed, PublishError> {
        let owner = actor.owner();
        let credential = self
            .inner
            .lms
            .resolve(&owner, token.token, token.site)
            .await?;
        let checked = check(&request)?;
        let enrol = self.check_enrol(&request.enrol)?;
        let courses = &self.inner.courses;
        let c = &request.course;
        let shortname = c
            .shortname
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map_or_else(|| c.name.trim().chars().take(100).collect(), str::to_owned);
        let row = courses
            .inline_course(&owner, c.id.trim(), c.name.trim(), &shortname)
            .await?;
        let keys: Vec<(&str, AssetType)> = request
            .assets
            .iter()
            .map(|a| (a.id.trim(), a.asset_type))
            .collect();
        let ids = courses.inline_assets(row.id, &actor.subject, &keys).await?;
        if request.complete {
            let keep: Vec<&str> = keys.iter().map(|(id, _)| *id).collect();
            for (asset_id, name) in courses.inline_assets_besides(row.id, &keep).await? {
                if self.inner.delete_mode != DeleteMode::Keep {
                    removals::record_asset(&self.inner.db, asset_id, now_ms()).await?;
                }
                courses.drop_inline_asset(row.id, &name).await?;
            }
        }
        let inline = InlineCourse {
            course: Target {
                id: row.id,
                owner: owner.clone(),
                name: c.name.trim().to_owned(),
                shortname,
                description: c.description.clone(),
                category_path: checked.category_path,
                version: 0,
            },
            items: request
                .assets
                .iter()
                .zip(ids)
                .zip(checked.contents)
                .map(|((a, asset_id), content)| InlineItem {
                    asset_id,
                    external_id: a.id.trim().to_owned(),
                    name: a.asset_name.trim().to_owned(),
                    kind: a.asset_type,
                    content,
                })
                .collect(),
        };
        let plan = inline.plan();
        let args = PushArgs {
            course_id: row.id,
            site: credential.site.name.clone(),
            assets: None,
            publish: request.publish,
            lms_course_id: request.lms_course_id,
            session_id: credential.session_id.clone(),
            actor: ActorArgs::of(actor),
            enrol,
            inline: Some(inline),
            auto: false,
        };
        let sealed = Sealed(self.inner.lms.seal(&credential.token));
        self.start(&owner, args, sealed, mode, Some(plan)).await
    }
}

/// What the checks of a publish give: the contents typed, the category path normalised.
struct Checked {
    contents: Vec<Content>,
    category_path: String,
}

/// The checks of a publish, each refusal naming its field.
fn check(r: &InlinePublish) -> Result<Checked, PublishError> {
    let invalid = |field: String, reason: &str| PublishError::Invalid {
        field,
        reason: reason.to_owned(),
    };
    let id_ok = |id: &str| {
        let id = id.trim();
        !id.is_empty() && id.chars().count() <= MAX_ID && !id.chars().any(char::is_control)
    };
    if !id_ok(&r.course.id) {
        return Err(invalid(
            "course.id".to_owned(),
            "must be 1 to 100 characters, no control characters",
        ));
    }
    if !name_ok(&r.course.name) {
        return Err(invalid(
            "course.name".to_owned(),
            "must be 1 to 255 characters, no control characters",
        ));
    }
    if r.course.shortname.as_deref().is_some_and(|s| !name_ok(s)) {
        return Err(invalid(
            "course.shortname".to_owned(),
            "must be 1 to 255 characters, no control characters",
        ));
    }
    let parts: Vec<&str> = r
        .course
        .category_path
        .split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() > 10 || parts.iter().any(|p| !name_ok(p)) {
        return Err(invalid(
            "course.category_path".to_owned(),
            "must be at most 10 category names of at most 255 characters, joined by /",
        ));
    }
    if r.assets.len() > MAX_ASSETS {
        return Err(invalid(
            "assets".to_owned(),
            &format!("at most {MAX_ASSETS} assets per publish"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    let mut contents = Vec::with_capacity(r.assets.len());
    for (i, a) in r.assets.iter().enumerate() {
        if !id_ok(&a.id) || a.id.contains('/') {
            return Err(invalid(
                format!("assets[{i}].id"),
                "must be 1 to 100 characters, no / or control characters",
            ));
        }
        if !seen.insert(a.id.trim()) {
            return Err(invalid(
                format!("assets[{i}].id"),
                "is given twice in this publish",
            ));
        }
        if !name_ok(&a.asset_name) {
            return Err(invalid(
                format!("assets[{i}].asset_name"),
                "must be 1 to 255 characters, no control characters",
            ));
        }
        if a.asset_type == AssetType::File {
            return Err(invalid(
                format!("assets[{i}].asset_type"),
                "file assets cannot be published inline: upload them to a course of the bridge (POST /api/courses/{course_id}/assets)",
            ));
        }
        let content =
            Content::parse(a.asset_type, &a.asset_content).map_err(|e| PublishError::Invalid {
                field: format!("assets[{i}].{}", e.field),
                reason: e.reason,
            })?;
        contents.push(content);
    }
    Ok(Checked {
        contents,
        category_path: parts.join("/"),
    })
}

fn name_ok(raw: &str) -> bool {
    let t = raw.trim();
    !t.is_empty() && t.chars().count() <= 255 && !t.chars().any(char::is_control)
}
