//! `GatewayError`: what can go wrong in a gateway operation, in the gateway's words. The
//! HTTP status and body are chosen in `http/error.rs` (Moodle's failures by the one table in
//! `http/error/moodle.rs`, the gateway contract's: `docs/contracts/gateway.md`).

use moodle_ws::Warning;

/// A failed gateway operation.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Moodle refused the call or could not be reached.
    #[error(transparent)]
    Moodle(#[from] moodle_ws::Error),
    /// The request is invalid; Moodle was not called.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field at fault (`shortname`, `enrolments[1].userid`, `file`, …).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The request asks for a Moodle role the bridge does not hand out
    /// (`GATEWAY_ENROL_ROLE_IDS`); Moodle was not called.
    #[error("{field}: role {roleid} is not one this bridge enrols with (allowed: {allowed})")]
    RoleForbidden {
        /// The field at fault (`enrolments[0].roleid`).
        field: String,
        /// The role asked for.
        roleid: i64,
        /// The allowed roles, for the message.
        allowed: String,
    },
    /// The operation needs a companion plugin that the site does not offer.
    #[error(
        "{what} needs the Moodle plugin {plugin}: install it and add {function} to the token's service"
    )]
    PluginRequired {
        /// What was asked for.
        what: &'static str,
        /// The plugin's component name.
        plugin: &'static str,
        /// The web-service function that is missing.
        function: moodle_ws::Function,
    },
}

impl GatewayError {
    /// What went wrong, as a code for the audit log: Moodle's (normalised), the kind of a
    /// failure Moodle did not name, or the gateway's own.
    pub fn code(&self) -> &str {
        match self {
            GatewayError::Moodle(e) => e.code().unwrap_or(e.kind().as_str()),
            GatewayError::Invalid { .. } => "invalidparameter",
            GatewayError::RoleForbidden { .. } => "roleforbidden",
            GatewayError::PluginRequired { .. } => "pluginrequired",
        }
    }

    /// An invalid field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> GatewayError {
        GatewayError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Splits `warnings` by whether they concern an item the request named: those fail the
/// request (the first one decides the status), the others are returned beside the data.
///
/// # Errors
/// [`moodle_ws::Error::Warnings`] with the warnings about `named` items.
pub fn split_warnings(
    warnings: Vec<Warning>,
    named: impl Fn(&Warning) -> bool,
) -> Result<Vec<Warning>, GatewayError> {
    let (about_named, others): (Vec<_>, Vec<_>) = warnings.into_iter().partition(|w| named(w));
    if about_named.is_empty() {
        Ok(others)
    } else {
        Err(moodle_ws::Error::Warnings(about_named).into())
    }
}
