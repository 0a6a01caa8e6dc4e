//! Moodle's external API machinery (`lib/external/classes/`): parameter types,
//! descriptions, validation of requests and cleaning of responses.

pub mod desc;
pub mod format;
pub mod loose;
pub mod param;
mod url;
