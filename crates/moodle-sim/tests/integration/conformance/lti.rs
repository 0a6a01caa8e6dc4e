//! How the LTI recording's answers are compared beyond JSON bodies, by the same structural
//! walk and rules (`walk.rs`, `rules.rs`):
//! - an auto-posting form (`launch.php`, `contentitem.php`, `auth.php`): its `action`,
//!   `method` and fields against the recording's `form`; a JWT field is compared decoded
//!   against the recording's `decoded_jwt`, must verify with the key the site publishes in
//!   `certs.php`, and must live as long as the recorded one (`exp - iat`); the launch id the
//!   site generated is carried into later requests;
//! - a theme page by its data-carrying parts (`rules::THEME_PAGES`);
//! - the `Location` and `Link` headers (`rules::COMPARED_HEADERS`); a registration token in a
//!   redirect is compared decoded like an id_token, and its client id carried along;
//! - the line that is no exchange with Moodle (what reached the tool) by the requests the
//!   site itself made to the tool: the key set fetches and their `User-Agent`.

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::Value;

use super::compare::Comparator;
use super::generated::embedded_match;
use super::normalise::normalise_url;
use super::rules::COMPARED_HEADERS;
use super::walk::clip;
use crate::lti::html;
use crate::transcript::{Answer, Observation, Record};

/// A JWT's header and claims, unverified.
pub fn decode(jwt: &str) -> Option<Value> {
    use base64::Engine as _;
    let parts: Vec<&str> = jwt.split('.').collect();
    let part = |i: usize| -> Option<Value> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts.get(i)?)
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    if parts.len() != 3 {
        return None;
    }
    Some(serde_json::json!({"header": part(0)?, "claims": part(1)?}))
}

