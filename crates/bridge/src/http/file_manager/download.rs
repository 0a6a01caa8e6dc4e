//! `GET /download_file/{file_id}`'s answer: the stored bytes streamed with the file's type,
//! length, `ETag` (its SHA-256) and a `Content-Disposition` any name survives, and one byte
//! range when asked (RFC 9110 §14: 206 with `Content-Range`; 416 with `bytes */size` when
//! the range cannot be met; several ranges are answered with the whole file, as allowed).

use std::ops::Range;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::file_manager::{FileStream, StoredFile, names};

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeAsk {
    /// No range (or one the server may ignore): the whole file.
    Whole,
    /// These bytes.
    Part(Range<u64>),
    /// Nothing of the file can be given.
    Unsatisfiable,
}

/// Reads `Range: bytes=…` (a single range; anything else is ignored).
pub fn range(headers: &HeaderMap, size: u64) -> RangeAsk {
    let Some(value) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return RangeAsk::Whole;
    };
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeAsk::Whole;
    };
    if spec.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return RangeAsk::Whole;
    };
    let (start, end) = (start.trim(), end.trim());
    let parsed = match (start.is_empty(), end.is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match end.parse::<u64>() {
            Ok(0) => return RangeAsk::Unsatisfiable,
            Ok(n) => Some((size.saturating_sub(n), size)),
            Err(_) => None,
        },
        // bytes=N-: from N to the end.
        (false, true) => start.parse::<u64>().ok().map(|s| (s, size)),
        (false, false) => match (start.parse::<u64>(), end.parse::<u64>()) {
            (Ok(s), Ok(e)) if e >= s => Some((s, e.saturating_add(1).min(size))),
            _ => None,
        },
        (true, true) => None,
    };
    match parsed {
        None => RangeAsk::Whole,
        Some((s, _)) if s >= size => RangeAsk::Unsatisfiable,
        Some((s, e)) => RangeAsk::Part(s..e),
    }
}

/// The headers every download has.
fn common(response: &mut Response, file: &StoredFile) {
    let h = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set(header::CONTENT_TYPE, &file.content_type);
    set(
        header::CONTENT_DISPOSITION,
        &names::content_disposition(&file.name),
    );
    set(header::ETAG, &format!("\"{}\"", file.sha256));
    set(header::ACCEPT_RANGES, "bytes");
    set(header::CACHE_CONTROL, "private, no-store");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // An HTML or SVG file opened from here must not run on the bridge's origin.
    set(
        header::CONTENT_SECURITY_POLICY,
        "sandbox; default-src 'none'",
    );
}

/// 416 for a range past the end.
pub fn unsatisfiable(file: &StoredFile) -> Response {
    let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
    common(&mut response, file);
    response.headers_mut().remove(header::CONTENT_TYPE);
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{}", file.size)) {
        response.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    response
}

/// 200 with the whole file, or 206 with `part`.
pub fn answer(file: &StoredFile, part: Option<Range<u64>>, body: FileStream) -> Response {
    let size = u64::try_from(file.size).unwrap_or(0);
    let (status, length) = match &part {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.end - r.start),
        None => (StatusCode::OK, size),
    };
    let mut response = (status, Body::from_stream(body)).into_response();
    common(&mut response, file);
    let h = response.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Some(r) = part
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {}-{}/{size}", r.start, r.end - 1))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(value: &str, size: u64) -> RangeAsk {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(value).expect("ascii"));
        range(&h, size)
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(range(&HeaderMap::new(), 10), RangeAsk::Whole);
        assert_eq!(ask("bytes=0-3", 10), RangeAsk::Part(0..4));
        assert_eq!(ask("bytes=4-", 10), RangeAsk::Part(4..10));
        assert_eq!(ask("bytes=-3", 10), RangeAsk::Part(7..10));
        assert_eq!(ask("bytes=-30", 10), RangeAsk::Part(0..10));
        assert_eq!(ask("bytes=5-100", 10), RangeAsk::Part(5..10));
        assert_eq!(ask("bytes=10-", 10), RangeAsk::Unsatisfiable);
        assert_eq!(ask("bytes=-0", 10), RangeAsk::Unsatisfiable);
        assert_eq!(ask("bytes=0-", 0), RangeAsk::Unsatisfiable);
        assert_eq!(ask("bytes=3-1", 10), RangeAsk::Whole);
        assert_eq!(ask("bytes=0-1,4-5", 10), RangeAsk::Whole);
        assert_eq!(ask("items=0-1", 10), RangeAsk::Whole);
        assert_eq!(ask("bytes=x-1", 10), RangeAsk::Whole);
    }
}
