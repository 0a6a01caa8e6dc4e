//! The Moodle REST gateway (the gateway contract, `docs/contracts/gateway.md`) as plain Rust:
//! each operation validates its input,
//! calls Moodle through `moodle_ws`, shapes the answer, audits writes and keeps the read
//! cache honest. Reads pass Moodle's objects through as Moodle sent them (minus secrets);
//! the HTTP layer (`http/gateway.rs`) only extracts and wraps.

mod cache;
mod courses;
mod error;
mod members;
mod people;
pub mod replies;
pub mod requests;
mod uploads;

use std::time::Duration;

use bytes::Bytes;
use moodle_ws::functions::site;
use moodle_ws::{Client, DecodeReason, Warning};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

pub use error::{GatewayError, split_warnings};
pub use uploads::{AttachFile, DraftUploadInput, UploadTarget};

use crate::audit::{Actor, AuditLog, Event};
use cache::ReplyCache;

/// A successful answer: the `data` JSON, serialized once (cached answers are sent as
/// stored), and warnings Moodle gave about items the request did not name.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The JSON of `data`.
    pub data: Bytes,
    /// Warnings about other items, for `details.warnings`.
    pub warnings: Vec<Warning>,
}

/// Moodle's JSON for one value, kept as sent (passed through without building a tree).
pub type Raw = Box<RawValue>;

impl Reply {
    /// A JSON array of Moodle's values, as sent (owned or borrowed from its answer).
    pub fn list<V: std::ops::Deref<Target = RawValue>>(items: &[V]) -> Reply {
        let mut data =
            Vec::with_capacity(items.iter().map(|i| i.get().len() + 1).sum::<usize>() + 2);
        data.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                data.push(b',');
            }
            data.extend_from_slice(item.get().as_bytes());
        }
        data.push(b']');
        Reply {
            data: Bytes::from(data),
            warnings: Vec::new(),
        }
    }

    /// One of Moodle's values, as sent.
    pub fn raw(value: &RawValue) -> Reply {
        Reply {
            data: Bytes::copy_from_slice(value.get().as_bytes()),
            warnings: Vec::new(),
        }
    }

    /// A reply of `value` without warnings.
    pub fn of(value: &impl Serialize) -> Reply {
        Reply {
            // Plain data (strings, numbers, JSON values) always serializes.
            data: Bytes::from(serde_json::to_vec(value).expect("plain data serializes")),
            warnings: Vec::new(),
        }
    }
}

/// Keys of the site info that are credentials of the bridge's Moodle user and never leave
/// the bridge: `userprivateaccesskey` opens that user's files through
/// `tokenpluginfile.php`.
const SECRET_SITE_INFO_KEYS: [&str; 1] = ["userprivateaccesskey"];

/// The gateway service.
pub struct Gateway {
    moodle: Client,
    cache: ReplyCache,
    audit: AuditLog,
    enrol_roles: Vec<i64>,
}

/// Moodle's student role id on a standard site: the only role the gateway enrols with by
/// default (the bridge's token is usually an administrator's, who could enrol anyone as a
/// manager otherwise).
pub const STUDENT_ROLE: i64 = 5;

/// A function without parameters.
#[derive(Serialize)]
struct NoParams {}

impl Gateway {
    /// A gateway calling `moodle`, auditing into `audit`, caching reads for `cache_ttl`.
    pub fn new(moodle: Client, audit: AuditLog, cache_ttl: Duration) -> Gateway {
        Gateway {
            moodle,
            cache: ReplyCache::new(cache_ttl),
            audit,
            enrol_roles: vec![STUDENT_ROLE],
        }
    }

    /// The same, enrolling with these Moodle role ids only (`GATEWAY_ENROL_ROLE_IDS`).
    pub fn with_enrol_roles(mut self, roles: Vec<i64>) -> Gateway {
        self.enrol_roles = roles;
        self
    }

    /// `core_webservice_get_site_info`, without the user's private access key.
    ///
    /// # Errors
    /// [`GatewayError::Moodle`].
    pub async fn site_info(&self) -> Result<Reply, GatewayError> {
        let ticket = match self.cache.lookup("siteinfo".to_owned()) {
            Ok(hit) => return Ok(hit),
            Err(ticket) => ticket,
        };
        // Only the top level is read; every value stays Moodle's text, never copied twice.
        let answer = self
            .moodle
            .call_json(site::GET_SITE_INFO, &NoParams {})
            .await?;
        let info: members::Members<'_> = answer.parse()?;
        let reply = Reply {
            data: Bytes::from(info.to_json_without(&SECRET_SITE_INFO_KEYS)),
            warnings: Vec::new(),
        };
        self.cache.store(ticket, &reply);
        Ok(reply)
    }

    /// The Moodle client (health checks, `check`).
    pub fn moodle(&self) -> &Client {
        &self.moodle
    }

    /// Records a write's outcome in the audit log and passes the result on.
    async fn audited<T>(
        &self,
        actor: &Actor,
        function: &str,
        object_ids: Value,
        result: Result<T, GatewayError>,
    ) -> Result<T, GatewayError> {
        let outcome = match &result {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.code().to_owned(),
        };
        self.audit
            .record(
                actor,
                Event {
                    function: Some(function),
                    object_ids,
                    outcome: &outcome,
                },
            )
            .await;
        result
    }
}

/// A Moodle answer of the wrong shape, as the client reports one.
fn unexpected(what: &str) -> GatewayError {
    moodle_ws::Error::Decode {
        reason: DecodeReason::UnexpectedShape,
        snippet: what.to_owned(),
    }
    .into()
}
