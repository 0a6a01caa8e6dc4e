//! Course categories (`course/externallib.php`): list by criteria and create.

use crate::functions::Function;
use serde::{Deserialize, Serialize};

use super::{join_ids, lenient};
use crate::client::Client;
use crate::error::Error;

/// `core_course_get_categories`.
pub const GET_CATEGORIES: Function = Function::read("core_course_get_categories");
/// `core_course_create_categories`.
pub const CREATE_CATEGORIES: Function = Function::write("core_course_create_categories");

/// A criterion of `core_course_get_categories`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CategoryCriterion {
    /// One category id.
    Id(i64),
    /// Several ids.
    Ids(Vec<i64>),
    /// By name.
    Name(String),
    /// Children of a category (0 = top level).
    Parent(i64),
    /// By ID number.
    Idnumber(String),
    /// By visibility.
    Visible(bool),
    /// By theme.
    Theme(String),
}

#[derive(Serialize)]
struct Criterion {
    key: &'static str,
    value: String,
}

impl CategoryCriterion {
    fn to_criterion(&self) -> Criterion {
        let (key, value) = match self {
            CategoryCriterion::Id(id) => ("id", id.to_string()),
            CategoryCriterion::Ids(ids) => ("ids", join_ids(ids)),
            CategoryCriterion::Name(n) => ("name", n.clone()),
            CategoryCriterion::Parent(id) => ("parent", id.to_string()),
            CategoryCriterion::Idnumber(s) => ("idnumber", s.clone()),
            CategoryCriterion::Visible(b) => ("visible", if *b { "1" } else { "0" }.to_owned()),
            CategoryCriterion::Theme(t) => ("theme", t.clone()),
        };
        Criterion { key, value }
    }
}

/// A course category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Category {
    /// Category id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// ID number (`None` when unset).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub idnumber: Option<String>,
    /// Description.
    #[serde(deserialize_with = "lenient::string")]
    pub description: String,
    /// Description format.
    #[serde(deserialize_with = "lenient::int")]
    pub descriptionformat: i64,
    /// Parent category (0 = top level).
    #[serde(deserialize_with = "lenient::int")]
    pub parent: i64,
    /// Sort order.
    #[serde(deserialize_with = "lenient::int")]
    pub sortorder: i64,
    /// Number of courses.
    #[serde(deserialize_with = "lenient::int")]
    pub coursecount: i64,
    /// Visible.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub visible: Option<bool>,
    /// Depth (1 = top level).
    #[serde(deserialize_with = "lenient::int")]
    pub depth: i64,
    /// Path of ids (`/2/5`).
    #[serde(deserialize_with = "lenient::string")]
    pub path: String,
    /// Forced theme.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub theme: Option<String>,
}

/// A category to create.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewCategory {
    /// Name.
    pub name: String,
    /// Parent category (0 or `None` = top level).
    pub parent: Option<i64>,
    /// ID number (must be unused).
    pub idnumber: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Description format (1 = HTML).
    pub descriptionformat: Option<i64>,
    /// Forced theme.
    pub theme: Option<String>,
}

impl NewCategory {
    /// A top-level category with this name.
    pub fn new(name: impl Into<String>) -> Self {
        NewCategory {
            name: name.into(),
            ..NewCategory::default()
        }
    }
}

/// A created category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CreatedCategory {
    /// New id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Its name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
}

#[derive(Serialize)]
struct GetParams {
    criteria: Vec<Criterion>,
    addsubcategories: bool,
}

#[derive(Serialize)]
struct CreateParams<'a> {
    categories: &'a [NewCategory],
}

impl Client {
    /// Categories matching all criteria (none = every category), with their subcategories
    /// when `addsubcategories`.
    ///
    /// # Errors
    /// Any [`Error`]. No match is an empty list.
    pub async fn get_categories(
        &self,
        criteria: &[CategoryCriterion],
        addsubcategories: bool,
    ) -> Result<Vec<Category>, Error> {
        let criteria = criteria
            .iter()
            .map(CategoryCriterion::to_criterion)
            .collect();
        self.call(
            GET_CATEGORIES,
            &GetParams {
                criteria,
                addsubcategories,
            },
        )
        .await
    }

    /// Creates categories. Never retried.
    ///
    /// # Errors
    /// `categoryidnumbertaken`, `unknowcategory` (bad parent), `nopermissions` and other
    /// [`Error`]s.
    pub async fn create_categories(
        &self,
        categories: &[NewCategory],
    ) -> Result<Vec<CreatedCategory>, Error> {
        self.call(CREATE_CATEGORIES, &CreateParams { categories })
            .await
    }
}
