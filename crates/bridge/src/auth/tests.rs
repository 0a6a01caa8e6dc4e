use std::time::Duration;

use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::{Value, json};

use super::*;

const SHARED: &str = "the-seed-apps-shared-secret";

fn authenticator(default_scopes: Scopes) -> Authenticator {
    let env = crate::config::Env::from_pairs([("AUTH_HS256_SECRET", SHARED)]);
    let needs = crate::config::Needs {
        moodle: false,
        secret_key: false,
    };
    let mut config = crate::config::Config::from_env(&env, needs)
        .expect("config")
        .auth;
    config.default_scopes = default_scopes;
    Authenticator::new(&config, Some(own_key()), http_client())
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(moodle_ws::tls::config(&[], false).expect("tls"))
        .build()
        .expect("client")
}

fn own_key() -> OwnKey {
    OwnKey::derive(&moodle_ws::Secret::new("0123456789abcdef0123456789abcdef"))
}

fn shared_token(claims: Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SHARED.as_bytes()),
    )
    .expect("sign")
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

#[tokio::test]
async fn a_seed_shaped_token_without_a_scope_claim_gets_the_default_scopes() {
    let read_only = Scopes::NONE.with(Scope::Read);
    let p = authenticator(read_only)
        .verify(&shared_token(json!({"sub": "user-42", "exp": now() + 60})))
        .await
        .expect("accepted");
    assert_eq!(
        p,
        Principal {
            subject: "user-42".to_owned(),
            scopes: read_only,
            source: TokenSource::SharedSecret
        }
    );
}

#[tokio::test]
async fn shared_secret_tokens_are_refused_when_expired_forged_or_without_sub() {
    let auth = authenticator(Scopes::READ_WRITE);
    let expired = shared_token(json!({"sub": "u", "exp": now() - 3600}));
    assert_eq!(auth.verify(&expired).await, Err(AuthError::Expired));
    let forged = encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "u"}),
        &EncodingKey::from_secret(b"another-secret-entirely"),
    )
    .expect("sign");
    assert_eq!(auth.verify(&forged).await, Err(AuthError::BadSignature));
    let anonymous = shared_token(json!({"name": "u", "exp": now() + 60}));
    assert_eq!(
        auth.verify(&anonymous).await,
        Err(AuthError::MissingClaim("sub".to_owned()))
    );
    let endless = shared_token(json!({"sub": "u"}));
    assert_eq!(
        auth.verify(&endless).await,
        Err(AuthError::MissingClaim("exp".to_owned())),
        "a shared-secret token must expire"
    );
    let early = shared_token(json!({"sub": "u", "exp": now() + 600, "nbf": now() + 300}));
    assert_eq!(auth.verify(&early).await, Err(AuthError::NotYetValid));
    assert_eq!(auth.verify("not-a-jwt").await, Err(AuthError::Malformed));
}

#[tokio::test]
async fn bridge_tokens_carry_their_scopes_and_expire() {
    let auth = authenticator(Scopes::READ_WRITE);
    let read_only = Scopes::NONE.with(Scope::Read);
    let issued = own_key()
        .issue("reporting", read_only, Duration::from_secs(60))
        .expect("issue");
    let p = auth.verify(issued.token.expose()).await.expect("accepted");
    assert_eq!(
        (p.subject.as_str(), p.scopes, p.source),
        ("reporting", read_only, TokenSource::Bridge)
    );
    let expired = own_key()
        .issue_at(
            "reporting",
            read_only,
            Duration::from_secs(60),
            now() - 7200,
        )
        .expect("issue");
    assert_eq!(
        auth.verify(expired.token.expose()).await,
        Err(AuthError::Expired)
    );
}

#[tokio::test]
async fn a_bridge_token_from_another_secret_key_is_an_unknown_key() {
    let other = OwnKey::derive(&moodle_ws::Secret::new("ffffffffffffffffffffffffffffffff"))
        .issue("x", Scopes::READ_WRITE, Duration::from_secs(60))
        .expect("issue");
    assert_eq!(
        authenticator(Scopes::READ_WRITE)
            .verify(other.token.expose())
            .await,
        Err(AuthError::UnknownKey)
    );
}

#[tokio::test]
async fn without_an_identity_provider_asymmetric_tokens_are_refused() {
    let header = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        br#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#,
    );
    let token = format!("{header}.e30.c2ln");
    assert_eq!(
        authenticator(Scopes::READ_WRITE).verify(&token).await,
        Err(AuthError::UnsupportedAlgorithm("RS256".to_owned()))
    );
}
