//! Courses: the list (all, by search, by category), create, and partial update.
//!
//! The list is always an array of Moodle's course objects, whichever function served it
//! (`core_course_search_courses` wraps them in `{total, courses}`); Moodle's front page
//! (`format: "site"`) is not a course to callers and is left out.

use moodle_ws::JsonAnswer;
use moodle_ws::functions::course::{self, SearchCourses};
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;

use super::replies::CreatedCourse;
use super::requests::{CourseFilter, CourseInput};
use super::{Gateway, GatewayError, NoParams, Raw, Reply, split_warnings, unexpected};
use crate::audit::Actor;

/// Codes with which `core_course_get_courses` refuses a token that may not list every
/// course; such tokens get the courses they can see from `core_course_get_courses_by_field`.
const GET_COURSES_REFUSALS: [&str; 4] = [
    "nopermissions",
    "accessexception",
    "errorcoursecontextnotvalid",
    "requireloginerror",
];

#[derive(Serialize)]
struct ByField<'a> {
    field: &'a str,
    value: String,
}

#[derive(Serialize)]
struct ByIds<'a> {
    options: Ids<'a>,
}

#[derive(Serialize)]
struct Ids<'a> {
    ids: &'a [i64],
}

impl Gateway {
    /// Courses the token may see, optionally by free-text search and/or category.
    ///
    /// # Errors
    /// [`GatewayError::Invalid`] for a bad filter, [`GatewayError::Moodle`].
    pub async fn list_courses(&self, filter: CourseFilter) -> Result<Reply, GatewayError> {
        let search = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if search.is_some_and(|s| s.chars().count() > 255) {
            return Err(GatewayError::invalid(
                "search",
                "must be at most 255 characters",
            ));
        }
        if let Some(c) = filter.category
            && c <= 0
        {
            return Err(GatewayError::invalid("category", "must be a positive id"));
        }
        let key = format!(
            "courses?search={}&category={:?}",
            search.unwrap_or_default(),
            filter.category
        );
        let ticket = match self.cache.lookup(key) {
            Ok(hit) => return Ok(hit),
            Err(ticket) => ticket,
        };
        // Moodle's course objects are read borrowed from its answer and passed on as sent.
        let (answer, shape) = match (search, filter.category) {
            (Some(text), _) => (
                self.moodle
                    .call_json(course::SEARCH_COURSES, &SearchCourses::text(text))
                    .await?,
                Shape::Wrapped,
            ),
            (None, Some(category)) => (
                self.courses_by_field("category", category.to_string())
                    .await?,
                Shape::Wrapped,
            ),
            (None, None) => match self
                .moodle
                .call_json(course::GET_COURSES, &NoParams {})
                .await
            {
                Ok(answer) => (answer, Shape::List),
                Err(e)
                    if e.moodle_errorcode()
                        .is_some_and(|c| GET_COURSES_REFUSALS.contains(&c)) =>
                {
                    (
                        self.courses_by_field("", String::new()).await?,
                        Shape::Wrapped,
                    )
                }
                Err(e) => return Err(e.into()),
            },
        };
        let (mut courses, warnings) = match shape {
            Shape::List => (answer.parse::<Vec<&RawValue>>()?, Vec::new()),
            Shape::Wrapped => {
                let list: CourseList<'_> = answer.parse()?;
                (list.courses, list.warnings)
            }
        };
        if let (Some(_), Some(c)) = (search, filter.category) {
            courses.retain(|x| head(x).is_ok_and(|h| h.categoryid == Some(c)));
        }
        let mut kept = Vec::with_capacity(courses.len());
        for c in courses.drain(..) {
            if head(c)?.format.as_deref() != Some("site") {
                kept.push(c);
            }
        }
        // No filter names an item, so every warning is about something else.
        let reply = Reply {
            warnings: split_warnings(warnings, |_| false)?,
            ..Reply::list(&kept)
        };
        self.cache.store(ticket, &reply);
        Ok(reply)
    }

    /// `core_course_get_courses_by_field`; an empty field means every visible course.
    /// Its answer is a [`CourseList`].
    async fn courses_by_field(
        &self,
        field: &str,
        value: String,
    ) -> Result<JsonAnswer, GatewayError> {
        let answer = if field.is_empty() {
            self.moodle
                .call_json(course::GET_COURSES_BY_FIELD, &NoParams {})
                .await?
        } else {
            self.moodle
                .call_json(course::GET_COURSES_BY_FIELD, &ByField { field, value })
                .await?
        };
        Ok(answer)
    }

