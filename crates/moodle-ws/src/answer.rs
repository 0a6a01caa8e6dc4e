//! [`JsonAnswer`]: a REST answer kept as the JSON text Moodle sent ([`crate::Client::call_json`]),
//! read borrowed so that the parts a caller passes on are never copied.

use bytes::Bytes;
use serde::Deserialize;

use crate::decode::json_error;
use crate::error::Error;
use crate::secret::Secret;

/// Moodle's answer to a call, as sent, known not to be Moodle's exception object.
#[derive(Clone)]
pub struct JsonAnswer {
    body: Bytes,
    /// The call's token, to scrub from error snippets.
    token: Option<Secret>,
}

impl JsonAnswer {
    pub(crate) fn new(body: Bytes, token: Option<Secret>) -> JsonAnswer {
        JsonAnswer { body, token }
    }

    /// The answer read as `T`, which may borrow from it (`&RawValue`, `&str`).
    ///
    /// # Errors
    /// [`Error::Decode`], as [`crate::Client::call_raw`] reports an answer that is not a `T`.
    pub fn parse<'a, T: Deserialize<'a>>(&'a self) -> Result<T, Error> {
        serde_json::from_slice(&self.body)
            .map_err(|e| json_error(&e, &self.body, self.token.as_ref()))
    }

    /// The JSON text.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }
}

impl std::fmt::Debug for JsonAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonAnswer")
            .field("bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}
