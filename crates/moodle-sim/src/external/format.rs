//! `core_external\util::format_text()` and `format_string()` as web services run them
//! (filters off, no raw setting): the text and format a function returns for a stored
//! text (`lib/weblib.php`: `format_text()`, `text_to_html()`, `s()`, `format_string()`).

use super::param::strip_tags;

/// `FORMAT_MOODLE`.
pub const FORMAT_MOODLE: i64 = 0;
/// `FORMAT_HTML`.
pub const FORMAT_HTML: i64 = 1;
/// `FORMAT_PLAIN`.
pub const FORMAT_PLAIN: i64 = 2;

/// `util::format_text($text, $format, …)`: the text as HTML and `FORMAT_HTML`; an empty
/// text comes back as it is with its own format.
pub fn format_text(text: &str, format: i64) -> (String, i64) {
    if text.is_empty() {
        return (String::new(), format);
    }
    let html = match format {
        FORMAT_PLAIN => nl2br(&s(text).replace("  ", "&nbsp; ")),
        // HTMLPurifier (clean_text) writes a lone ampersand as an entity; the stand-in keeps
        // only clean HTML otherwise.
        FORMAT_MOODLE => replace_ampersands_not_followed_by_entity(&text_to_html(text)),
        _ => replace_ampersands_not_followed_by_entity(text),
    };
    (html, FORMAT_HTML)
}

/// `display_size($size)`: one decimal in the largest unit, a non-breaking space, bytes whole.
pub fn display_size(size: i64) -> String {
    // get_string('sizeb') … get_string('sizepb').
    const UNITS: [&str; 6] = ["bytes", "KB", "MB", "GB", "TB", "PB"];
    #[allow(clippy::cast_precision_loss)]
    let size_f = size as f64;
    let magnitude = if size > 0 {
        (size_f.log(1024.0).floor() as usize).min(5)
    } else {
        0
    };
    if magnitude == 0 {
        return format!("{size}\u{a0}{}", UNITS[0]);
    }
    let exp = i32::try_from(magnitude).unwrap_or(0);
    format!(
        "{:.1}\u{a0}{}",
        size_f / 1024f64.powi(exp),
        UNITS[magnitude]
    )
}

/// `count_words($string)`: blocks of characters between Unicode separators, control
/// characters and em or en dashes, once a space follows every close tag that is not obviously
/// inline (and every `<br>`) and the tags are stripped (lib/moodlelib.php). Entities other than
/// the basic five are counted as written.
pub fn count_words(text: &str) -> usize {
    const INLINE: [&str; 13] = [
        "a", "b", "del", "em", "i", "ins", "s", "small", "span", "strong", "sub", "sup", "u",
    ];
    let mut spaced = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        spaced.push_str(&rest[..i]);
        let tag = &rest[i..];
        let end = tag.find('>').map_or(tag.len(), |e| e + 1);
        spaced.push_str(&tag[..end]);
        let inner = tag[1..end].trim_end_matches('>');
        let closing = inner
            .strip_prefix('/')
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || c == '_'));
        let is_br = inner == "br"
            || inner
                .strip_prefix("br")
                .is_some_and(|r| r.trim_start() == "/");
        if closing.is_some_and(|n| !INLINE.contains(&n)) || is_br {
            spaced.push(' ');
        }
        rest = &tag[end..];
    }
    spaced.push_str(rest);
    let plain = strip_tags(&spaced)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    plain
        .split(|c: char| c.is_whitespace() || c.is_control() || c == '\u{2014}' || c == '\u{2013}')
        .filter(|w| !w.is_empty())
        .count()
}

/// `format_string($string, true)` with `$CFG->formatstringstriptags` on: tags stripped,
/// what is left of `<` and `>` escaped, lone ampersands escaped.
pub fn format_string(text: &str) -> String {
    let stripped = strip_tags(text).replace('<', "&lt;").replace('>', "&gt;");
    replace_ampersands_not_followed_by_entity(&stripped)
}

