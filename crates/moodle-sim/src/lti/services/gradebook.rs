//! `ltiservice_gradebookservices`' line item resources (`resources/lineitems.php`,
//! `resources/lineitem.php`, the service's `get_lineitems()`, `get_lineitem()`,
//! `add_standalone_lineitem()`, `item_for_json()`): the activity's own grade item and the
//! standalone items a tool creates, as line items whose ids end in `?type_id=`.

use axum::http::Method;
use serde_json::{Map, Value};

use super::{Reply, Request};
use crate::lti::ToolType;
use crate::lti::data::{Gbs, GradeItem};
use crate::lti::token::{SCOPE_LINEITEM, SCOPE_LINEITEM_READ, gradebook_scopes};
use crate::php_json;
use crate::state::State as Db;

const CONTAINER: &str = "application/vnd.ims.lis.v2.lineitemcontainer+json";
const LINEITEM: &str = "application/vnd.ims.lis.v2.lineitem+json";

fn permitted(tool: &ToolType) -> Vec<&'static str> {
    gradebook_scopes(tool.config.gradesync)
}

/// What every gradebook resource checks first: the token, the course, the tool's right to it.
pub(super) fn prelude(db: &Db, req: &Request, scopes: &[&str]) -> Result<(i64, i64), Reply> {
    let Some(typeid) = req.check_tool(db, req.int("type_id"), scopes, permitted) else {
        return Err(Reply::status(401, ""));
    };
    let context = req.segments().get(1).copied().unwrap_or_default();
    let courseid = crate::external::param::php_intval(context);
    if !db.courses.contains_key(&courseid) || context.is_empty() {
        return Err(Reply::status(
            404,
            &format!("Not Found: Course {context} doesn't exist"),
        ));
    }
    if !allowed_in_context(db, typeid, courseid) {
        return Err(Reply::status(403, "Not allowed in context"));
    }
    Ok((typeid, courseid))
}

/// `service_base::is_allowed_in_context()`: a site tool or one of this course.
pub(super) fn allowed_in_context(db: &Db, typeid: i64, courseid: i64) -> bool {
    db.lti
        .types
        .get(&typeid)
        .is_some_and(|t| t.course == courseid || t.course == crate::state::SITE_ID)
}

/// `get_lineitem()`: the item, if it is the tool's (a tool line item, or the item of an
/// activity of this tool type).
pub(super) fn tool_item(db: &Db, itemid: i64, typeid: i64) -> Option<GradeItem> {
    let item = db.lti.grade_items.get(&itemid)?;
    if db.lti.gbs.contains_key(&itemid) {
        return Some(item.clone());
    }
    let instance = db.lti.instances.get(&item.iteminstance?)?;
    (db.lti.instance_type(instance)?.id == typeid).then(|| item.clone())
}

/// The line item resources' base URL: `services.php/<course>/lineitems`.
pub(super) fn endpoint(db: &Db, courseid: i64) -> String {
    format!(
        "{}/mod/lti/services.php/{courseid}/lineitems",
        db.site.wwwroot
    )
}

/// `gradebookservices::item_for_json()`.
pub(super) fn item_for_json(db: &Db, item: &GradeItem, endpoint: &str, typeid: i64) -> Value {
    let mut o = Map::new();
    o.insert(
        "id".into(),
        format!("{endpoint}/{}/lineitem?type_id={typeid}", item.id).into(),
    );
    o.insert("label".into(), item.itemname.clone().into());
    o.insert("scoreMaximum".into(), item.grademax.into());
    let link = |o: &mut Map<String, Value>, id: Option<i64>| {
        if let Some(id) = id {
            o.insert("resourceLinkId".into(), id.to_string().into());
            o.insert("ltiLinkId".into(), id.to_string().into());
        }
    };
    if let Some(gbs) = db.lti.gbs.get(&item.id) {
        o.insert(
            "resourceId".into(),
            gbs.resourceid.clone().unwrap_or_default().into(),
        );
        o.insert("tag".into(), gbs.tag.clone().unwrap_or_default().into());
        link(&mut o, gbs.ltilinkid);
    } else {
        o.insert("tag".into(), "".into());
        link(&mut o, item.iteminstance);
    }
    Value::Object(o)
}

fn encode(v: &Value) -> String {
    String::from_utf8_lossy(&php_json::encode(v)).into_owned()
}

