//! API scopes: `moodle:read` for reads, `moodle:write` for writes, `files:admin` for every
//! caller's stored files (without it an API token sees only its own), `webhooks:manage` for
//! the caller's webhook subscriptions and `events:read` for the event stream. Tokens carry them in
//! `scope` (space-separated, RFC 8693) or `scp` (a string or a list, as some identity
//! providers send); scopes the bridge does not know are ignored.

use std::fmt;

use serde_json::Value;

/// A set of the bridge's scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u8);

/// One scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `moodle:read`: reads through the gateway.
    Read,
    /// `moodle:write`: writes through the gateway.
    Write,
    /// `files:admin`: every stored file of the file manager, not only the caller's own.
    FilesAdmin,
    /// `webhooks:manage`: the caller's webhook subscriptions (which receive Moodle's events).
    WebhooksManage,
    /// `events:read`: the stream of Moodle's events.
    EventsRead,
}

/// Every scope, in the order they are printed.
const ALL: [Scope; 5] = [
    Scope::Read,
    Scope::Write,
    Scope::FilesAdmin,
    Scope::WebhooksManage,
    Scope::EventsRead,
];

impl Scope {
    /// The scope's name in tokens.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Read => "moodle:read",
            Scope::Write => "moodle:write",
            Scope::FilesAdmin => "files:admin",
            Scope::WebhooksManage => "webhooks:manage",
            Scope::EventsRead => "events:read",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Scope::Read => 1,
            Scope::Write => 2,
            Scope::FilesAdmin => 4,
            Scope::WebhooksManage => 8,
            Scope::EventsRead => 16,
        }
    }

    fn from_name(name: &str) -> Option<Scope> {
        ALL.into_iter().find(|s| s.name() == name)
    }
}

impl Scopes {
    /// No scope.
    pub const NONE: Scopes = Scopes(0);
    /// `moodle:read`.
    pub const READ: Scopes = Scopes(1);
    /// `moodle:read moodle:write`.
    pub const READ_WRITE: Scopes = Scopes(3);
    /// The known scope names, for messages.
    pub const KNOWN: &str = "moodle:read, moodle:write, files:admin, webhooks:manage, events:read";

    /// Whether `scope` is in the set.
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// The set with `scope` added.
    pub fn with(self, scope: Scope) -> Scopes {
        Scopes(self.0 | scope.bit())
    }

    /// Parses a configured list (space- or comma-separated); every name must be known.
    ///
    /// # Errors
    /// The first unknown name.
    pub fn parse_list(raw: &str) -> Result<Scopes, String> {
        raw.split([' ', ','])
            .filter(|s| !s.is_empty())
            .try_fold(Scopes::NONE, |set, name| {
                Scope::from_name(name)
                    .map(|s| set.with(s))
                    .ok_or_else(|| name.to_owned())
            })
    }

    /// The scopes a token's claims grant, or `None` when the token has no scope claim.
    pub fn from_claims(claims: &serde_json::Map<String, Value>) -> Option<Scopes> {
        let claim = claims.get("scope").or_else(|| claims.get("scp"))?;
        let names: Vec<&str> = match claim {
            Value::String(s) => s.split(' ').collect(),
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        Some(
            names
                .into_iter()
                .filter_map(Scope::from_name)
                .fold(Scopes::NONE, Scopes::with),
        )
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = ALL
            .into_iter()
            .filter(|s| self.contains(*s))
            .map(Scope::name)
            .collect();
        f.write_str(&names.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn scope_and_scp_claims_are_read_and_unknown_names_ignored() {
        let read = Scopes::NONE.with(Scope::Read);
        assert_eq!(
            Scopes::from_claims(&claims(json!({"scope": "openid moodle:read"}))),
            Some(read)
        );
        assert_eq!(
            Scopes::from_claims(&claims(json!({"scp": ["moodle:write", "moodle:read"]}))),
            Some(Scopes::READ_WRITE)
        );
        assert_eq!(
            Scopes::from_claims(&claims(json!({"scope": "profile"}))),
            Some(Scopes::NONE)
        );
        assert_eq!(Scopes::from_claims(&claims(json!({"sub": "x"}))), None);
    }

    #[test]
    fn configured_lists_must_name_known_scopes() {
        assert_eq!(
            Scopes::parse_list("moodle:read, moodle:write"),
            Ok(Scopes::READ_WRITE)
        );
        assert_eq!(
            Scopes::parse_list("moodle:admin"),
            Err("moodle:admin".to_owned())
        );
        assert_eq!(Scopes::READ_WRITE.to_string(), "moodle:read moodle:write");
    }
}
