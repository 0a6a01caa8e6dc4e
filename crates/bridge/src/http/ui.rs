//! The pages the bridge serves to people (`ui/`: plain HTML, CSS and JavaScript, compiled
//! in, nothing fetched from elsewhere): the file manager, the login step, notices, the
//! deep-linking picker and the stored-files list; and the `/ui/*` assets.
//!
//! Every page carries a Content-Security-Policy: scripts and styles only from the bridge,
//! no inline script (configuration travels in `application/json` blocks), and
//! `frame-ancestors` naming the launching platform's origin — the page works inside Moodle's
//! iframe there and nowhere else (no blanket `X-Frame-Options: DENY`).

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::html::escape;

use crate::file_manager::StoredFile;
use crate::lti_tool::DeepLinkChoices;

const FILE_MANAGER: &str = include_str!("ui/filemanager.html");
const LOGIN: &str = include_str!("ui/login.html");
const MESSAGE: &str = include_str!("ui/message.html");

/// The `/ui/*` assets: name, content type, body.
const ASSETS: [(&str, &str, &str); 4] = [
    (
        "filemanager.js",
        "text/javascript; charset=utf-8",
        include_str!("ui/filemanager.js"),
    ),
    (
        "filemanager.css",
        "text/css; charset=utf-8",
        include_str!("ui/filemanager.css"),
    ),
    (
        "login.js",
        "text/javascript; charset=utf-8",
        include_str!("ui/login.js"),
    ),
    (
        "close.js",
        "text/javascript; charset=utf-8",
        include_str!("ui/close.js"),
    ),
];