/// `check_lti_1x_id()`: the link is an activity of this course and tool type.
fn link_of_tool(db: &Db, linkid: i64, courseid: i64, typeid: i64) -> bool {
    db.lti
        .instances
        .get(&linkid)
        .filter(|i| i.course == courseid)
        .and_then(|i| db.lti.instance_type(i))
        .is_some_and(|t| t.id == typeid)
}

/// `resources/lineitems.php`: GET lists the tool's line items, POST adds one (201).
pub(super) fn lineitems(db: &mut Db, req: &Request, mut reply: Reply) -> Reply {
    let post = req.method == Method::POST;
    let mut scopes = vec![SCOPE_LINEITEM];
    if !post {
        scopes.push(SCOPE_LINEITEM_READ);
    }
    let (typeid, courseid) = match prelude(db, req, &scopes) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let contenttype = if post {
        req.content_type.clone()
    } else {
        req.accept.clone().unwrap_or_default()
    };
    let container = contenttype.is_empty() || contenttype == CONTAINER;
    if container == post
        || (!contenttype.is_empty() && contenttype != CONTAINER && contenttype != LINEITEM)
    {
        return Reply::status(400, "No context or unsupported content type");
    }
    let endpoint = endpoint(db, courseid);
    if post {
        return match add_lineitem(db, req, courseid, typeid, &endpoint) {
            Ok(body) => Reply::body(201, LINEITEM, body),
            Err(r) => r,
        };
    }
    let filter = |name: &str| req.param(name).map(str::to_owned);
    let (resourceid, tag) = (filter("resource_id"), filter("tag"));
    let linkid = filter("resource_link_id").or_else(|| filter("lti_link_id"));
    let items: Vec<Value> = db
        .lti
        .grade_items
        .values()
        .filter(|i| i.courseid == courseid)
        .filter(|i| {
            let gbs = db.lti.gbs.get(&i.id);
            let loose = |stored: &Option<String>, asked: &Option<String>| {
                asked
                    .as_ref()
                    .is_none_or(|a| stored.clone().unwrap_or_default() == *a)
            };
            match gbs {
                Some(g)
                    if loose(&g.tag, &tag)
                        && linkid.as_ref().is_none_or(|l| {
                            g.ltilinkid.map(|x| x.to_string()).as_deref() == Some(l.as_str())
                        })
                        && loose(&g.resourceid, &resourceid) =>
                {
                    g.typeid == typeid
                }
                _ => {
                    i.itemtype == "mod"
                        && resourceid.is_none()
                        && tag.is_none()
                        && linkid.as_ref().is_none_or(|l| {
                            i.iteminstance.map(|x| x.to_string()).as_deref() == Some(l.as_str())
                        })
                        && tool_item(db, i.id, typeid).is_some()
                }
            }
        })
        .map(|i| item_for_json(db, i, &endpoint, typeid))
        .collect();
    let (limit, from) = (req.int("limit").unwrap_or(0), req.int("from").unwrap_or(0));
    let total = items.len() as i64;
    let page: Vec<Value> = if limit > 0 {
        items
            .into_iter()
            .skip(from.max(0) as usize)
            .take(limit as usize)
            .collect()
    } else {
        items
    };
    if limit > 0 {
        // The Link header as Moodle writes it, typographic quotes included.
        // moodle_url::out() escapes `&` by default.
        let url = |f: i64| format!("{endpoint}?type_id={typeid}&amp;limit={limit}&amp;from={f}");
        let out_of_range = from >= total || from < 0;
        let mut links = format!("<{}>; rel=“first”", url(0));
        if from > 0 && !out_of_range {
            links.push_str(&format!(", <{}>; rel=“prev”", url((from - limit).max(0))));
        }
        links.push_str(&format!(", <{}>; rel=“canonical”", url(from)));
        if from + limit < total && !out_of_range {
            links.push_str(&format!(", <{}>; rel=“next”", url(from + limit)));
        }
        links.push_str(&format!(
            ", <{}>; rel=“last”",
            url((total - limit + 1).max(0))
        ));
        reply.headers.push(("link", links));
    }
    reply.code = 200;
    reply.content_type = CONTAINER.to_owned();
    reply.body = encode(&Value::Array(page));
    reply
}

