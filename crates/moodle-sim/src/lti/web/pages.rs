//! The pages between logging in and a launch: the dashboard (`my/`), a course page
//! (`course/view.php`) listing its activities, an External tool activity
//! (`mod/lti/view.php`: the tool launched inside an iframe, as Moodle's "embed" launch
//! containers do, plus a link to launch it in a new window) and the launch return
//! (`mod/lti/return.php`). Minimal markup, Moodle's URLs and parameters.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;

use super::{Visitor, require_login, require_sesskey, who};
use crate::endpoints::{Shared, request_vars, var};
use crate::lti::http::{self, escape};
use crate::state::{ContextLevel, ModInstance, State as Db, now};

/// The postMessage storage protocol (LTI Client Side postMessages: `lti.capabilities`,
/// `lti.put_data`, `lti.get_data`), answered for the tool frame when the site offers
/// `lti_storage_target`. Values are kept per tool origin for the life of the page.
const STORAGE_SCRIPT: &str = r#"<script>
(function () {
    var store = {};
    window.addEventListener('message', function (event) {
        var m = event.data;
        if (!m || typeof m !== 'object' || typeof m.subject !== 'string' || !event.source) {
            return;
        }
        var reply = {subject: m.subject + '.response', message_id: m.message_id};
        var slot = event.origin + ' ' + m.key;
        if (m.subject === 'lti.capabilities') {
            reply.supported_messages = [{subject: 'lti.capabilities'}, {subject: 'lti.put_data'}, {subject: 'lti.get_data'}];
        } else if (m.subject === 'lti.put_data' && typeof m.key === 'string') {
            store[slot] = m.value;
            reply.key = m.key;
            reply.value = m.value;
        } else if (m.subject === 'lti.get_data' && typeof m.key === 'string') {
            reply.key = m.key;
            if (Object.prototype.hasOwnProperty.call(store, slot)) {
                reply.value = store[slot];
            } else {
                reply.error = {code: 'bad_request', message: 'no value stored for this key'};
            }
        } else {
            reply.error = {code: 'unsupported_subject', message: 'unsupported subject ' + m.subject};
        }
        event.source.postMessage(reply, event.origin === 'null' ? '*' : event.origin);
    });
})();
</script>"#;

fn render(db: &mut Db, v: &Visitor, title: &str, body: &str) -> Response {
    let site = db.site.clone();
    let me = who(db, v);
    let who = me.as_ref().map(|(n, k)| (n.as_str(), k.as_str()));
    http::with_session(
        http::page_answer(200, http::page(&site, title, who, body)),
        v.cookie(),
    )
}

/// `my/`: the user's courses.
pub(super) async fn dashboard(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let mut db = shared.db();
    let v = match require_login(&mut db, &headers, "/my/") {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    let admin = db.live_user(v.userid).is_some_and(|u| u.siteadmin);
    let now = now();
    let items: String = db
        .courses
        .values()
        .filter(|c| c.id != crate::state::SITE_ID && (admin || db.is_enrolled(v.userid, c.id, now)))
        .map(|c| {
            format!(
                "<li><a href=\"{}/course/view.php?id={}\">{}</a></li>\n",
                db.site.wwwroot,
                c.id,
                escape(&c.fullname)
            )
        })
        .collect();
    let body = format!("<h2>My courses</h2>\n<ul class=\"courses\">\n{items}</ul>");
    render(&mut db, &v, "Dashboard", &body)
}

/// `course/view.php?id=`: sections and activities; External tool activities link to their
/// page (launch in an iframe) and to a launch in a new window.
pub(super) async fn course(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let vars = request_vars(uri.query(), &headers, &[]);
    let id = var(&vars, "id")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0);
    let mut db = shared.db();
    let v = match require_login(&mut db, &headers, &format!("/course/view.php?id={id}")) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    let Some(course) = db.courses.get(&id).cloned() else {
        return not_accessible(
            &mut db,
            &v,
            "Can't find data record in database table course.",
            "invalidrecord",
        );
    };
    if db.require_course_login(v.userid, id, now()).is_err() {
        return not_accessible(
            &mut db,
            &v,
            "Course or activity not accessible.",
            "requireloginerror",
        );
    }
    let www = db.site.wwwroot.clone();
    let mut sections: Vec<_> = db
        .sections
        .values()
        .filter(|s| s.course == id)
        .cloned()
        .collect();
    sections.sort_by_key(|s| s.section);
    let mut body = format!("<h1>{}</h1>\n", escape(&course.fullname));
    for s in &sections {
        let name = s.name.clone().unwrap_or_else(|| match s.section {
            0 => "General".to_owned(),
            n => format!("Section {n}"),
        });
        body.push_str(&format!(
            "<section class=\"section\" id=\"section-{}\">\n<h3>{}</h3>\n<ul>\n",
            s.section,
            escape(&name)
        ));
        for cm in s
            .sequence
            .iter()
            .filter_map(|c| db.cms.get(c))
            .filter(|c| c.visible)
        {
            let line = match &cm.kind {
                ModInstance::Label => cm.intro.clone(),
                ModInstance::Lti => format!(
                    "<a href=\"{www}/mod/lti/view.php?id={0}\">{1}</a> (<a href=\"{www}/mod/lti/launch.php?id={0}\" target=\"_blank\">open in a new window</a>)",
                    cm.id,
                    escape(&cm.name)
                ),
                _ => format!(
                    "<a href=\"{www}/mod/{}/view.php?id={}\">{}</a>",
                    cm.modname,
                    cm.id,
                    escape(&cm.name)
                ),
            };
            body.push_str(&format!(
                "<li class=\"activity {}\" id=\"module-{}\">{line}</li>\n",
                cm.modname, cm.id
            ));
        }
        body.push_str("</ul>\n</section>\n");
    }
    let ctx = db.context_id(ContextLevel::Course, id).unwrap_or_default();
    if db.has_capability(v.userid, "moodle/course:manageactivities", ctx) {
        for t in db
            .lti
            .types
            .values()
            .filter(|t| t.state == crate::lti::data::STATE_CONFIGURED && t.config.contentitem)
        {
            body.push_str(&format!(
                "<p><a href=\"{www}/course/modedit.php?add=lti&amp;typeid={}&amp;course={id}&amp;section=1\">Add content from {}</a></p>\n",
                t.id,
                escape(&t.name)
            ));
        }
    }
    render(&mut db, &v, &format!("Course: {}", course.fullname), &body)
}

