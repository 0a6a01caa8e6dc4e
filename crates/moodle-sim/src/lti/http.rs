//! How the LTI scripts and pages answer: PHP's default `text/html` pages, the auto-posting
//! forms of `lti_initiate_login()` and `auth.php`, Moodle's redirects and its fatal error
//! page (`core_renderer::fatal_error()`: HTTP 404 with the boost error box), JSON written as
//! PHP writes it, and the session cookie.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{PrettyFormatter, Serializer};

/// Moodle's session cookie.
pub const SESSION_COOKIE: &str = "MoodleSession";

/// A body with a status and a content type.
pub fn answer(status: u16, content_type: &str, body: impl Into<Body>) -> Response {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

/// An HTML page as PHP sends it by default.
pub fn html(status: u16, body: impl Into<Body>) -> Response {
    answer(status, "text/html; charset=utf-8", body)
}

/// `json_encode($v, JSON_UNESCAPED_SLASHES | JSON_PRETTY_PRINT)`.
pub fn pretty_json(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = Serializer::with_formatter(&mut out, PrettyFormatter::with_indent(b"    "));
    // Serialising a `Value` into a Vec cannot fail.
    let _ = v.serialize(&mut ser);
    out
}

/// A pretty-printed JSON answer.
pub fn json_pretty(status: u16, content_type: &str, v: &Value) -> Response {
    answer(status, content_type, pretty_json(v))
}

/// The headers PHP adds once a session is started (`session_cache_limiter('nocache')`),
/// as on `launch.php` and `auth.php`.
pub fn no_cache(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::EXPIRES,
        HeaderValue::from_static("Thu, 19 Nov 1981 08:52:00 GMT"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache, must-revalidate"),
    );
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

/// Sets the session cookie. Moodle 4.5 over http sends it without `SameSite` (browsers then
/// apply `Lax`); the stand-in says `Lax` outright so every browser engine behaves alike.
pub fn with_session(mut resp: Response, sid: Option<&str>) -> Response {
    if let Some(sid) = sid
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{SESSION_COOKIE}={sid}; path=/; HttpOnly; SameSite=Lax"
        ))
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// `redirect($url)`: 303 with Moodle's short page.
pub fn redirect(location: &str) -> Response {
    let page = format!(
        "<html><head><title>Redirect</title></head><body><a href=\"{}\">This page should automatically redirect.</a></body></html>\n",
        escape(location)
    );
    let mut resp = no_cache(html(303, page));
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp.headers_mut()
        .insert("x-redirect-by", HeaderValue::from_static("Moodle"));
    resp
}

/// `htmlspecialchars($s, ENT_COMPAT)`: `& < > "` escaped, single quotes kept.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The hidden inputs of an auto-posting form, one per line as Moodle writes them.
fn hidden_inputs(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "  <input type=\"hidden\" name=\"{}\" value=\"{}\"/>\n",
                escape(k),
                escape(v)
            )
        })
        .collect()
}

/// The script that submits a form by name.
fn submit_script(name: &str) -> String {
    format!(
        "<script type=\"text/javascript\">\n//<![CDATA[\ndocument.{name}.submit();\n//]]>\n</script>\n"
    )
}

/// `lti_initiate_login()`: the login initiation form, posted by script.
pub fn login_form(action: &str, fields: &[(String, String)]) -> String {
    format!(
        "<form action=\"{action}\" name=\"ltiInitiateLoginForm\" id=\"ltiInitiateLoginForm\" method=\"post\" encType=\"application/x-www-form-urlencoded\">\n{}</form>\n{}",
        hidden_inputs(fields),
        submit_script("ltiInitiateLoginForm")
    )
}

/// `auth.php`: the authentication response form to `redirect_uri`, posted by script.
pub fn auth_form(action: &str, fields: &[(String, String)]) -> String {
    format!(
        "<form action=\"{action}\" name=\"ltiAuthForm\" id=\"ltiAuthForm\" method=\"post\" enctype=\"application/x-www-form-urlencoded\">\n{}</form>\n{}",
        hidden_inputs(fields),
        submit_script("ltiAuthForm")
    )
}