/// `get_json_for_post_request()` + `add_standalone_lineitem()`.
fn add_lineitem(
    db: &mut Db,
    req: &Request,
    courseid: i64,
    typeid: i64,
    endpoint: &str,
) -> Result<String, Reply> {
    let mut json: Map<String, Value> = match serde_json::from_slice(&req.body) {
        Ok(Value::Object(m)) if !m.is_empty() => m,
        _ => return Err(Reply::status(400, "No label or Score Maximum")),
    };
    let (Some(max), Some(label)) = (
        json.get("scoreMaximum").filter(|v| !v.is_null()),
        json.get("label").filter(|v| !v.is_null()),
    ) else {
        return Err(Reply::status(400, "No label or Score Maximum"));
    };
    let max = match max {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => s.trim().parse().map_err(|_| Reply::status(400, ""))?,
        _ => return Err(Reply::status(400, "")),
    };
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    let label = text(Some(label)).unwrap_or_default();
    let linkid = text(json.get("resourceLinkId")).or_else(|| text(json.get("ltiLinkId")));
    let linkid = match linkid {
        Some(l) => {
            let id = crate::external::param::php_intval(&l);
            if !link_of_tool(db, id, courseid, typeid) {
                return Err(Reply::status(403, ""));
            }
            Some(id)
        }
        None => None,
    };
    let id = db.seq.next("grade_items");
    db.lti.grade_items.insert(
        id,
        GradeItem {
            id,
            courseid,
            itemtype: "manual".to_owned(),
            iteminstance: None,
            itemname: label,
            grademax: max,
        },
    );
    db.lti.gbs.insert(
        id,
        Gbs {
            gradeitemid: id,
            courseid,
            typeid,
            ltilinkid: linkid,
            resourceid: Some(text(json.get("resourceId")).unwrap_or_default()),
            tag: Some(text(json.get("tag")).unwrap_or_default()),
        },
    );
    json.insert(
        "id".into(),
        format!("{endpoint}/{id}/lineitem?type_id={typeid}").into(),
    );
    Ok(Value::Object(json).to_string())
}

/// `resources/lineitem.php`: GET one line item, PUT changes it, DELETE removes a tool's.
pub(super) fn lineitem(db: &mut Db, req: &Request, mut reply: Reply) -> Reply {
    let get = req.method == Method::GET;
    let scopes: &[&str] = if get {
        &[SCOPE_LINEITEM, SCOPE_LINEITEM_READ]
    } else {
        &[SCOPE_LINEITEM]
    };
    let (typeid, courseid) = match prelude(db, req, scopes) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let itemid_text = req
        .segments()
        .get(3)
        .copied()
        .unwrap_or_default()
        .to_owned();
    let itemid = crate::external::param::php_intval(&itemid_text);
    if !db.lti.grade_items.contains_key(&itemid) {
        return Reply::status(
            404,
            &format!("Not Found: Grade item {itemid_text} doesn't exist"),
        );
    }
    let Some(item) = tool_item(db, itemid, typeid) else {
        return Reply::status(404, "Line item does not exist");
    };
    let endpoint = endpoint(db, courseid);
    match req.method.as_str() {
        "GET" => {
            reply.content_type = LINEITEM.to_owned();
            reply.body = encode(&item_for_json(db, &item, &endpoint, typeid));
            reply
        }
        "PUT" => {
            let json: Map<String, Value> = match serde_json::from_slice(&req.body) {
                Ok(Value::Object(m))
                    if m.contains_key("label") && m.contains_key("scoreMaximum") =>
                {
                    m
                }
                _ => return Reply::status(400, ""),
            };
            let Some(max) = json["scoreMaximum"]
                .as_f64()
                .or_else(|| json["scoreMaximum"].as_str()?.parse().ok())
            else {
                return Reply::status(400, "");
            };
            if let Some(i) = db.lti.grade_items.get_mut(&itemid) {
                i.itemname = json["label"].as_str().unwrap_or_default().to_owned();
                i.grademax = max;
            }
            if let Some(g) = db.lti.gbs.get_mut(&itemid) {
                g.resourceid = Some(
                    json.get("resourceId")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                );
                g.tag = Some(
                    json.get("tag")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
            let mut out = json;
            out.insert(
                "id".into(),
                format!("{endpoint}/{itemid}/lineitem?type_id={typeid}").into(),
            );
            Reply::body(200, &reply.content_type, Value::Object(out).to_string())
        }
        _ => {
            if db.lti.gbs.remove(&itemid).is_none() {
                return Reply::status(403, "");
            }
            db.lti.grade_items.remove(&itemid);
            db.lti.grades.retain(|(i, _), _| *i != itemid);
            Reply::status(204, "")
        }
    }
}
