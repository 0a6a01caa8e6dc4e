//! [`Roles`]: the roles claim and the helpers that read it whatever form the platform used.

use serde::{Deserialize, Serialize};

/// The roles claim, with helpers that understand every form Moodle and others send: LIS v2
/// context roles (`…/membership#Instructor`) and sub-roles (`…/membership/Instructor#…`),
/// institution and system roles, Moodle's `…/v2/person#Administrator`, LTI 1.1 URNs
/// (`urn:lti:role:ims/lis/Learner`), and short names (`Instructor`, as in Moodle's NRPS).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Roles(pub Vec<String>);

#[derive(Clone, Copy, PartialEq, Eq)]
enum RoleScope {
    Context,
    Institution,
    System,
}

impl Roles {
    /// Whether the user teaches here: context `Instructor` (or one of its sub-roles), or
    /// institution `Instructor`/`Faculty`.
    pub fn is_instructor(&self) -> bool {
        self.any(|scope, name| match scope {
            RoleScope::Context => name == "Instructor",
            RoleScope::Institution => matches!(name, "Instructor" | "Faculty"),
            RoleScope::System => false,
        })
    }

    /// Whether the user administers: `Administrator` in any scope, or system `SysAdmin`.
    pub fn is_administrator(&self) -> bool {
        self.any(|scope, name| {
            name == "Administrator" || (scope == RoleScope::System && name == "SysAdmin")
        })
    }

    /// Whether the user learns here: context `Learner` (or a sub-role), or institution
    /// `Learner`/`Student`.
    pub fn is_learner(&self) -> bool {
        self.any(|scope, name| match scope {
            RoleScope::Context => name == "Learner",
            RoleScope::Institution => matches!(name, "Learner" | "Student"),
            RoleScope::System => false,
        })
    }

    /// The roles as sent.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    fn any(&self, test: impl Fn(RoleScope, &str) -> bool) -> bool {
        self.iter()
            .filter_map(classify_role)
            .any(|(scope, name)| test(scope, name))
    }
}

/// A role's scope and principal name (sub-roles reduced to their principal role).
fn classify_role(role: &str) -> Option<(RoleScope, &str)> {
    const LIS: &str = "http://purl.imsglobal.org/vocab/lis/v2/";
    if let Some(rest) = role.strip_prefix(LIS) {
        if let Some(name) = rest.strip_prefix("membership#") {
            return Some((RoleScope::Context, name));
        }
        if let Some(sub) = rest.strip_prefix("membership/") {
            return Some((RoleScope::Context, sub.split_once('#')?.0));
        }
        if let Some(name) = rest.strip_prefix("institution/person#") {
            return Some((RoleScope::Institution, name));
        }
        if let Some(name) = rest.strip_prefix("system/person#") {
            return Some((RoleScope::System, name));
        }
        // Moodle's LTI 2 form for administrators (mod/lti/locallib.php lti_get_ims_role).
        return rest
            .strip_prefix("person#")
            .map(|name| (RoleScope::Institution, name));
    }
    let urn = |prefix: &str| {
        role.strip_prefix(prefix)
            .map(|r| r.split('/').next().unwrap_or(r))
    };
    if let Some(name) = urn("urn:lti:role:ims/lis/") {
        return Some((RoleScope::Context, name));
    }
    if let Some(name) = urn("urn:lti:instrole:ims/lis/") {
        return Some((RoleScope::Institution, name));
    }
    if let Some(name) = urn("urn:lti:sysrole:ims/lis/") {
        return Some((RoleScope::System, name));
    }
    (!role.contains(':') && !role.contains('/') && !role.is_empty())
        .then_some((RoleScope::Context, role))
}
