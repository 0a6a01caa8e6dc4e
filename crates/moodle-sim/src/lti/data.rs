//! The LTI tables the platform side reads and writes (`lti_types` with `lti_types_config`,
//! `lti`, `lti_access_tokens`, `grade_items`, `grade_grades`,
//! `ltiservice_gradebookservices`), the keyset cache (`cache::make('mod_lti', 'keyset')`) and
//! the per-browser-session data (`$SESSION` entries and the sesskey).

use std::collections::BTreeMap;

/// `LTI_SETTING_NEVER`.
pub const SETTING_NEVER: i64 = 0;
/// `LTI_SETTING_ALWAYS`.
pub const SETTING_ALWAYS: i64 = 1;
/// `LTI_SETTING_DELEGATE`.
pub const SETTING_DELEGATE: i64 = 2;
/// `LTI_TOOL_STATE_CONFIGURED`.
pub const STATE_CONFIGURED: i64 = 1;
/// `LTI_TOOL_STATE_PENDING`.
pub const STATE_PENDING: i64 = 2;
/// `LTI_LAUNCH_CONTAINER_DEFAULT`.
pub const CONTAINER_DEFAULT: i64 = 1;
/// `LTI_LAUNCH_CONTAINER_EMBED_NO_BLOCKS`.
pub const CONTAINER_EMBED_NO_BLOCKS: i64 = 3;
/// `LTI_VERSION_1P3`.
pub const VERSION_1P3: &str = "1.3.0";

/// A row of `lti_types` with its `lti_types_config` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolType {
    /// Id (the deployment id).
    pub id: i64,
    /// Name.
    pub name: String,
    /// Base URL (the tool URL).
    pub baseurl: String,
    /// `host[:port]` of the tool, as `lti_get_domain_from_url()` takes it.
    pub tooldomain: String,
    /// `LTI_TOOL_STATE_*`.
    pub state: i64,
    /// Course (`SITEID` for site tools).
    pub course: i64,
    /// Client id.
    pub clientid: String,
    /// `1.3.0`.
    pub ltiversion: String,
    /// Description.
    pub description: String,
    /// Icon URL.
    pub icon: String,
    /// The settings.
    pub config: TypeConfig,
}

/// The settings of a tool type (`lti_types_config`, names without the `lti_` prefix).
#[derive(Debug, Clone, PartialEq)]
pub struct TypeConfig {
    /// `initiatelogin`.
    pub initiatelogin: String,
    /// `redirectionuris`, one per line.
    pub redirectionuris: Vec<String>,
    /// `publickeyset` (`keytype` is always `JWK_KEYSET` here).
    pub publickeyset: String,
    /// `contentitem`: deep linking supported.
    pub contentitem: bool,
    /// `toolurl_ContentItemSelectionRequest`.
    pub contentitem_url: String,
    /// `customparameters` as `name=value` lines.
    pub customparameters: Vec<String>,
    /// `launchcontainer`.
    pub launchcontainer: i64,
    /// `sendname`.
    pub sendname: i64,
    /// `sendemailaddr`.
    pub sendemailaddr: i64,
    /// `acceptgrades`.
    pub acceptgrades: i64,
    /// `ltiservice_gradesynchronization`: 0 off, 1 grade sync, 2 sync and column management.
    pub gradesync: i64,
    /// `ltiservice_memberships`.
    pub memberships: i64,
    /// `ltiservice_toolsettings`.
    pub toolsettings: i64,
}

/// A row of `lti` (an External tool activity).
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Id (the resource link id).
    pub id: i64,
    /// Course.
    pub course: i64,
    /// Tool type (0: found by URL at launch, `lti_get_tool_by_url_match()`).
    pub typeid: i64,
    /// Tool URL of the activity (empty: the type's).
    pub toolurl: String,
    /// Maximum grade.
    pub grade: f64,
    /// `instructorcustomparameters`.
    pub customparameters: Vec<String>,
    /// `launchcontainer`.
    pub launchcontainer: i64,
    /// `instructorchoiceacceptgrades`.
    pub acceptgrades: i64,
    /// `servicesalt`: the secret of `lis_result_sourcedid` hashes.
    pub servicesalt: String,
}

/// A row of `grade_items` the LTI services read: the activity's item or a tool's line item.
#[derive(Debug, Clone, PartialEq)]
pub struct GradeItem {
    /// Id (the line item id).
    pub id: i64,
    /// Course.
    pub courseid: i64,
    /// `mod` (an activity's item) or `manual` (a standalone line item).
    pub itemtype: String,
    /// The activity (`lti` instance id) of a `mod` item.
    pub iteminstance: Option<i64>,
    /// Name (the line item label).
    pub itemname: String,
    /// Maximum grade.
    pub grademax: f64,
}

/// A row of `ltiservice_gradebookservices`: the tool's data on a line item.
#[derive(Debug, Clone, PartialEq)]
pub struct Gbs {
    /// The grade item.
    pub gradeitemid: i64,
    /// Course.
    pub courseid: i64,
    /// Tool type.
    pub typeid: i64,
    /// Linked activity.
    pub ltilinkid: Option<i64>,
    /// `resourceId`.
    pub resourceid: Option<String>,
    /// `tag`.
    pub tag: Option<String>,
}