/// `s()`: `htmlspecialchars(ENT_QUOTES | ENT_HTML401)`, numeric entities kept.
pub fn s(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#039;"),
            c => out.push(c),
        }
    }
    restore_numeric_entities(&out)
}

/// `preg_replace('/&amp;#(\d+|x[0-9a-f]+);/i', '&#$1;', …)`.
fn restore_numeric_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("&amp;#") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 6..];
        let body_len = after
            .char_indices()
            .find(|(_, c)| !c.is_ascii_alphanumeric())
            .map_or(after.len(), |(j, _)| j);
        let body = &after[..body_len];
        let numeric = !body.is_empty()
            && (body.bytes().all(|b| b.is_ascii_digit())
                || (body.len() > 1
                    && body.as_bytes()[0].eq_ignore_ascii_case(&b'x')
                    && body[1..].bytes().all(|b| b.is_ascii_hexdigit())));
        if numeric && after[body_len..].starts_with(';') {
            out.push_str("&#");
            out.push_str(body);
            out.push(';');
            rest = &after[body_len + 1..];
        } else {
            out.push_str("&amp;#");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// PHP's `nl2br()`: `<br />` before each line break.
pub fn nl2br(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                out.push_str("<br />\r\n");
            }
            '\n' if chars.peek() == Some(&'\r') => {
                chars.next();
                out.push_str("<br />\n\r");
            }
            '\n' | '\r' => {
                out.push_str("<br />");
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `text_to_html($text, null, false, true)`: whitespace between tags removed, line breaks
/// next to tags made spaces, the others `<br />`.
fn text_to_html(text: &str) -> String {
    let mut t = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '>' {
            let mut j = i + 1;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            if j > i + 1 && j < chars.len() && chars[j] == '<' {
                t.push('>');
                i = j;
                continue;
            }
        }
        t.push(c);
        i += 1;
    }
    let t = t
        .replace("\n<", " <")
        .replace("\r<", " <")
        .replace(">\n", "> ")
        .replace(">\r", "> ");
    nl2br(&t)
}

/// `replace_ampersands_not_followed_by_entity()`: `&` not starting `&name;` or `&#123;`.
fn replace_ampersands_not_followed_by_entity(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if c == '&' {
            let after = &text[i + 1..];
            let body_len = after
                .char_indices()
                .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '#'))
                .map_or(after.len(), |(j, _)| j);
            let body = &after[..body_len];
            let is_entity = !body.is_empty()
                && after[body_len..].starts_with(';')
                && (body.bytes().all(|b| b.is_ascii_alphanumeric())
                    || (body.starts_with('#') && body[1..].bytes().all(|b| b.is_ascii_digit())));
            out.push_str(if is_entity { "&" } else { "&amp;" });
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_counted_between_spaces_once_block_tags_are_closed() {
        assert_eq!(
            count_words("<p>My period measurements agree with T = 2π√(L/g).</p>"),
            8
        );
        assert_eq!(count_words("<p>Photo of the setup attached.</p>"), 5);
        assert_eq!(count_words("<p>one</p><p>two</p>"), 2);
        assert_eq!(count_words("on<b>e</b> two<br/>three"), 3);
        assert_eq!(count_words("a—b – c"), 3);
        assert_eq!(count_words("<p> </p>"), 0);
    }

    #[test]
    fn plain_text_is_escaped_and_returned_as_html() {
        assert_eq!(
            format_text("Vectors and <b>matrices</b>", FORMAT_PLAIN),
            (
                "Vectors and &lt;b&gt;matrices&lt;/b&gt;".to_owned(),
                FORMAT_HTML
            )
        );
        assert_eq!(format_text("a\nb", FORMAT_PLAIN).0, "a<br />\nb");
        assert_eq!(format_text("", FORMAT_PLAIN), (String::new(), FORMAT_PLAIN));
    }

    #[test]
    fn a_string_loses_its_tags_and_lone_ampersands_are_escaped() {
        assert_eq!(
            format_string("<b>Bold</b> & co &amp; x"),
            "Bold &amp; co &amp; x"
        );
    }
}
