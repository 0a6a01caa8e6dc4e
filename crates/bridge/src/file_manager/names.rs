//! File names and types: what a client or Moodle calls a file becomes a safe display name
//! (no path, no control characters, no traversal, at most 255 characters), and a name is
//! written into `Content-Disposition` so that any name, in any script, survives (RFC 6266
//! with RFC 8187 `filename*`). Names never reach storage: keys are the bridge's own.

/// The longest name kept, in characters.
const MAX_CHARS: usize = 255;

/// A safe display name for `raw`: its last path component, without control and format
/// characters, trimmed; `.`/`..`/empty become `file`; cut to 255 characters keeping the
/// extension.
pub fn sanitize(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() {
        return "file".to_owned();
    }
    if trimmed.chars().count() <= MAX_CHARS {
        return trimmed.to_owned();
    }
    let (stem, ext) = match trimmed.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.chars().count() <= 16 => (stem, Some(ext)),
        _ => (trimmed, None),
    };
    let room = MAX_CHARS - ext.map_or(0, |e| e.chars().count() + 1);
    let stem: String = stem.chars().take(room).collect();
    match ext {
        Some(ext) => format!("{stem}.{ext}"),
        None => stem,
    }
}

/// Bidirectional overrides and zero-width characters: they make a name display as another.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>`.
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        // RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" /
        // "_" / "`" / "|" / "~"
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A content type for a file without one: from its extension, else
/// `application/octet-stream`.
pub fn guess_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("html" | "htm") => "text/html",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("svg") => "image/svg+xml",
        Some("zip") => "application/zip",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("pptx") => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        Some("mp4") => "video/mp4",
        Some("mp3") => "audio/mpeg",
        _ => "application/octet-stream",
    }
}

/// A client's content type if it is a plain `type/subtype`, else one guessed from the name.
pub fn content_type(given: Option<&str>, name: &str) -> String {
    match given.map(str::trim) {
        Some(t)
            if t.len() <= 127
                && t.split_once('/')
                    .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
                && t.bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\') =>
        {
            t.to_ascii_lowercase()
        }
        _ => guess_type(name).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn paths_traversal_and_control_characters_never_survive() {
        assert_eq!(sanitize("../../etc/passwd"), "passwd");
        assert_eq!(sanitize("C:\\Users\\a\\report.pdf"), "report.pdf");
        assert_eq!(sanitize(".."), "file");
        assert_eq!(sanitize("..."), "file");
        assert_eq!(sanitize("  .hidden "), "hidden");
        assert_eq!(sanitize("a\u{0}b\nc\rd\u{7f}.txt"), "abcd.txt");
        assert_eq!(sanitize("evil\u{202E}fdp.exe"), "evilfdp.exe");
        assert_eq!(
            sanitize("résumé 2026 – final.docx"),
            "résumé 2026 – final.docx"
        );
        let long = format!("{}.pdf", "x".repeat(400));
        let cut = sanitize(&long);
        assert_eq!(cut.chars().count(), 255);
        assert!(cut.ends_with(".pdf"));
    }

    #[test]
    fn any_name_makes_a_safe_content_disposition() {
        assert_eq!(
            content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        let header = content_disposition("Ünïcödé \"quoted\"; x=1\\.txt");
        assert_eq!(
            header,
            "attachment; filename=\"_n_c_d_ _quoted_; x=1_.txt\"; filename*=UTF-8''%C3%9Cn%C3%AFc%C3%B6d%C3%A9%20%22quoted%22%3B%20x%3D1%5C.txt"
        );
        assert!(HeaderValue::from_str(&content_disposition("a\u{7f}b 日本.txt")).is_ok());
    }

    #[test]
    fn content_types_come_from_the_client_or_the_extension() {
        assert_eq!(content_type(Some("Text/CSV"), "a.bin"), "text/csv");
        assert_eq!(content_type(Some("bogus"), "a.PDF"), "application/pdf");
        assert_eq!(content_type(None, "a.unknown"), "application/octet-stream");
        assert_eq!(content_type(Some("text/html\"><x"), "a.txt"), "text/plain");
    }
}
