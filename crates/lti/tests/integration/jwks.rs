//! The platform key cache against the stub's certs.php: one refetch per unknown kid, rate
//! limited; key rotation; refresh after max age with the stale set kept on failure; limits.

use std::sync::Arc;
use std::time::Duration;

use lti::platform_jwks::JwksCacheConfig;
use lti::{Clock, JwksError, PlatformKeys};
use serde_json::json;
use url::Url;

use crate::helpers::{PLATFORM_KID, http, platform_jwks};
use crate::stub::Stub;

async fn setup() -> (Stub, PlatformKeys, Clock, Url) {
    let stub = Stub::start().await;
    stub.set_jwks(platform_jwks(PLATFORM_KID));
    let clock = Clock::manual(1_000_000);
    let keys = PlatformKeys::new(http(), clock.clone());
    let url = Url::parse(&stub.url("/mod/lti/certs.php")).expect("test setup");
    (stub, keys, clock, url)
}

#[tokio::test]
async fn an_unknown_kid_refetches_once_and_then_waits_for_the_interval() {
    let (stub, keys, clock, url) = setup().await;
    keys.key(&url, PLATFORM_KID).await.unwrap();
    assert_eq!(stub.jwks_fetches(), 1);
    // Just fetched: no refetch for an unknown kid.
    assert!(matches!(
        keys.key(&url, "nope").await,
        Err(JwksError::UnknownKid { .. })
    ));
    assert_eq!(stub.jwks_fetches(), 1);

    clock.advance(31);
    assert!(matches!(
        keys.key(&url, "nope").await,
        Err(JwksError::UnknownKid { .. })
    ));
    assert_eq!(stub.jwks_fetches(), 2, "one refetch");
    for _ in 0..5 {
        assert!(matches!(
            keys.key(&url, "other").await,
            Err(JwksError::UnknownKid { .. })
        ));
    }
    assert_eq!(
        stub.jwks_fetches(),
        2,
        "made-up kids cannot make the tool hammer the platform"
    );
    assert_eq!(keys.fetch_count(), 2);
}

#[tokio::test]
async fn a_rotated_platform_key_is_found_by_the_refetch() {
    let (stub, keys, clock, url) = setup().await;
    keys.key(&url, PLATFORM_KID).await.unwrap();
    stub.set_jwks(platform_jwks("rotated-kid"));
    clock.advance(60);
    let key = keys.key(&url, "rotated-kid").await.unwrap();
    assert_eq!(key.kid(), "rotated-kid");
    assert_eq!(stub.jwks_fetches(), 2);
}

#[tokio::test]
async fn concurrent_misses_share_one_fetch() {
    let (stub, keys, _, url) = setup().await;
    let keys = Arc::new(keys);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let keys = keys.clone();
            let url = url.clone();
            tokio::spawn(async move {
                keys.key(&url, PLATFORM_KID)
                    .await
                    .map(|k| k.kid().to_owned())
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), PLATFORM_KID);
    }
    assert_eq!(stub.jwks_fetches(), 1);
}

#[tokio::test]
async fn an_old_set_is_refreshed_and_kept_when_the_refresh_fails() {
    let (stub, keys, clock, url) = setup().await;
    keys.key(&url, PLATFORM_KID).await.unwrap();
    clock.advance(14 * 60);
    keys.key(&url, PLATFORM_KID).await.unwrap();
    assert_eq!(stub.jwks_fetches(), 1, "fresh for 15 minutes");
    clock.advance(2 * 60);
    stub.set_jwks(json!("not a key set"));
    let key = keys.key(&url, PLATFORM_KID).await.unwrap();
    assert_eq!(key.kid(), PLATFORM_KID, "the stale set still verifies");
    assert_eq!(stub.jwks_fetches(), 2);
}

#[tokio::test]
async fn fetch_failures_without_a_cached_set_are_reported() {
    let (stub, keys, _, url) = setup().await;
    stub.set_jwks(json!({"no": "keys"}));
    assert!(matches!(
        keys.key(&url, PLATFORM_KID).await,
        Err(JwksError::NotJwks { .. })
    ));

    let closed = Url::parse("http://127.0.0.1:9/mod/lti/certs.php").unwrap();
    assert!(matches!(
        keys.key(&closed, PLATFORM_KID).await,
        Err(JwksError::Unreachable { .. })
    ));
    // Within the refetch interval the same failure is reported again, not an unknown kid.
    assert!(matches!(
        keys.key(&closed, PLATFORM_KID).await,
        Err(JwksError::Unreachable { .. })
    ));

    let missing = Url::parse(&stub.url("/mod/lti/nothing.php")).unwrap();
    assert!(matches!(
        keys.key(&missing, PLATFORM_KID).await,
        Err(JwksError::Status { status: 404 })
    ));
}

#[tokio::test]
async fn a_key_set_over_the_size_limit_is_refused() {
    let (stub, _, clock, url) = setup().await;
    let small = JwksCacheConfig {
        max_bytes: 200,
        ..JwksCacheConfig::default()
    };
    let keys = PlatformKeys::with_config(http(), clock, small);
    assert!(matches!(
        keys.key(&url, PLATFORM_KID).await,
        Err(JwksError::TooLarge { limit: 200 })
    ));
    assert_eq!(stub.jwks_fetches(), 1);
}

#[tokio::test]
async fn only_usable_keys_are_cached_from_a_mixed_set() {
    let (stub, keys, _, url) = setup().await;
    let mut jwks = platform_jwks(PLATFORM_KID);
    jwks["keys"]
        .as_array_mut()
        .unwrap()
        .push(json!({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}));
    jwks["keys"]
        .as_array_mut()
        .unwrap()
        .push(json!({"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"}));
    stub.set_jwks(jwks);
    keys.key(&url, PLATFORM_KID).await.unwrap();
    assert!(matches!(
        keys.key(&url, "hmac").await,
        Err(JwksError::UnknownKid { .. })
    ));
    assert!(matches!(
        keys.key(&url, "ec").await,
        Err(JwksError::UnknownKid { .. })
    ));
    let _ = Duration::ZERO;
}
