//! `ltiservice_memberships`' context memberships (`resources/contextmemberships.php`,
//! `memberships::get_members_json()` and `users_to_json()`): the course's active
//! participants, ordered by last name, first name and id (`users_order_by_sql()`), with
//! short role names, the fields the tool's privacy settings allow, `limit`/`from` paging
//! with a `Link: <…>; rel="next"` header, a `role` filter, and with `rlid` a per-member
//! message carrying basic-outcome data. NRPS v2 JSON, or the LTI 1.1 JSON-LD container
//! (`users_to_jsonld()`) when the tool asks for `application/vnd.ims.lis.v2.membershipcontainer+json`.

use serde_json::{Map, Value, json};

use super::{Reply, Request};
use crate::lti::ToolType;
use crate::lti::claims::{html_to_text, sourcedid};
use crate::lti::data::SETTING_ALWAYS;
use crate::lti::token::SCOPE_MEMBERSHIPS_READ;
use crate::php_json;
use crate::state::{ContextLevel, State as Db, User, now};

const NRPS: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";
const LIS: &str = "application/vnd.ims.lis.v2.membershipcontainer+json";
const MEMBERSHIP: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#";
const INSTRUCTOR_CAPABILITY: &str = "moodle/course:manageactivities";

fn permitted(tool: &ToolType) -> Vec<&'static str> {
    if tool.config.memberships == 1 {
        vec![SCOPE_MEMBERSHIPS_READ]
    } else {
        Vec::new()
    }
}

/// `/{context_type}/{context_id}/bindings/{tool_code}/memberships`.
pub(super) fn context_memberships(db: &mut Db, req: &Request, mut reply: Reply) -> Reply {
    let seg = req.segments();
    let (context_id, tool_code) = (
        seg.get(2).copied().unwrap_or_default(),
        seg.get(4).copied().unwrap_or_default(),
    );
    let role = req.param("role").unwrap_or_default().to_owned();
    let limit = req.int("limit").unwrap_or(0);
    let from = if limit <= 0 {
        0
    } else {
        req.int("from").unwrap_or(0)
    };
    let typeid = crate::external::param::php_intval(tool_code);
    let Some(typeid) = req.check_tool(
        db,
        Some(typeid).filter(|t| *t != 0),
        &[SCOPE_MEMBERSHIPS_READ],
        permitted,
    ) else {
        return Reply::status(401, "");
    };
    let courseid = crate::external::param::php_intval(context_id);
    let Some(course) = db.courses.get(&courseid).cloned() else {
        return Reply::status(
            404,
            &format!("Not Found: Course {context_id} doesn't exist"),
        );
    };
    if !super::gradebook::allowed_in_context(db, typeid, courseid) {
        return Reply::status(404, "");
    }
    let link = match req.param("rlid").filter(|l| !l.is_empty()) {
        Some(l) => match db
            .lti
            .instances
            .get(&crate::external::param::php_intval(l))
            .cloned()
        {
            Some(i) => Some(i),
            None => return Reply::status(404, &format!("Not Found: LTI link {l} doesn't exist")),
        },
        None => None,
    };
    let Some(tool) = db.lti.types.get(&typeid).cloned() else {
        return Reply::status(401, "");
    };
    let ctx = db
        .context_id(ContextLevel::Course, courseid)
        .unwrap_or_default();
    let role = if role.is_empty() || role.starts_with("http://") || role.starts_with("https://") {
        role
    } else {
        format!("{MEMBERSHIP}{role}")
    };
    let instructor = |db: &Db, u: &User| db.has_capability(u.id, INSTRUCTOR_CAPABILITY, ctx);
    let now = now();
    let mut users: Vec<User> = db
        .users
        .values()
        .filter(|u| !u.deleted && db.is_enrolled(u.id, courseid, now))
        .filter(|u| match role.strip_prefix(MEMBERSHIP) {
            Some("Instructor") => instructor(db, u),
            Some("Learner") => !instructor(db, u),
            _ => true,
        })
        .cloned()
        .collect();
    users.sort_by(|a, b| (&a.lastname, &a.firstname, a.id).cmp(&(&b.lastname, &b.firstname, b.id)));
    let endpoint = format!(
        "{}/mod/lti/services.php/CourseSection/{courseid}/bindings/{typeid}/memberships",
        db.site.wwwroot
    );
    let accept = req.accept.as_deref().unwrap_or_default();
    let jsonld =
        accept == LIS || (accept != NRPS && tool.ltiversion != crate::lti::data::VERSION_1P3);
    let mut members = Vec::new();
    let mut more = false;
    for (n, user) in users.iter().enumerate() {
        if limit > 0 {
            if (n as i64) < from {
                continue;
            }
            if members.len() as i64 >= limit {
                more = true;
                break;
            }
        }
        let member = if jsonld { member_jsonld } else { member };
        members.push(member(db, &tool, user, instructor(db, user), link.as_ref()));
    }
    if jsonld {
        let mut body = json!({
            "@context": "http://purl.imsglobal.org/ctx/lis/v2/MembershipContainer",
            "@type": "Page",
            "@id": endpoint,
            "pageOf": {"@type": "LISMembershipContainer", "membershipSubject": {"@type": "Context", "contextId": course.id.to_string(), "membership": members}},
        });
        if more {
            let mut next = format!("{endpoint}?limit={limit}&from={}", from + limit);
            if let Some(l) = &link {
                next.push_str(&format!("&rlid={}", l.id));
            }
            body["nextPage"] = next.into();
        }
        reply.content_type = LIS.to_owned();
        reply.body = String::from_utf8_lossy(&php_json::encode(&body)).into_owned();
        return reply;
    }
    if more {
        let mut next = format!("{endpoint}?limit={limit}&from={}", from + limit);
        if let Some(l) = &link {
            next.push_str(&format!("&rlid={}", l.id));
        }
        reply
            .headers
            .push(("link", format!("<{next}>; rel=\"next\"")));
    }
    let body = json!({
        "id": endpoint,
        "context": {"id": course.id.to_string(), "label": html_to_text(&course.shortname), "title": html_to_text(&course.fullname)},
        "members": members,
    });
    reply.content_type = NRPS.to_owned();
    reply.body = String::from_utf8_lossy(&php_json::encode(&body)).into_owned();
    reply
}