/// A row of `grade_grades`.
#[derive(Debug, Clone, PartialEq)]
pub struct GradeGrade {
    /// The grade item.
    pub itemid: i64,
    /// The user.
    pub userid: i64,
    /// Final grade, on the item's scale.
    pub finalgrade: Option<f64>,
    /// Maximum of the raw grade (the item's maximum once stored).
    pub rawgrademax: f64,
    /// Feedback comment.
    pub feedback: Option<String>,
    /// When the tool said the score was given.
    pub timemodified: Option<i64>,
}

/// A row of `lti_access_tokens`.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessToken {
    /// Tool type.
    pub typeid: i64,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Expiry time.
    pub validuntil: i64,
}

/// A launch waiting for `auth.php` (`$SESSION->$launchid`, written by
/// `lti_build_login_request()`).
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    /// Course.
    pub courseid: i64,
    /// Tool type.
    pub typeid: i64,
    /// Course module of a resource link launch (none for deep linking).
    pub cmid: Option<i64>,
    /// `basic-lti-launch-request` or `ContentItemSelectionRequest`.
    pub messagetype: String,
    /// Deep linking title.
    pub title: String,
    /// Deep linking text.
    pub text: String,
}

/// What a browser session holds besides its user.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WebSession {
    /// `sesskey()`.
    pub sesskey: String,
    /// The login form token (`\core\session\manager::get_login_token()`).
    pub logintoken: String,
    /// `$SESSION->wantsurl`.
    pub wantsurl: Option<String>,
    /// `$SESSION->loginerrormsg`.
    pub loginerror: Option<String>,
    /// Pending launches by launch id.
    pub launches: BTreeMap<String, Launch>,
}

/// The LTI data of the site.
#[derive(Debug, Clone, Default)]
pub struct LtiData {
    /// `lti_types`.
    pub types: BTreeMap<i64, ToolType>,
    /// `lti`.
    pub instances: BTreeMap<i64, Instance>,
    /// `grade_items` of LTI activities and line items.
    pub grade_items: BTreeMap<i64, GradeItem>,
    /// `ltiservice_gradebookservices`, by grade item.
    pub gbs: BTreeMap<i64, Gbs>,
    /// `grade_grades`, by (item, user).
    pub grades: BTreeMap<(i64, i64), GradeGrade>,
    /// `lti_access_tokens`, by token.
    pub access_tokens: BTreeMap<String, AccessToken>,
    /// The keyset cache: the last keyset JSON that verified a tool's JWT, by client id.
    pub keysets: BTreeMap<String, String>,
    /// Browser sessions' data, by session id.
    pub sessions: BTreeMap<String, WebSession>,
    /// Whether login initiation offers `lti_storage_target`.
    pub storage_target: bool,
}

impl LtiData {
    /// The tool type whose client id this is.
    pub fn type_by_clientid(&self, clientid: &str) -> Option<&ToolType> {
        self.types.values().find(|t| t.clientid == clientid)
    }

    /// The tool type an activity launches: its own, else the configured type whose domain
    /// matches its URL (`lti_get_tool_by_url_match()`).
    pub fn instance_type(&self, instance: &Instance) -> Option<&ToolType> {
        if instance.typeid != 0 {
            return self.types.get(&instance.typeid);
        }
        let domain = domain_of(&instance.toolurl)?;
        self.types
            .values()
            .find(|t| t.state == STATE_CONFIGURED && t.tooldomain == domain)
    }

    /// The activity's own grade item (`itemtype` `mod`).
    pub fn instance_item(&self, instance: i64) -> Option<&GradeItem> {
        self.grade_items
            .values()
            .find(|i| i.itemtype == "mod" && i.iteminstance == Some(instance))
    }
}

/// `lti_get_domain_from_url()` (`LTI_URL_DOMAIN_REGEX`): what follows an optional
/// `http(s)://` and `www.`, up to the first `/` — `host[:port]`, case kept.
pub fn domain_of(url: &str) -> Option<String> {
    let strip = |s: &str, prefix: &str| {
        s.get(..prefix.len())
            .filter(|p| p.eq_ignore_ascii_case(prefix))
            .map(|_| s[prefix.len()..].to_owned())
    };
    let rest = strip(url, "https://")
        .or_else(|| strip(url, "http://"))
        .unwrap_or_else(|| url.to_owned());
    let rest = strip(&rest, "www.").unwrap_or(rest);
    let domain = rest.split('/').next().unwrap_or_default();
    (!domain.is_empty()).then(|| domain.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domain_keeps_the_port_and_drops_the_path() {
        assert_eq!(
            domain_of("http://127.0.0.1:8090/lti/launch?x=1").as_deref(),
            Some("127.0.0.1:8090")
        );
        assert_eq!(
            domain_of("127.0.0.1:8090").as_deref(),
            Some("127.0.0.1:8090")
        );
        assert_eq!(
            domain_of("HTTPS://www.Tool.Example/x").as_deref(),
            Some("Tool.Example")
        );
    }
}
