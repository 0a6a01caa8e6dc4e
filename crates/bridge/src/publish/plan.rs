//! What a push works on, loaded once per push: the course ([`Target`]) and its items
//! ([`Item`]), each with its content typed ([`Content`]). A local course comes from the course
//! store (one query for the course, one for its assets); an inline publish brings its own
//! (typed when the request was read, kept in the job's arguments).

use serde::{Deserialize, Serialize};

use crate::courses::{Asset, AssetType, Course};
use crate::courses::{Content, Invalid};

/// The course of a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Its row in `courses` (an inline course has one too, naming it only).
    pub id: i64,
    /// The subject it belongs to.
    pub owner: String,
    /// Full name.
    pub name: String,
    /// Short name for Moodle.
    pub shortname: String,
    /// Summary (HTML).
    pub description: String,
    /// Category names from the top, joined by `/`.
    pub category_path: String,
    /// The version pushed (local courses; 0 inline).
    pub version: i64,
}

impl Target {
    /// A local course.
    pub fn of(course: &Course) -> Target {
        Target {
            id: course.id,
            owner: course.owner.clone(),
            name: course.name.clone(),
            shortname: course.shortname.clone(),
            description: course.description.clone(),
            category_path: course.category_path.clone(),
            version: course.version,
        }
    }
}

/// One asset of a push.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Its row in `assets`.
    pub asset_id: i64,
    /// Its key in the course, part of its ID number in Moodle: the asset name, or the
    /// application's id of an inline asset.
    pub key: String,
    /// The activity's name (the asset name).
    pub name: String,
    /// The application's id, for an inline asset.
    pub external_id: Option<String>,
    /// Its type.
    pub kind: AssetType,
    /// Its content, or why the stored content does not fit its type any more.
    pub content: Result<Content, Invalid>,
    /// Where a file's bytes are.
    pub storage_key: Option<String>,
    /// The version pushed.
    pub version: i64,
}

impl Item {
    /// A stored asset, its content typed here (once per push).
    pub fn of(asset: &Asset) -> Item {
        Item {
            asset_id: asset.id,
            key: asset.name.clone(),
            name: asset.name.clone(),
            external_id: None,
            kind: asset.kind,
            content: Content::parse(asset.kind, &asset.content),
            storage_key: asset.storage_key.clone(),
            version: asset.version,
        }
    }
}

/// A course and the items a push works on.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The course.
    pub course: Target,
    /// The items, in the order they are pushed (and reported).
    pub items: Vec<Item>,
    /// For an inline publish that says it is complete: the keys of the course's items it
    /// does not hold are removed.
    pub complete: bool,
}
