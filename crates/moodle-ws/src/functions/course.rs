//! Courses (`course/externallib.php`): list, find, search, create, update and delete
//! courses. Course contents and modules are in `course/contents.rs`.

mod contents;
mod requests;
mod types;

pub use contents::{
    ContentOption, CourseModule, CourseModuleInfo, DELETE_MODULES, GET_CONTENTS, GET_COURSE_MODULE,
    Module, ModuleContent, ModuleDate, Section,
};
pub use requests::{
    CourseField, CourseSettings, CourseUpdate, NewCourse, SearchCourses, SearchCriterion,
};
pub use types::{
    Contact, Course, CourseSummary, CoursesByField, CreatedCourse, CustomField, CustomFieldValue,
    FormatOption, SearchResult,
};

use crate::functions::Function;
use serde::Serialize;

use crate::client::Client;
use crate::error::Error;
use crate::functions::Warnings;

/// `core_course_get_courses`.
pub const GET_COURSES: Function = Function::read("core_course_get_courses");
/// `core_course_get_courses_by_field`.
pub const GET_COURSES_BY_FIELD: Function = Function::read("core_course_get_courses_by_field");
/// `core_course_search_courses`.
pub const SEARCH_COURSES: Function = Function::read("core_course_search_courses");
/// `core_course_create_courses`.
pub const CREATE_COURSES: Function = Function::write("core_course_create_courses");
/// `core_course_update_courses`.
pub const UPDATE_COURSES: Function = Function::write("core_course_update_courses");
/// `core_course_delete_courses`.
pub const DELETE_COURSES: Function = Function::write("core_course_delete_courses");

#[derive(Serialize)]
struct GetCoursesParams<'a> {
    options: IdsOption<'a>,
}

#[derive(Serialize)]
struct IdsOption<'a> {
    ids: &'a [i64],
}

#[derive(Serialize)]
struct ByFieldParams {
    field: Option<&'static str>,
    value: Option<String>,
}

#[derive(Serialize)]
struct CoursesParams<'a, T> {
    courses: &'a [T],
}

#[derive(Serialize)]
struct CourseIdsParams<'a> {
    courseids: &'a [i64],
}

impl Client {
    /// Courses by id, or all courses (the front page included) when `ids` is empty.
    /// Needs `moodle/course:view`/`update` rights; no paging.
    ///
    /// # Errors
    /// `nopermissions` and other [`Error`]s. Unknown ids are left out, not errors.
    pub async fn get_courses(&self, ids: &[i64]) -> Result<Vec<Course>, Error> {
        self.call(
            GET_COURSES,
            &GetCoursesParams {
                options: IdsOption { ids },
            },
        )
        .await
    }

    /// Courses the token user can see, by one field (id, ids, shortname, idnumber,
    /// category, section id), or all of them.
    ///
    /// # Errors
    /// `invalidparameter` for a bad field and other [`Error`]s.
    pub async fn get_courses_by_field(&self, field: &CourseField) -> Result<CoursesByField, Error> {
        let (field, value) = field.name_value();
        self.call(GET_COURSES_BY_FIELD, &ByFieldParams { field, value })
            .await
    }

    /// Searches courses (by text, module, block or tag), one page at a time.
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn search_courses(&self, search: &SearchCourses) -> Result<SearchResult, Error> {
        self.call(SEARCH_COURSES, search).await
    }

    /// Creates courses; all or nothing (Moodle runs one transaction). Never retried.
    ///
    /// # Errors
    /// `shortnametaken`, `idnumbertaken`, `errorcatcontextnotvalid` (unknown category),
    /// `nopermissions`, `invalidparameter` and other [`Error`]s.
    pub async fn create_courses(&self, courses: &[NewCourse]) -> Result<Vec<CreatedCourse>, Error> {
        self.call(CREATE_COURSES, &CoursesParams { courses }).await
    }

    /// Updates courses. Per-course failures (unknown id, short name taken, no permission)
    /// come back as warnings, not errors: use [`crate::ItemWarnings::fail_on_warnings`].
    /// Never retried.
    ///
    /// # Errors
    /// Whole-call failures only.
    pub async fn update_courses(&self, courses: &[CourseUpdate]) -> Result<Warnings, Error> {
        self.call(UPDATE_COURSES, &CoursesParams { courses }).await
    }

    /// Deletes courses; per-course failures come back as warnings. Never retried.
    ///
    /// # Errors
    /// Whole-call failures only.
    pub async fn delete_courses(&self, courseids: &[i64]) -> Result<Warnings, Error> {
        self.call(DELETE_COURSES, &CourseIdsParams { courseids })
            .await
    }
}