/// `GET /ui/{name}`.
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=300"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// JSON safe inside a `<script type="application/json">` block.
fn script_json(value: &Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The page's Content-Security-Policy: framed only by `frame_origin` (any site for pages
/// without data), forms posted to the bridge and `form_origin`.
fn csp(frame_origin: Option<&str>, form_origin: Option<&str>) -> HeaderValue {
    let ancestors = match frame_origin {
        Some(origin) => format!("'self' {origin}"),
        None => "*".to_owned(),
    };
    let forms = form_origin.map_or_else(String::new, |o| format!(" {o}"));
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'{forms}; base-uri 'none'; frame-ancestors {ancestors}"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

/// An HTML answer with the security headers every page has.
pub fn html(
    status: StatusCode,
    body: String,
    frame_origin: Option<&str>,
    form_origin: Option<&str>,
) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        csp(frame_origin, form_origin),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The file manager page, with its configuration (launch token included).
pub fn file_manager(base: &str, config: &Value, frame_origin: &str) -> Response {
    let page = FILE_MANAGER
        .replace("{{BASE}}", &escape(base))
        .replace("{{CONFIG}}", &script_json(config));
    html(StatusCode::OK, page, Some(frame_origin), None)
}

/// The login step: bind the state (platform storage or cookie), then go to the platform.
pub fn login(base: &str, config: &Value, auth_url: &str, frame_origin: &str) -> Response {
    let page = LOGIN
        .replace("{{BASE}}", &escape(base))
        .replace("{{AUTH_URL}}", &escape(auth_url))
        .replace("{{CONFIG}}", &script_json(config));
    html(StatusCode::OK, page, Some(frame_origin), None)
}

/// A notice for people: a title and HTML paragraphs (already escaped), with a code for tests
/// and support.
pub fn message(
    base: &str,
    status: StatusCode,
    code: &str,
    title: &str,
    body_html: &str,
    frame_origin: Option<&str>,
) -> Response {
    let page = MESSAGE
        .replace("{{BASE}}", &escape(base))
        .replace("{{TITLE}}", &escape(title))
        .replace("{{CODE}}", &escape(code))
        .replace("{{BODY}}", body_html);
    html(status, page, frame_origin, None)
}

/// The end of a dynamic registration: closes the platform's dialog.
pub fn registered(base: &str, registration: &str) -> Response {
    let body = format!(
        "<p>Moodle Bridge is registered (registration <code>{0}</code>), pending approval. In Moodle, an \
         administrator activates the new tool in Site administration › Plugins › External tool › \
         Manage tools; on the bridge, its administrator approves it with \
         <code>moodle-bridge lti approve {0}</code>. Launches work once both are done.</p>\n\
         <script src=\"{1}ui/close.js\"></script>",
        escape(registration),
        escape(base)
    );
    message(
        base,
        StatusCode::OK,
        "registered",
        "Registered",
        &body,
        None,
    )
}

/// The deep-linking picker: each choice is a form posting its pre-signed answer to the
/// platform.
pub fn deep_link_picker(base: &str, choices: &DeepLinkChoices) -> Response {
    let form = |jwt: &str, label: &str, class: &str| {
        format!(
            "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"JWT\" value=\"{}\">\
             <button type=\"submit\" class=\"{class}\">{}</button></form>",
            escape(&choices.return_url),
            escape(jwt),
            escape(label)
        )
    };
    let mut body = String::from(
        "<p>Add Moodle Bridge to the course. Teachers who open the activity get the file manager: \
         learners' Moodle files, copied into the bridge, uploads, downloads.</p>\n<div class=\"row\">",
    );
    body.push_str(&form(&choices.file_manager, "Add the file manager", ""));
    if let Some(graded) = &choices.file_manager_graded {
        body.push_str(&form(graded, "Add it with a grade column", "secondary"));
    }
    body.push_str(&form(&choices.cancel, "Cancel", "secondary"));
    body.push_str("</div>");
    let page = MESSAGE
        .replace("{{BASE}}", &escape(base))
        .replace("{{TITLE}}", "Add Moodle Bridge")
        .replace("{{CODE}}", "deeplinking")
        .replace("{{BODY}}", &body);
    html(
        StatusCode::OK,
        page,
        Some(&choices.origin),
        Some(&origin_of(&choices.return_url)),
    )
}

/// `GET /files`: the stored files as a table.
pub fn files_page(base: &str, files: &[StoredFile]) -> Response {
    let mut rows = String::new();
    for f in files {
        rows.push_str(&format!(
            "<tr><td class=\"name\"><a href=\"{base}download_file/{id}\">{name}</a></td><td class=\"num\">{size}</td>\
             <td>{ctype}</td><td>{from}</td><td class=\"hash\">{sha}</td><td>{by}</td></tr>\n",
            base = escape(base),
            id = escape(&f.id),
            name = escape(&f.name),
            size = f.size,
            ctype = escape(&f.content_type),
            from = escape(f.moodle.as_ref().map_or("upload", |m| m.location.as_str())),
            sha = escape(&f.sha256),
            by = escape(&f.stored_by),
        ));
    }
    let body = if files.is_empty() {
        "<p class=\"empty\">No files are stored.</p>".to_owned()
    } else {
        format!(
            "<table class=\"files\"><thead><tr><th>Name</th><th>Bytes</th><th>Type</th><th>From</th>\
             <th>SHA-256</th><th>Stored by</th></tr></thead><tbody>\n{rows}</tbody></table>"
        )
    };
    message(base, StatusCode::OK, "files", "Stored files", &body, None)
}

/// The origin of a URL (for `form-action`), or the URL itself when it has none.
fn origin_of(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| url.to_owned(), |u| u.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_cannot_close_its_script_block() {
        let json = script_json(&serde_json::json!({"name": "</script><script>alert(1)</script>"}));
        assert!(!json.contains("</script"), "{json}");
        assert_eq!(
            serde_json::from_str::<Value>(&json).expect("still JSON")["name"],
            "</script><script>alert(1)</script>"
        );
    }

    #[test]
    fn pages_may_be_framed_by_the_platform_only() {
        let page = html(
            StatusCode::OK,
            String::new(),
            Some("https://moodle.example"),
            None,
        );
        let policy = page.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(
            policy.ends_with("frame-ancestors 'self' https://moodle.example"),
            "{policy}"
        );
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(!page.headers().contains_key(header::X_FRAME_OPTIONS));
    }
}
