//! Reading platform answers: with a size limit, as the error their status means, decoded, and
//! paged by `Link: rel="next"` (AGS and NRPS alike); and the one place a `reqwest::Error`
//! becomes text (without its URL). Requests themselves are built where they are sent.

use url::Url;

use crate::error::ServiceError;

/// The largest service answer read (a page of line items or members).
const MAX_BYTES: usize = 8 * 1024 * 1024;

/// Why a body could not be read.
pub(crate) enum ReadError {
    /// Larger than the limit.
    TooLarge,
    /// The connection failed while reading.
    Transport(String),
}

/// A transport error as safe text: reqwest's message without the URL (a URL may carry
/// query parameters the platform considers private).
pub(crate) fn transport_reason(error: reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".to_owned();
    }
    if error.is_connect() {
        return "could not connect".to_owned();
    }
    error.without_url().to_string()
}

/// Reads the whole body, refusing more than `limit` bytes.
pub(crate) async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, ReadError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ReadError::Transport(transport_reason(e)))?
    {
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The body of a 2xx answer, or the error for its status.
pub(crate) async fn expect_ok(response: reqwest::Response) -> Result<Vec<u8>, ServiceError> {
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(status_error(status));
    }
    read_limited(response, MAX_BYTES)
        .await
        .map_err(|e| match e {
            ReadError::TooLarge => ServiceError::Decode {
                reason: format!("answer larger than {MAX_BYTES} bytes"),
            },
            ReadError::Transport(reason) => ServiceError::Transport { reason },
        })
}

pub(crate) fn status_error(status: u16) -> ServiceError {
    match status {
        401 => ServiceError::Unauthorized,
        404 => ServiceError::NotFound,
        status => ServiceError::Status { status },
    }
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(body: Vec<u8>) -> Result<T, ServiceError> {
    serde_json::from_slice(&body).map_err(|e| ServiceError::Decode {
        reason: e.to_string(),
    })
}

/// The `rel="next"` target of a `Link` header (RFC 8288), if any.
pub(crate) fn next_link(headers: &reqwest::header::HeaderMap) -> Option<Url> {
    headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|value| find_rel(value, "next"))
        .and_then(|target| Url::parse(&target).ok())
}

/// The target of the link with `rel` in one `Link` header value.
fn find_rel(header: &str, rel: &str) -> Option<String> {
    let mut rest = header;
    while let Some(start) = rest.find('<') {
        let end = start + rest[start..].find('>')?;
        let target = &rest[start + 1..end];
        let params_end = rest[end..].find('<').map_or(rest.len(), |i| end + i);
        let params = &rest[end + 1..params_end];
        let matches = params.split(';').any(|p| {
            let p = p.trim().trim_end_matches(',').trim();
            p.strip_prefix("rel=").is_some_and(|v| {
                v.trim_matches('"')
                    .split_whitespace()
                    .any(|r| r.eq_ignore_ascii_case(rel))
            })
        });
        if matches {
            return Some(target.to_owned());
        }
        rest = &rest[params_end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_next_among_several_links() {
        let moodle = r#"<http://127.0.0.1:8081/mod/lti/services.php/CourseSection/2/bindings/1/memberships?limit=2&from=2>; rel="next""#;
        assert_eq!(
            find_rel(moodle, "next").as_deref(),
            Some(
                "http://127.0.0.1:8081/mod/lti/services.php/CourseSection/2/bindings/1/memberships?limit=2&from=2"
            )
        );
        let several = r#"<https://p/a?x=1>; rel="differences", <https://p/b?page=2>; rel="next""#;
        assert_eq!(
            find_rel(several, "next").as_deref(),
            Some("https://p/b?page=2")
        );
        assert_eq!(find_rel(several, "prev"), None);
        assert_eq!(
            find_rel(r#"<https://p/c>; rel="first next""#, "next").as_deref(),
            Some("https://p/c")
        );
        assert_eq!(find_rel("garbage", "next"), None);
    }
}
