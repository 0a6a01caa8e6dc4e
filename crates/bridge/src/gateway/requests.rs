//! What gateway callers send (the bodies and query strings of the gateway contract,
//! `docs/contracts/gateway.md`), and the checks made before Moodle is called. Unknown JSON
//! fields are refused; flags accept `true`/`false` and the contract's `1`/`0`.

use moodle_ws::functions::course::{
    CourseSettings, CourseUpdate, CustomFieldValue, FormatOption, NewCourse,
};
use moodle_ws::functions::enrol::Enrolment;
use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};

use super::GatewayError;

/// A yes/no setting sent as a boolean or as Moodle's `1`/`0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Int(i64),
        }
        match Raw::deserialize(d) {
            Ok(Raw::Bool(b)) => Ok(Flag(b)),
            Ok(Raw::Int(0)) => Ok(Flag(false)),
            Ok(Raw::Int(1)) => Ok(Flag(true)),
            _ => Err(serde::de::Error::custom("expected true, false, 1 or 0")),
        }
    }
}

/// A `{name, value}` course-format option.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormatOptionInput {
    /// Option name (`hiddensections`, `coursedisplay`, …).
    pub name: String,
    /// Its value.
    pub value: String,
}

/// A `{shortname, value}` custom field value.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldInput {
    /// The field's short name.
    pub shortname: String,
    /// The value.
    pub value: String,
}

/// A course as `POST /api/moodle/courses` (where `fullname`, `shortname` and
/// `categoryid` are required) and `PATCH /api/moodle/courses/{id}` (where only the fields
/// given change) take it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseInput {
    /// Full name (required to create).
    pub fullname: Option<String>,
    /// Short name, unique on the site (required to create).
    pub shortname: Option<String>,
    /// Category id (required to create).
    pub categoryid: Option<i64>,
    /// ID number (unique when set).
    pub idnumber: Option<String>,
    /// Summary (HTML by default).
    pub summary: Option<String>,
    /// Summary format: 0 Moodle, 1 HTML, 2 plain, 4 Markdown.
    pub summaryformat: Option<i64>,
    /// Course format (`topics`, `weeks`, `singleactivity`, `social`).
    pub format: Option<String>,
    /// Show the gradebook to students.
    #[schema(value_type = Option<bool>)]
    pub showgrades: Option<Flag>,
    /// Number of announcements shown.
    pub newsitems: Option<i64>,
    /// Start (Unix seconds).
    pub startdate: Option<i64>,
    /// End (Unix seconds, after the start).
    pub enddate: Option<i64>,
    /// Number of sections.
    pub numsections: Option<i64>,
    /// Largest upload in bytes (0: the site's limit).
    pub maxbytes: Option<i64>,
    /// Visible to students.
    #[schema(value_type = Option<bool>)]
    pub visible: Option<Flag>,
    /// Group mode: 0 none, 1 separate, 2 visible.
    pub groupmode: Option<i64>,
    /// Completion tracking.
    #[schema(value_type = Option<bool>)]
    pub enablecompletion: Option<Flag>,
    /// Forced language (`en`, …).
    pub lang: Option<String>,
    /// Course-format options.
    #[serde(default)]
    pub courseformatoptions: Vec<FormatOptionInput>,
    /// Custom field values.
    #[serde(default)]
    pub customfields: Vec<CustomFieldInput>,
}

/// `GET /api/moodle/courses` filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CourseFilter {
    /// Free-text search (`core_course_search_courses`).
    pub search: Option<String>,
    /// Only courses of this category.
    pub category: Option<i64>,
}

/// `GET /api/moodle/users/by-field`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersByField {
    /// `id`, `idnumber`, `username` or `email`.
    pub field: String,
    /// Comma-separated values.
    pub values: String,
}

/// One enrolment of `POST /api/moodle/enrol`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentInput {
    /// Role id (5 student, 4 non-editing teacher, 3 teacher on a default site).
    pub roleid: i64,
    /// User id.
    pub userid: i64,
    /// Course id.
    pub courseid: i64,
    /// Start (Unix seconds).
    pub timestart: Option<i64>,
    /// End (Unix seconds).
    pub timeend: Option<i64>,
    /// Enrol as suspended.
    #[schema(value_type = Option<bool>)]
    pub suspend: Option<Flag>,
}

