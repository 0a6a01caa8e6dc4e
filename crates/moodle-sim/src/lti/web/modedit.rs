//! `course/modedit.php?add=lti`: adding an External tool activity from deep linking. The page
//! opens the tool's content selection (`mod/lti/contentitem.php`) in a frame; the tool's
//! answer comes back through `contentitem_return.php`, whose script hands the converted
//! content item to `processContentItemReturnData()` (as `mod/lti/amd/src/contentitem.js`
//! does), which fills the form; saving it creates the activity as `lti_add_instance()`
//! does: the tool matched by URL, a grade item when grades are accepted, and the tool's
//! line item data (`ltiservice_gradebookservices::instance_added()`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::Value;

use super::{require_login, require_sesskey, who};
use crate::endpoints::{Shared, request_vars, var};
use crate::lti::data::{
    CONTAINER_DEFAULT, Gbs, GradeItem, Instance, SETTING_ALWAYS, STATE_CONFIGURED, domain_of,
};
use crate::lti::http::{self, escape, random_string, urlencode};
use crate::php::{PhpArray, PhpKey, PhpValue};
use crate::state::{ContextLevel, ModInstance, NewModule, State as Db, now};

/// The form's fields, named as the keys `content_item_to_form()` returns, and the script that
/// fills them (`window.processContentItemReturnData`, which the framed
/// `contentitem_return.php` page calls).
fn add_form(wwwroot: &str, course: i64, section: i64, sesskey: &str) -> String {
    format!(
        r#"<form id="ltiaddform" action="{wwwroot}/course/modedit.php" method="post" hidden>
  <input type="hidden" name="add" value="lti"><input type="hidden" name="course" value="{course}">
  <input type="hidden" name="section" value="{section}"><input type="hidden" name="sesskey" value="{sesskey}">
  <input type="hidden" name="multiple" value="">
  <label>Activity name <input type="text" name="name" value=""></label>
  <input type="hidden" name="introeditor[text]" value=""><input type="hidden" name="toolurl" value="">
  <input type="hidden" name="typeid" value="0"><input type="hidden" name="instructorchoiceacceptgrades" value="0">
  <input type="hidden" name="grade_modgrade_point" value="100"><input type="hidden" name="lineitemresourceid" value="">
  <input type="hidden" name="lineitemtag" value=""><input type="hidden" name="instructorcustomparameters" value="">
  <span id="selectcontentindicator"></span>
  <button type="submit" id="id_submitbutton">Save and return to course</button>
</form>
<script>
window.processContentItemReturnData = function (data) {{
    var form = document.getElementById('ltiaddform');
    if (data.multiple) {{
        form.elements.multiple.value = JSON.stringify(data.multiple);
    }} else {{
        ['name', 'toolurl', 'typeid', 'instructorchoiceacceptgrades', 'grade_modgrade_point',
         'lineitemresourceid', 'lineitemtag', 'instructorcustomparameters'].forEach(function (k) {{
            if (data[k] !== undefined && data[k] !== null) {{ form.elements[k].value = data[k]; }}
        }});
        if (data.introeditor) {{ form.elements['introeditor[text]'].value = data.introeditor.text; }}
    }}
    document.getElementById('selectcontentindicator').innerHTML = data.selectcontentindicator || '';
    form.hidden = false;
}};
</script>"#
    )
}

/// `course/modedit.php`: GET shows the form with the tool's selection frame, POST saves.
pub(in crate::lti) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let vars = request_vars(uri.query(), &headers, &body);
    let num = |name: &str| {
        var(&vars, name)
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(0)
    };
    let (course, section, typeid) = (num("course"), num("section"), num("typeid"));
    let mut db = shared.db();
    let here =
        format!("/course/modedit.php?add=lti&typeid={typeid}&course={course}&section={section}");
    let v = match require_login(&mut db, &headers, &here) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    let site = db.site.clone();
    let me = who(&mut db, &v);
    let who_ref = me.as_ref().map(|(n, k)| (n.as_str(), k.as_str()));
    let ctx = db.context_id(ContextLevel::Course, course);
    let allowed =
        ctx.is_some_and(|c| db.has_capability(v.userid, "moodle/course:manageactivities", c));
    if !allowed {
        return http::fatal_error(
            &site,
            who_ref,
            "Sorry, but you do not currently have permissions to do that (Manage activities).",
            "nopermissions",
        );
    }
    if method == Method::POST {
        if let Err((message, code)) = require_sesskey(&mut db, &v, var(&vars, "sesskey")) {
            return http::fatal_error(&site, who_ref, message, code);
        }
        // The teacher's browser request: the events it causes are theirs (origin web).
        db.plugins.outbox.begin("web", v.userid);
        for form in forms(&vars) {
            create_activity(&mut db, course, section, &form);
        }
        db.plugins.outbox.end_request();
        return http::redirect(&format!("{}/course/view.php?id={course}", site.wwwroot));
    }
    let sesskey = me.as_ref().map(|(_, k)| k.clone()).unwrap_or_default();
    let typename = db
        .lti
        .types
        .get(&typeid)
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let body = format!(
        "<h2>Adding a new External tool</h2>\n<p>Select content from {}:</p>\n<iframe id=\"contentitemframe\" height=\"500px\" width=\"100%\" src=\"{}/mod/lti/contentitem.php?id={typeid}&amp;course={course}&amp;section={section}&amp;title={}&amp;text=\"></iframe>\n{}",
        escape(&typename),
        site.wwwroot,
        urlencode(&typename),
        add_form(&site.wwwroot, course, section, &sesskey)
    );
    http::page_answer(
        200,
        http::page(&site, "Adding a new External tool", who_ref, &body),
    )
}