fn not_accessible(db: &mut Db, v: &Visitor, message: &str, code: &str) -> Response {
    let site = db.site.clone();
    let me = who(db, v);
    let who = me.as_ref().map(|(n, k)| (n.as_str(), k.as_str()));
    http::with_session(http::fatal_error(&site, who, message, code), v.cookie())
}

/// `mod/lti/view.php?id=`: the activity page; the tool is launched in an iframe
/// (`launch.php?id=…&triggerview=0`), as for the "Embed" launch containers.
pub(super) async fn activity(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let vars = request_vars(uri.query(), &headers, &[]);
    let id = var(&vars, "id")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0);
    let mut db = shared.db();
    let v = match require_login(&mut db, &headers, &format!("/mod/lti/view.php?id={id}")) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    let Some(cm) = db.cms.get(&id).filter(|c| c.modname == "lti").cloned() else {
        return not_accessible(
            &mut db,
            &v,
            "Invalid course module ID",
            "invalidcoursemodule",
        );
    };
    let ctx = db.context_id(ContextLevel::Module, id).unwrap_or_default();
    if db.validate_module_context(v.userid, id, now()).is_err()
        || !db.has_capability(v.userid, "mod/lti:view", ctx)
    {
        return not_accessible(
            &mut db,
            &v,
            "Course or activity not accessible.",
            "requireloginerror",
        );
    }
    let www = db.site.wwwroot.clone();
    let storage = if db.lti.storage_target {
        STORAGE_SCRIPT
    } else {
        ""
    };
    let body = format!(
        "<h2>{name}</h2>\n<p><a href=\"{www}/course/view.php?id={course}\">Back to the course</a> · <a href=\"{www}/mod/lti/launch.php?id={id}\" target=\"_blank\">Open in a new window</a></p>\n<iframe id=\"contentframe\" name=\"contentframe\" height=\"600px\" width=\"100%\" src=\"{www}/mod/lti/launch.php?id={id}&amp;triggerview=0\" allow=\"microphone *; camera *; geolocation *; midi *; encrypted-media *; autoplay *; clipboard-write *\" allowfullscreen=\"1\"></iframe>\n{storage}",
        name = escape(&cm.name),
        course = cm.course,
    );
    render(&mut db, &v, &cm.name, &body)
}

/// `mod/lti/return.php`: back from the tool to the course, out of the launch frame.
pub(super) async fn launch_return(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let vars = request_vars(uri.query(), &headers, &[]);
    let course = var(&vars, "course")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0);
    let mut db = shared.db();
    let v = match require_login(&mut db, &headers, &format!("/course/view.php?id={course}")) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    if let Err((message, code)) = require_sesskey(&mut db, &v, var(&vars, "sesskey")) {
        return not_accessible(&mut db, &v, message, code);
    }
    let url = format!("{}/course/view.php?id={course}", db.site.wwwroot);
    let body = format!(
        "<p><a href=\"{url}\">Continue</a></p>\n<script>if (window !== window.top) {{ window.top.location.href = {}; }} else {{ window.location.href = {}; }}</script>",
        serde_json::Value::from(url.as_str()),
        serde_json::Value::from(url.as_str())
    );
    render(&mut db, &v, "External tool", &body)
}

/// `/`: the dashboard for logged-in users, the login page for others.
pub(super) async fn front(State(shared): State<Arc<Shared>>) -> Response {
    let wwwroot = shared.db().site.wwwroot.clone();
    http::redirect(&format!("{wwwroot}/my/"))
}