/// `POST /api/moodle/enrol`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Enrol {
    /// The enrolments, applied all or none.
    pub enrolments: Vec<EnrolmentInput>,
}

/// `GET /api/moodle/notifications`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// The recipient.
    pub userid: i64,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<i64>,
    /// Skip this many (default 0).
    pub offset: Option<i64>,
}

/// `GET /api/moodle/notifications/unread-count`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnreadCountQuery {
    /// The recipient.
    pub userid: i64,
}

/// Most values a by-field lookup or an enrolment call takes.
pub const MAX_ITEMS: usize = 100;

fn positive(field: &str, value: i64) -> Result<i64, GatewayError> {
    if value > 0 {
        Ok(value)
    } else {
        Err(GatewayError::invalid(field, "must be a positive id"))
    }
}

fn text(field: &str, value: &str, max: usize) -> Result<String, GatewayError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Err(GatewayError::invalid(field, "must not be empty"))
    } else if trimmed.chars().count() > max {
        Err(GatewayError::invalid(
            field,
            format!("must be at most {max} characters"),
        ))
    } else {
        Ok(trimmed.to_owned())
    }
}

fn in_range(
    field: &str,
    value: Option<i64>,
    range: std::ops::RangeInclusive<i64>,
) -> Result<Option<i64>, GatewayError> {
    match value {
        Some(v) if !range.contains(&v) => Err(GatewayError::invalid(
            field,
            format!("must be from {} to {}", range.start(), range.end()),
        )),
        other => Ok(other),
    }
}

impl CourseInput {
    /// Checks a course to create and turns it into Moodle's.
    pub fn into_new_course(self) -> Result<NewCourse, GatewayError> {
        let required = |field: &str| GatewayError::invalid(field, "is required");
        let fullname = text(
            "fullname",
            self.fullname
                .as_deref()
                .ok_or_else(|| required("fullname"))?,
            254,
        )?;
        let shortname = text(
            "shortname",
            self.shortname
                .as_deref()
                .ok_or_else(|| required("shortname"))?,
            255,
        )?;
        let categoryid = positive(
            "categoryid",
            self.categoryid.ok_or_else(|| required("categoryid"))?,
        )?;
        Ok(NewCourse {
            fullname,
            shortname,
            categoryid,
            settings: self.settings()?,
        })
    }

    /// Checks the changes to course `id` and turns them into Moodle's.
    pub fn into_update(self, id: i64) -> Result<CourseUpdate, GatewayError> {
        let id = positive("id", id)?;
        let update = CourseUpdate {
            id,
            fullname: self
                .fullname
                .as_deref()
                .map(|f| text("fullname", f, 254))
                .transpose()?,
            shortname: self
                .shortname
                .as_deref()
                .map(|s| text("shortname", s, 255))
                .transpose()?,
            categoryid: self
                .categoryid
                .map(|c| positive("categoryid", c))
                .transpose()?,
            settings: self.settings()?,
        };
        if update == CourseUpdate::new(id) {
            return Err(GatewayError::invalid("body", "names no field to change"));
        }
        Ok(update)
    }