/// The activities a saved form asks for: one from the fields, or each of `multiple`.
fn forms(vars: &PhpArray) -> Vec<Value> {
    if let Some(Value::Array(items)) =
        var(vars, "multiple").and_then(|m| serde_json::from_str(m).ok())
    {
        return items;
    }
    let field = |k: &str| Value::from(var(vars, k).unwrap_or_default());
    let intro = match vars.get(&PhpKey::Str("introeditor".into())) {
        Some(PhpValue::Array(a)) => a
            .get(&PhpKey::Str("text".into()))
            .and_then(PhpValue::as_str)
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    vec![serde_json::json!({
        "name": field("name"), "introeditor": {"text": intro}, "toolurl": field("toolurl"),
        "typeid": field("typeid"), "instructorchoiceacceptgrades": field("instructorchoiceacceptgrades"),
        "grade_modgrade_point": field("grade_modgrade_point"), "lineitemresourceid": field("lineitemresourceid"),
        "lineitemtag": field("lineitemtag"), "instructorcustomparameters": field("instructorcustomparameters"),
    })]
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `add_moduleinfo()` + `lti_add_instance()` for one content item's form data. Returns the
/// course module id.
pub fn create_activity(db: &mut Db, course: i64, section: i64, form: &Value) -> i64 {
    let now = now();
    let toolurl = text(&form["toolurl"]);
    let mut typeid = number(&form["typeid"]) as i64;
    if typeid == 0 {
        // The form's `urlmatchedtypeid`: the configured tool of the URL's domain.
        let domain = domain_of(&toolurl);
        typeid = db
            .lti
            .types
            .values()
            .find(|t| t.state == STATE_CONFIGURED && Some(&t.tooldomain) == domain.as_ref())
            .map_or(0, |t| t.id);
    }
    let acceptgrades = number(&form["instructorchoiceacceptgrades"]) as i64;
    let grade = if acceptgrades == SETTING_ALWAYS {
        number(&form["grade_modgrade_point"])
    } else {
        0.0
    };
    let name = text(&form["name"]);
    let cmid = db.add_module(
        NewModule {
            course,
            section,
            name: name.clone(),
            intro: text(&form["introeditor"]["text"]),
            idnumber: Some(String::new()),
            visible: true,
            showdescription: false,
            kind: ModInstance::Lti,
        },
        now,
    );
    let Some(id) = db.cms.get(&cmid).map(|c| c.instance) else {
        return cmid;
    };
    let customparameters = text(&form["instructorcustomparameters"])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    db.lti.instances.insert(
        id,
        Instance {
            id,
            course,
            typeid,
            toolurl,
            grade,
            customparameters,
            launchcontainer: CONTAINER_DEFAULT,
            acceptgrades,
            servicesalt: format!(
                "{}.{}",
                random_string(13),
                rand::random::<u32>() % 100_000_000
            ),
        },
    );
    if acceptgrades == SETTING_ALWAYS {
        // lti_grade_item_update(), then update_coupled_gradebookservices().
        let itemid = db.seq.next("grade_items");
        db.lti.grade_items.insert(
            itemid,
            GradeItem {
                id: itemid,
                courseid: course,
                itemtype: "mod".to_owned(),
                iteminstance: Some(id),
                itemname: name,
                grademax: grade,
            },
        );
        if typeid != 0 {
            let opt = |k: &str| Some(text(&form[k])).filter(|s| !s.trim().is_empty());
            db.lti.gbs.insert(
                itemid,
                Gbs {
                    gradeitemid: itemid,
                    courseid: course,
                    typeid,
                    ltilinkid: Some(id),
                    resourceid: opt("lineitemresourceid"),
                    tag: opt("lineitemtag"),
                },
            );
        }
    }
    cmid
}
