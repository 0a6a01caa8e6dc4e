//! A launch's custom parameters and the services' launch parameters: the instructor's and
//! the administrator's custom parameters with substitution variables resolved
//! (`lti_build_custom_parameters()`, `lti_parse_custom_parameter()`), and what
//! `ltiservice_gradebookservices` and `ltiservice_memberships` add through
//! `get_launch_parameters()` — mapped to the claims `lti_sign_jwt()` makes of them.

use serde_json::{Map, Value, json};

use super::claims::LaunchContext;
use crate::state::State as Db;

/// `lti_map_keyname()`: lower case, anything but letters and digits as `_`.
fn keyname(key: &str) -> String {
    key.trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The custom parameters of the instructor then the administrator (who wins), with
/// `$Context.title`-style substitution parameters resolved (`lti_parse_custom_parameter()`).
pub fn custom_parameters(c: &LaunchContext<'_>) -> Map<String, Value> {
    let mut custom = Map::new();
    let lines = c
        .instance
        .map(|(i, _)| i.customparameters.clone())
        .unwrap_or_default();
    for line in lines.iter().chain(&c.tool.config.customparameters) {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let value = match v {
            "$Context.id" => c.course.id.to_string(),
            "$Context.title" | "$CourseSection.title" => c.course.fullname.clone(),
            "$Context.label" | "$CourseSection.label" => c.course.shortname.clone(),
            "$CourseSection.sourcedId" => c.course.idnumber.clone(),
            "$User.id" => c.user.id.to_string(),
            "$User.username" => c.user.username.clone(),
            "$Person.name.full" => c.user.fullname(),
            "$Person.name.given" => c.user.firstname.clone(),
            "$Person.name.family" => c.user.lastname.clone(),
            "$Person.email.primary" => c.user.email.clone(),
            "$Person.sourcedId" => c.user.idnumber.clone(),
            "$ResourceLink.id" => c
                .instance
                .map(|(i, _)| i.id.to_string())
                .unwrap_or_else(|| v.to_owned()),
            other => other.to_owned(),
        };
        custom.insert(keyname(k), Value::from(value));
    }
    custom
}

/// The services' launch parameters: `context_memberships_url` stays a custom parameter;
/// the NRPS and AGS claims.
pub fn service_claims(
    db: &Db,
    c: &LaunchContext<'_>,
    custom: &mut Map<String, Value>,
    claims: &mut Map<String, Value>,
) {
    let t = c.tool;
    let services = format!("{}/mod/lti/services.php", db.site.wwwroot);
    let allowed = t.course == c.course.id || t.course == crate::state::SITE_ID;
    if matches!(t.config.gradesync, 1 | 2) && allowed {
        let mut scope = super::token::gradebook_scopes(t.config.gradesync);
        scope.sort();
        let mut ags = json!({
            "scope": scope,
            "lineitems": format!("{services}/{}/lineitems?type_id={}", c.course.id, t.id),
        });
        if let Some((instance, _)) = c.instance {
            let coupled: Vec<i64> = db
                .lti
                .gbs
                .values()
                .filter(|g| g.courseid == c.course.id && g.ltilinkid == Some(instance.id))
                .map(|g| g.gradeitemid)
                .collect();
            let item = db.lti.instance_item(instance.id).map(|i| i.id);
            let id = match (coupled.as_slice(), item) {
                ([gbs], Some(item)) if *gbs != item => None,
                ([gbs], None) => Some(*gbs),
                ([] | [_], Some(item)) => Some(item),
                _ => None,
            };
            if let Some(id) = id {
                ags["lineitem"] = Value::from(format!(
                    "{services}/{}/lineitems/{id}/lineitem?type_id={}",
                    c.course.id, t.id
                ));
            }
        }
        claims.insert(
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint".into(),
            ags,
        );
    }
    let used = db
        .lti
        .instances
        .values()
        .any(|i| i.course == c.course.id && i.typeid == t.id)
        || t.course == c.course.id;
    if t.config.memberships == 1 && used {
        let url = format!(
            "{services}/CourseSection/{}/bindings/{}/memberships",
            c.course.id, t.id
        );
        custom.insert("context_memberships_url".into(), Value::from(url.clone()));
        claims.insert(
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice".into(),
            json!({"context_memberships_url": url, "service_versions": ["1.0", "2.0"]}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_parameter_names_are_mapped() {
        assert_eq!(keyname("Course Shortname"), "course_shortname");
    }
}