/// A page of the site: title, the logged-in line and a body. `sesskey` goes into `M.cfg`
/// as on every Moodle page.
pub fn page(
    site: &crate::state::Site,
    title: &str,
    who: Option<(&str, &str)>,
    body: &str,
) -> String {
    let cfg = serde_json::json!({
        "wwwroot": site.wwwroot,
        "sesskey": who.map_or("", |(_, sesskey)| sesskey),
    });
    let login = match who {
        Some((name, sesskey)) => format!(
            "You are logged in as {} (<a href=\"{}/login/logout.php?sesskey={sesskey}\">Log out</a>)",
            escape(name),
            site.wwwroot
        ),
        None => format!(
            "You are not logged in. (<a href=\"{}/login/index.php\">Log in</a>)",
            site.wwwroot
        ),
    };
    format!(
        "<!DOCTYPE html>\n<html dir=\"ltr\" lang=\"en\" xml:lang=\"en\">\n<head>\n    <title>{}</title>\n    <meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\" />\n<script>\n//<![CDATA[\nvar M = {{}}; M.cfg = {cfg};\n//]]>\n</script>\n</head>\n<body>\n<header><a href=\"{}/my/\">{}</a></header>\n<div id=\"page\"><div role=\"main\"><span id=\"maincontent\"></span>\n{body}\n</div></div>\n<footer><div class=\"logininfo\">{login}</div></footer>\n</body>\n</html>\n",
        escape(title),
        site.wwwroot,
        escape(&site.shortname),
    )
}

/// A theme page answer (`X-Frame-Options: sameorigin`, as `$OUTPUT->header()` sends it).
pub fn page_answer(status: u16, page: String) -> Response {
    let mut resp = no_cache(html(status, page));
    resp.headers_mut()
        .insert("x-frame-options", HeaderValue::from_static("sameorigin"));
    resp
}

/// `core_renderer::fatal_error()`: the error page, HTTP 404. `errorcode` names the string
/// of the "More information" link (`moodle/<code>` in docs.moodle.org).
pub fn fatal_error(
    site: &crate::state::Site,
    who: Option<(&str, &str)>,
    message: &str,
    errorcode: &str,
) -> Response {
    let body = format!(
        "<div class=\"box py-3 errorbox alert alert-danger\" data-rel=\"fatalerror\"><p class=\"errormessage\">{}</p><p class=\"errorcode\"><a href=\"https://docs.moodle.org/405/en/error/moodle/{errorcode}\">More information about this error</a></p></div>\n<div class=\"continuebutton\"><a href=\"{}/\">Continue</a></div>",
        escape(message),
        site.wwwroot
    );
    page_answer(
        404,
        page(site, &format!("Error | {}", site.shortname), who, &body),
    )
}

/// `random_string($length)`: letters and digits.
pub fn random_string(length: usize) -> String {
    use rand::Rng as _;
    const POOL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..length)
        .map(|_| char::from(POOL[rng.random_range(0..POOL.len())]))
        .collect()
}

/// `rawurlencode()`, as `moodle_url` encodes parameters.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_escaped_like_htmlspecialchars() {
        let form = login_form(
            "http://t/login",
            &[("lti_message_hint".into(), r#"{"cmid":8,"a":"b'c<"}"#.into())],
        );
        assert!(
            form.contains(r#"value="{&quot;cmid&quot;:8,&quot;a&quot;:&quot;b'c&lt;&quot;}"/>"#)
        );
        assert!(form.ends_with("document.ltiInitiateLoginForm.submit();\n//]]>\n</script>\n"));
    }

    #[test]
    fn pretty_json_uses_four_spaces_and_plain_slashes() {
        let out = String::from_utf8(pretty_json(&serde_json::json!({"a": ["http://x/y"]})))
            .expect("utf-8");
        assert_eq!(out, "{\n    \"a\": [\n        \"http://x/y\"\n    ]\n}");
    }
}