    /// Creates a course; answers `{id, shortname}`. Never retried.
    ///
    /// # Errors
    /// [`GatewayError::Invalid`], [`GatewayError::Moodle`] (`shortnametaken`,
    /// `idnumbertaken`, `nopermissions`, …).
    pub async fn create_course(
        &self,
        actor: &Actor,
        input: CourseInput,
    ) -> Result<Reply, GatewayError> {
        let new = input.into_new_course()?;
        let ids = json!({"shortname": new.shortname, "categoryid": new.categoryid});
        let result = async {
            let created = self
                .moodle
                .create_courses(std::slice::from_ref(&new))
                .await?;
            self.cache.clear();
            let first = created
                .into_iter()
                .next()
                .ok_or_else(|| unexpected("no course in the answer"))?;
            Ok(CreatedCourse {
                id: first.id,
                shortname: first.shortname,
            })
        }
        .await;
        let ids = match &result {
            Ok(c) => {
                json!({"courseid": c.id, "shortname": new.shortname, "categoryid": new.categoryid})
            }
            Err(_) => ids,
        };
        self.audited(actor, course::CREATE_COURSES.name(), ids, result)
            .await
            .map(|v| Reply::of(&v))
    }

    /// Changes the given fields of course `id`; answers the updated course.
    ///
    /// # Errors
    /// [`GatewayError::Invalid`], [`GatewayError::Moodle`]; a Moodle warning about this
    /// course (`invalidrecord` when it does not exist, `shortnametaken`, …) fails the call.
    pub async fn update_course(
        &self,
        actor: &Actor,
        id: i64,
        input: CourseInput,
    ) -> Result<Reply, GatewayError> {
        let update = input.into_update(id)?;
        let result = async {
            let answer = self
                .moodle
                .update_courses(std::slice::from_ref(&update))
                .await;
            self.cache.clear();
            let others = split_warnings(answer?.warnings, |w| w.itemid.is_none_or(|i| i == id))?;
            let course = self.course_by_id(id).await?;
            Ok(Reply {
                warnings: others,
                ..Reply::raw(&course)
            })
        }
        .await;
        self.audited(
            actor,
            course::UPDATE_COURSES.name(),
            json!({"courseid": id}),
            result,
        )
        .await
    }

    /// One course as `core_course_get_courses` returns it, or as
    /// `core_course_get_courses_by_field` does for tokens that may not use the former.
    async fn course_by_id(&self, id: i64) -> Result<Raw, GatewayError> {
        let found = match self
            .moodle
            .call_raw::<_, Vec<Raw>>(
                course::GET_COURSES,
                &ByIds {
                    options: Ids { ids: &[id] },
                },
            )
            .await
        {
            Ok(answer) => answer,
            Err(e)
                if e.moodle_errorcode()
                    .is_some_and(|c| GET_COURSES_REFUSALS.contains(&c)) =>
            {
                let answer = self.courses_by_field("id", id.to_string()).await?;
                let list: CourseList<'_> = answer.parse()?;
                list.courses.into_iter().map(RawValue::to_owned).collect()
            }
            Err(e) => return Err(e.into()),
        };
        for course in found {
            if head(&course)?.id == Some(id) {
                return Ok(course);
            }
        }
        Err(moodle_ws::Error::Warnings(vec![moodle_ws::Warning {
            item: Some("course".to_owned()),
            itemid: Some(id),
            warningcode: "invalidrecord".to_owned(),
            message: format!("course {id} is not visible to the bridge's Moodle user"),
        }])
        .into())
    }
}

/// How a course list arrives: `core_course_get_courses` answers a bare list, the search
/// and `core_course_get_courses_by_field` a [`CourseList`].
enum Shape {
    List,
    Wrapped,
}

/// The answer of `core_course_search_courses` and `core_course_get_courses_by_field`:
/// Moodle's course objects as sent (borrowed from the answer), and the warnings.
#[derive(Deserialize)]
struct CourseList<'a> {
    #[serde(borrow)]
    courses: Vec<&'a RawValue>,
    #[serde(default)]
    warnings: Vec<moodle_ws::Warning>,
}

/// The few fields of a course the gateway looks at; the rest is skipped, not parsed.
#[derive(Deserialize)]
struct Head<'a> {
    id: Option<i64>,
    categoryid: Option<i64>,
    #[serde(borrow)]
    format: Option<std::borrow::Cow<'a, str>>,
}

/// Reads a course's [`Head`]; an answer item that is not an object is a bad answer.
fn head(course: &RawValue) -> Result<Head<'_>, GatewayError> {
    serde_json::from_str(course.get())
        .map_err(|_| unexpected("the course list is not a list of courses"))
}
