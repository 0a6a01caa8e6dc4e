//! `lti_verify_jwt_signature()` with a keyset URL (`lti_verify_with_keyset()`): a tool's JWT
//! is checked against the cached key set of its client id; when that fails (or nothing is
//! cached) the key set is fetched from the tool's "Public keyset" URL
//! (`download_file_content()`, as `MoodleBot/4.5`), checked again, and cached on success.
//! The fetch happens outside the site lock.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{Map, Value};

use super::php_jwt;
use crate::endpoints::Shared;
use crate::state::now;
use crate::version::MoodleVersion;

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        // reqwest is built without a default TLS provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(20))
            .timeout(Duration::from_secs(60))
            .no_proxy()
            .build()
            .unwrap_or_default()
    })
}

/// `download_file_content($url)`: the body, or nothing when the fetch fails. Moodle sends
/// `core_useragent::get_moodlebot_useragent()`: `MoodleBot/<major version> (+wwwroot)`.
async fn download(url: &str, wwwroot: &str, moodle: MoodleVersion) -> Option<String> {
    let resp = client()
        .get(url)
        .header(
            reqwest::header::USER_AGENT,
            format!("MoodleBot/{} (+{wwwroot})", moodle.branch()),
        )
        .send()
        .await
        .ok()?;
    resp.text().await.ok()
}

fn verify_with(keyset_text: &str, jwt: &str, fix: bool) -> Result<Map<String, Value>, String> {
    let mut keyset: Value = serde_json::from_str(keyset_text).unwrap_or(Value::Null);
    if fix {
        php_jwt::fix_alg(&mut keyset, jwt)?;
    }
    let keys = php_jwt::parse_key_set(&keyset)?;
    php_jwt::decode(jwt, &keys, now())
}

/// Verifies a JWT of the tool type `typeid` whose issuer claims to be `consumerkey`; the
/// verified claims, or the message Moodle would report.
pub async fn verify_tool_jwt(
    shared: &Arc<Shared>,
    typeid: i64,
    consumerkey: &str,
    jwt: &str,
) -> Result<Map<String, Value>, String> {
    let (clientid, url, cached, wwwroot, moodle) = {
        let db = shared.db();
        let Some(tool) = db.lti.types.get(&typeid) else {
            return Err("LTI tool type not found.".to_owned());
        };
        if tool.clientid != consumerkey {
            return Err("Consumer key is incorrect.".to_owned());
        }
        if tool.config.publickeyset.is_empty() {
            return Err("No public keyset configured".to_owned());
        }
        (
            tool.clientid.clone(),
            tool.config.publickeyset.clone(),
            db.lti.keysets.get(&tool.clientid).cloned(),
            db.site.wwwroot.clone(),
            db.site.moodle,
        )
    };
    if let Some(cached) = cached
        && let Ok(claims) = verify_with(&cached, jwt, false)
    {
        return Ok(claims);
    }
    let fetched = download(&url, &wwwroot, moodle).await.unwrap_or_default();
    let claims = verify_with(&fetched, jwt, true)?;
    shared.db().lti.keysets.insert(clientid, fetched);
    Ok(claims)
}
