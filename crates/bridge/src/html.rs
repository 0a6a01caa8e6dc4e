//! Text written into HTML: the one escape for page content and attribute values (the UI pages,
//! the API documentation page, what the publisher writes into Moodle).

/// Escapes text for HTML content and attribute values (`&`, `<`, `>`, `"`, `'`).
pub fn escape(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_covers_every_character_that_breaks_content_or_attributes() {
        assert_eq!(escape(r#"a"b'<c>&d"#), "a&quot;b&#39;&lt;c&gt;&amp;d");
    }
}