/// One member as `users_to_json()` writes it.
fn member(
    db: &Db,
    tool: &ToolType,
    user: &User,
    instructor: bool,
    link: Option<&crate::lti::Instance>,
) -> Value {
    let mut m = Map::new();
    m.insert("status".into(), "Active".into());
    // lti_get_ims_role($user, null, $courseid, true): short names for LTI 2 style lists.
    let mut roles = vec![if instructor { "Instructor" } else { "Learner" }];
    if user.siteadmin {
        roles.retain(|r| *r != "Learner");
        roles.push("http://purl.imsglobal.org/vocab/lis/v2/person#Administrator");
    }
    m.insert("roles".into(), json!(roles));
    if let Some(lti) = link {
        let mut message = json!({"https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest"});
        if !lti.servicesalt.is_empty() && db.lti.instance_item(lti.id).is_some() {
            message["https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"] = json!({
                "lis_result_sourcedid": sourcedid(lti, user.id, lti.typeid),
                "lis_outcome_service_url": format!("{}/mod/lti/service.php", db.site.wwwroot),
            });
        }
        m.insert("message".into(), json!([message]));
    }
    let name = tool.config.sendname == SETTING_ALWAYS;
    let email = tool.config.sendemailaddr == SETTING_ALWAYS;
    m.insert("user_id".into(), user.id.to_string().into());
    m.insert("lis_person_sourcedid".into(), user.idnumber.clone().into());
    if name {
        m.insert("name".into(), user.fullname().into());
        m.insert("given_name".into(), user.firstname.clone().into());
        m.insert("family_name".into(), user.lastname.clone().into());
    }
    if email {
        m.insert("email".into(), user.email.clone().into());
    }
    if name {
        m.insert("ext_user_username".into(), user.username.clone().into());
    }
    Value::Object(m)
}

/// One membership as `users_to_jsonld()` writes it.
fn member_jsonld(
    db: &Db,
    tool: &ToolType,
    user: &User,
    instructor: bool,
    link: Option<&crate::lti::Instance>,
) -> Value {
    let mut member = Map::new();
    member.insert("@type".into(), "LISPerson".into());
    let mut m = Map::new();
    m.insert("status".into(), "Active".into());
    let mut roles = vec![if instructor { "Instructor" } else { "Learner" }];
    if user.siteadmin {
        roles.retain(|r| *r != "Learner");
        roles.push("http://purl.imsglobal.org/vocab/lis/v2/person#Administrator");
    }
    m.insert("role".into(), json!(roles));
    if let Some(lti) = link {
        let mut message = json!({"message_type": "basic-lti-launch-request"});
        if !lti.servicesalt.is_empty() && db.lti.instance_item(lti.id).is_some() {
            let sourcedid = sourcedid(lti, user.id, lti.typeid);
            message["lis_result_sourcedid"] = sourcedid.clone().into();
            member.insert("resultSourcedId".into(), sourcedid.into());
        }
        m.insert("message".into(), json!([message]));
    }
    let name = tool.config.sendname == SETTING_ALWAYS;
    member.insert("userId".into(), user.id.to_string().into());
    member.insert("sourcedId".into(), user.idnumber.clone().into());
    if name {
        member.insert("name".into(), user.fullname().into());
        member.insert("givenName".into(), user.firstname.clone().into());
        member.insert("familyName".into(), user.lastname.clone().into());
    }
    if tool.config.sendemailaddr == SETTING_ALWAYS {
        member.insert("email".into(), user.email.clone().into());
    }
    if name {
        member.insert("ext_user_username".into(), user.username.clone().into());
    }
    m.insert("member".into(), Value::Object(member));
    Value::Object(m)
}
