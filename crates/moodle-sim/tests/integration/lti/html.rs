//! Reading Moodle's HTML the way a browser would use it: the auto-posting forms (`action`,
//! `method`, hidden fields), and the parts of a theme page that carry data (title, error
//! message and code, the data handed to `mod_lti/contentitem_return`, `data-href` buttons,
//! table cells, hidden inputs). Used by the LTI tests and the conformance comparator alike,
//! on recorded and actual bodies.

use serde_json::{Value, json};

/// Entities Moodle's `htmlspecialchars()`/`s()` write.
pub fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of an attribute inside a tag's text.
fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[at..].find('"')? + at;
    Some(unescape(&tag[at..end]))
}

/// The tags of a kind, as their text (`<input …>`); quoted attribute values may hold `>`.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name} ");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        let mut quoted = false;
        let end = rest[i..].char_indices().find(|(_, c)| {
            if *c == '"' {
                quoted = !quoted;
            }
            *c == '>' && !quoted
        });
        let Some((end, _)) = end else { break };
        out.push(&rest[i..=i + end]);
        rest = &rest[i + end..];
    }
    out
}

/// The hidden inputs of a text, as (name, value).
pub fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    tags(html, "input")
        .into_iter()
        .filter(|t| attr(t, "type").as_deref() == Some("hidden"))
        .filter_map(|t| Some((attr(t, "name")?, attr(t, "value").unwrap_or_default())))
        .collect()
}

/// The first form: `{"action", "method", "fields": {name: value}}`, as the recordings'
/// `form` field holds it.
pub fn form(html: &str) -> Option<Value> {
    let tag = tags(html, "form").into_iter().next()?;
    let start = html.find(tag)?;
    let end = html[start..]
        .find("</form>")
        .map_or(html.len(), |e| start + e);
    let fields: serde_json::Map<String, Value> = hidden_inputs(&html[start..end])
        .into_iter()
        .map(|(k, v)| (k, Value::from(v)))
        .collect();
    Some(json!({
        "action": attr(tag, "action").unwrap_or_default(),
        "method": attr(tag, "method").unwrap_or_default().to_lowercase(),
        "fields": fields,
    }))
}

/// The texts between an opening marker and the next closing one.
fn between(html: &str, open: &str, close: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(open) {
        let from = i + open.len();
        let Some(end) = rest[from..].find(close) else {
            break;
        };
        out.push(rest[from..from + end].to_owned());
        rest = &rest[from + end..];
    }
    out
}

/// Text without tags, whitespace collapsed.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The JSON `mod_lti/contentitem_return`'s `init()` is called with.
pub fn contentitem_return_data(html: &str) -> Option<Value> {
    let marker = "require(['mod_lti/contentitem_return'], function(amd) {amd.init(";
    let at = html.find(marker)? + marker.len();
    serde_json::Deserializer::from_str(&html[at..])
        .into_iter::<Value>()
        .next()?
        .ok()
}

/// The data-carrying parts of a Moodle page.
pub fn page_parts(html: &str) -> Value {
    let errorcodes: Vec<String> = between(html, "<p class=\"errorcode\">", "</p>")
        .iter()
        .filter_map(|p| attr(p, "href"))
        .collect();
    let hrefs: Vec<String> = between(html, "data-href=\"", "\"")
        .iter()
        .map(|h| unescape(h))
        .collect();
    let hidden: Vec<Value> = hidden_inputs(html)
        .into_iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect();
    json!({
        "title": between(html, "<title>", "</title>").first().cloned().unwrap_or_default(),
        "errormessage": between(html, "<p class=\"errormessage\">", "</p>"),
        "errorcode": errorcodes,
        "data-href": hrefs,
        "cells": between(html, "<td>", "</td>").iter().map(|c| text(c)).collect::<Vec<_>>(),
        "hidden": hidden,
        "contentitem_return": contentitem_return_data(html).unwrap_or(Value::Null),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_form_is_read_with_its_escaped_values() {
        let html = "<form action=\"http://t/login\" name=\"f\" method=\"post\" encType=\"x\">\n  <input type=\"hidden\" name=\"lti_message_hint\" value=\"{&quot;cmid&quot;:8}\"/>\n</form>";
        let f = form(html).expect("form");
        assert_eq!(f["action"], "http://t/login");
        assert_eq!(f["fields"]["lti_message_hint"], "{\"cmid\":8}");
    }

    #[test]
    fn page_parts_find_the_error_and_the_buttons() {
        let html = "<title>Error | x</title><p class=\"errormessage\">Invalid request</p><p class=\"errorcode\"><a href=\"https://d/e\">More</a></p><td><button data-href=\"a?b=1&type=0\">\n Update\n</button></td>";
        let p = page_parts(html);
        assert_eq!(p["errormessage"], json!(["Invalid request"]));
        assert_eq!(p["errorcode"], json!(["https://d/e"]));
        assert_eq!(p["data-href"], json!(["a?b=1&type=0"]));
        assert_eq!(p["cells"], json!(["Update"]));
    }
}
