//! Reading platform answers with a size limit, and the one place a `reqwest::Error` becomes
//! text (without its URL). Requests themselves are built where they are sent.

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