    fn settings(self) -> Result<CourseSettings, GatewayError> {
        if let Some(f) = self.summaryformat
            && ![0, 1, 2, 4].contains(&f)
        {
            return Err(GatewayError::invalid(
                "summaryformat",
                "must be 0, 1, 2 or 4",
            ));
        }
        if let (Some(start), Some(end)) = (self.startdate, self.enddate)
            && end != 0
            && end <= start
        {
            return Err(GatewayError::invalid("enddate", "must be after startdate"));
        }
        Ok(CourseSettings {
            idnumber: self.idnumber.map(|s| s.trim().to_owned()),
            summary: self.summary,
            summaryformat: self.summaryformat,
            format: self.format.map(|f| text("format", &f, 21)).transpose()?,
            showgrades: self.showgrades.map(|f| f.0),
            newsitems: in_range("newsitems", self.newsitems, 0..=10)?,
            startdate: in_range("startdate", self.startdate, 0..=i64::from(i32::MAX))?,
            enddate: in_range("enddate", self.enddate, 0..=i64::from(i32::MAX))?,
            numsections: in_range("numsections", self.numsections, 0..=52)?,
            maxbytes: in_range("maxbytes", self.maxbytes, 0..=i64::MAX)?,
            visible: self.visible.map(|f| f.0),
            groupmode: in_range("groupmode", self.groupmode, 0..=2)?,
            enablecompletion: self.enablecompletion.map(|f| f.0),
            lang: self.lang.map(|l| text("lang", &l, 30)).transpose()?,
            courseformatoptions: self
                .courseformatoptions
                .into_iter()
                .map(|o| FormatOption {
                    name: o.name,
                    value: o.value,
                })
                .collect(),
            customfields: self
                .customfields
                .into_iter()
                .map(|c| CustomFieldValue {
                    shortname: c.shortname,
                    value: c.value,
                })
                .collect(),
        })
    }
}

impl Enrol {
    /// Checks the enrolments and turns them into Moodle's.
    pub fn validate(self) -> Result<Vec<Enrolment>, GatewayError> {
        if self.enrolments.is_empty() {
            return Err(GatewayError::invalid(
                "enrolments",
                "must list at least one enrolment",
            ));
        }
        if self.enrolments.len() > MAX_ITEMS {
            return Err(GatewayError::invalid(
                "enrolments",
                format!("must list at most {MAX_ITEMS} enrolments"),
            ));
        }
        self.enrolments
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let at = |f: &str| format!("enrolments[{i}].{f}");
                Ok(Enrolment {
                    roleid: positive(&at("roleid"), e.roleid)?,
                    userid: positive(&at("userid"), e.userid)?,
                    courseid: positive(&at("courseid"), e.courseid)?,
                    timestart: in_range(&at("timestart"), e.timestart, 0..=i64::from(i32::MAX))?,
                    timeend: in_range(&at("timeend"), e.timeend, 0..=i64::from(i32::MAX))?,
                    suspend: e.suspend.map(|f| f.0),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_take_booleans_and_the_seeds_numbers_only() {
        let parse = |s: &str| serde_json::from_str::<Flag>(s).ok();
        assert_eq!(parse("1"), Some(Flag(true)));
        assert_eq!(parse("false"), Some(Flag(false)));
        assert_eq!(parse("2"), None);
        assert_eq!(parse("\"1\""), None);
    }

    #[test]
    fn a_patch_without_fields_is_refused_before_moodle_is_called() {
        let err = CourseInput::default()
            .into_update(5)
            .expect_err("nothing to change");
        assert!(
            matches!(err, GatewayError::Invalid { ref field, .. } if field == "body"),
            "{err:?}"
        );
    }

    #[test]
    fn enrolment_errors_name_the_item() {
        let body: Enrol = serde_json::from_str(
            r#"{"enrolments":[{"roleid":5,"userid":3,"courseid":2},{"roleid":5,"userid":0,"courseid":2}]}"#,
        )
        .expect("parses");
        let err = body.validate().expect_err("user 0");
        assert!(
            matches!(err, GatewayError::Invalid { ref field, .. } if field == "enrolments[1].userid"),
            "{err:?}"
        );
    }

    #[test]
    fn unknown_fields_and_missing_required_fields_are_refused() {
        let err = serde_json::from_str::<CourseInput>(
            r#"{"fullname":"A","shortname":"a","categoryid":1,"colour":"red"}"#,
        )
        .expect_err("unknown field");
        assert!(err.to_string().contains("colour"), "{err}");
        let missing = CourseInput {
            fullname: Some("A".to_owned()),
            ..CourseInput::default()
        };
        let err = missing.into_new_course().expect_err("no shortname");
        assert!(
            matches!(err, GatewayError::Invalid { ref field, .. } if field == "shortname"),
            "{err:?}"
        );
    }
}