/// Whether a JWT verifies with a key of a key set (by `kid`).
fn verifies(jwt: &str, jwks: &Value) -> bool {
    let Some(kid) = jsonwebtoken::decode_header(jwt).ok().and_then(|h| h.kid) else {
        return false;
    };
    let Some(jwk) = jwks["keys"]
        .as_array()
        .and_then(|k| k.iter().find(|k| k["kid"] == kid.as_str()))
        .and_then(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
    else {
        return false;
    };
    let Ok(key) = DecodingKey::from_jwk(&jwk) else {
        return false;
    };
    let mut v = Validation::new(jsonwebtoken::Algorithm::RS256);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(jwt, &key, &v).is_ok()
}

fn looks_like_jwt(s: &str) -> bool {
    s.starts_with("eyJ") && s.split('.').count() == 3
}

/// The checks a site-signed JWT gets besides its decoded comparison: the signature with the
/// site's published key and the recorded lifetime.
fn check_jwt(
    c: &Comparator,
    name: &str,
    jwt: &str,
    expected: &Value,
    out: &mut Vec<String>,
) -> Value {
    let Some(actual) = decode(jwt) else {
        out.push(format!("{name}: not a JWT: {}", clip(jwt)));
        return Value::Null;
    };
    match &c.platform_jwks {
        Some(jwks) if verifies(jwt, jwks) => {}
        Some(_) => out.push(format!(
            "{name}: does not verify with the key the site publishes in certs.php"
        )),
        None => out.push(format!("{name}: no certs.php answer to verify it with")),
    }
    let life = |v: &Value| Some(v["claims"]["exp"].as_i64()? - v["claims"]["iat"].as_i64()?);
    if life(expected) != life(&actual) {
        out.push(format!(
            "{name}: lives {:?} s, recorded {:?} s (exp - iat)",
            life(&actual),
            life(expected)
        ));
    }
    actual
}

/// Carries the random part of a launch id (`lti_message_hint`) from the recording to the site.
fn carry_launch_id(c: &mut Comparator, expected: &Value, actual: &Value) {
    let id = |form: &Value| -> Option<String> {
        let hint: Value =
            serde_json::from_str(form["fields"]["lti_message_hint"].as_str()?).ok()?;
        let launchid = hint["launchid"].as_str()?.to_owned();
        let digits = launchid.len()
            - launchid
                .trim_end_matches(|c: char| c.is_ascii_digit())
                .len();
        Some(launchid[launchid.len() - digits..].to_owned())
    };
    if let (Some(e), Some(a)) = (id(expected), id(actual))
        && !e.is_empty()
        && !a.is_empty()
        && c.ids.get(&e).is_none()
    {
        c.ids.insert(e, a);
    }
}

/// An auto-posting form against the recorded one.
pub fn compare_form(c: &mut Comparator, record: &Record, text: &str, out: &mut Vec<String>) {
    let (Some(mut expected), Some(mut actual)) = (record.form.clone(), html::form(text)) else {
        return out.push(format!(
            "body: expected an auto-posting form, actual {}",
            clip(text)
        ));
    };
    carry_launch_id(c, &expected, &actual);
    let jwt_fields: Vec<String> = expected["fields"]
        .as_object()
        .map(|f| {
            f.iter()
                .filter(|(_, v)| v.as_str().is_some_and(looks_like_jwt))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    for name in jwt_fields {
        let recorded = record
            .decoded_jwt
            .clone()
            .or_else(|| decode(expected["fields"][&name].as_str().unwrap_or_default()));
        let recorded = recorded.unwrap_or(Value::Null);
        let jwt = actual["fields"][&name]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let decoded = check_jwt(c, &format!("form field {name}"), &jwt, &recorded, out);
        expected["fields"][&name] = recorded;
        actual["fields"][&name] = decoded;
    }
    c.compare_values(record.endpoint(), expected, actual, out);
}

/// A theme page by its data-carrying parts.
pub fn compare_page(c: &mut Comparator, record: &Record, text: &str, out: &mut Vec<String>) {
    c.compare_values(
        record.endpoint(),
        html::page_parts(&record.body),
        html::page_parts(text),
        out,
    );
}

/// The compared headers; a registration token in a redirect is also compared decoded.
pub fn compare_headers(
    c: &mut Comparator,
    record: &Record,
    answer: &Answer,
    out: &mut Vec<String>,
) {
    for (name, _) in COMPARED_HEADERS {
        let recorded = record
            .response_headers
            .iter()
            .flatten()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str());
        let actual = answer
            .header(name)
            .map(|a| normalise_url(a, c.site_url(), c.recorded_url()));
        match (recorded, actual) {
            (None, None) => {}
            (Some(e), None) => out.push(format!("header {name}: missing (expected {e})")),
            (None, Some(a)) => out.push(format!("header {name}: unexpected ({a})")),
            (Some(e), Some(a)) => {
                let e = c.ids.apply(e);
                if e != a && !embedded_match(&e, &a) {
                    out.push(format!("header {name}: expected {e:?}, actual {a:?}"));
                }
                if let Some(token) = a.split("registration_token=").nth(1) {
                    let token = token.split('&').next().unwrap_or(token).to_owned();
                    let expected = record.decoded_jwt.clone().unwrap_or(Value::Null);
                    let decoded = check_jwt(c, "registration token", &token, &expected, out);
                    if let (Some(rs), Some(asub)) = (
                        expected["claims"]["sub"].as_str(),
                        decoded["claims"]["sub"].as_str(),
                    ) {
                        c.ids.insert_text(rs.to_owned(), asub.to_owned());
                    }
                    let mut walked = Vec::new();
                    c.compare_values(record.endpoint(), expected, decoded, &mut walked);
                    out.extend(
                        walked
                            .into_iter()
                            .map(|d| format!("registration token {d}")),
                    );
                }
            }
        }
    }
}

/// The requests the site itself made to the tool against the recorder's note ("Moodle
/// fetched the tool JWKS N time(s) with User-Agent '…'"). The browser posts the line lists
/// were the recorder's and are covered by the form comparisons.
pub fn check_tool_side(
    obs: &Observation,
    site_url: &str,
    recorded_url: &str,
    fetches: &[String],
) -> Vec<String> {
    let note = obs.note.as_deref().unwrap_or_default();
    let count = note
        .split("fetched the tool JWKS ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok());
    let agent = note
        .split("User-Agent '")
        .nth(1)
        .and_then(|s| s.split('\'').next());
    let (Some(count), Some(agent)) = (count, agent) else {
        return vec![format!(
            "recording: the note does not say what the platform sent the tool: {note}"
        )];
    };
    let mut out = Vec::new();
    if fetches.len() != count {
        out.push(format!(
            "tool key set fetched {} time(s), recorded {count}",
            fetches.len()
        ));
    }
    for ua in fetches {
        let ua = normalise_url(ua, site_url, recorded_url);
        if ua != agent {
            out.push(format!(
                "tool key set fetched with User-Agent {ua:?}, recorded {agent:?}"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::{folders, load_all};

    /// The comparison reads the recorded bodies with the same functions as the answers; on
    /// the recording they must find what the recorder parsed out, or the comparison would
    /// compare nothing with nothing.
    #[test]
    fn the_recorded_forms_and_pages_yield_their_data() {
        let files = load_all(&folders()).expect("recordings");
        let Some(lti) = files.iter().find(|f| f.is_lti()) else {
            return println!("no LTI recording: nothing to check");
        };
        for r in &lti.records {
            if let Some(form) = &r.form {
                assert_eq!(html::form(&r.body).as_ref(), Some(form), "#{} form", r.seq);
            }
        }
        let page = |seq: u64| {
            let r = lti.records.iter().find(|r| r.seq == seq).expect("case");
            html::page_parts(&r.body)
        };
        assert_eq!(
            page(7)["errormessage"],
            serde_json::json!(["Invalid request"])
        );
        assert_eq!(
            page(36)["errorcode"][0],
            "https://docs.moodle.org/405/en/error/moodle/generalexceptionmessage"
        );
        assert_eq!(
            page(29)["contentitem_return"]["toolurl"],
            "http://127.0.0.1:8090/lti/launch?unit=1"
        );
        assert_eq!(page(30)["hidden"][0]["value"], "<SESSKEY>");
        assert_eq!(page(30)["cells"].as_array().map(Vec::len), Some(4));
    }
}
