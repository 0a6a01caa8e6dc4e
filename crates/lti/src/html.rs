//! The small HTML pages the tool answers with (auto-posting forms, postMessage scripts):
//! escaping for attributes and for strings inside `<script>`.

/// Escapes text for an HTML attribute value or element content.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A JavaScript string literal that is safe inside `<script>` (no `</script>`, no `<!--`).
pub(crate) fn js_string(text: &str) -> String {
    serde_json::Value::from(text)
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// A page that POSTs `fields` to `action` as soon as it loads (with a button when scripts
/// are off).
pub(crate) fn auto_post_form(action: &str, fields: &[(&str, &str)]) -> String {
    let mut inputs = String::new();
    for (name, value) in fields {
        inputs.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
            escape(name),
            escape(value)
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Returning…</title></head>\n\
         <body>\n<form id=\"lti-form\" method=\"post\" action=\"{}\" \
         enctype=\"application/x-www-form-urlencoded\">\n{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript>\n</form>\n\
         <script>document.getElementById(\"lti-form\").submit();</script>\n</body></html>\n",
        escape(action)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_attribute_breakers() {
        assert_eq!(escape(r#"a"b'<c>&"#), "a&quot;b&#39;&lt;c&gt;&amp;");
    }

    #[test]
    fn js_string_cannot_close_the_script() {
        let s = js_string("</script><script>alert(1)</script>");
        assert!(!s.contains("</script"));
        assert!(s.starts_with('"') && s.ends_with('"'));
    }

    #[test]
    fn auto_post_form_escapes_action_and_values() {
        let page = auto_post_form("https://m.example/r.php?a=1&b=\"", &[("JWT", "x\"y")]);
        assert!(page.contains("action=\"https://m.example/r.php?a=1&amp;b=&quot;\""));
        assert!(page.contains("name=\"JWT\" value=\"x&quot;y\""));
    }
}
