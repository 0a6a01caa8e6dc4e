//! Login to launch end to end, beyond the fixture cases: Moodle's real id_token, platform
//! storage binding, settings (skew, anonymous launches), and the launch as stored data.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use lti::store::{LoginState, StateStore};
use lti::{Launch, LaunchConfig, LaunchError, LaunchForm, LaunchValidator, StateBinding, Stores};
use serde_json::{Value, json};

use crate::helpers::{
    CLIENT_ID, Env, ISSUER, NOW, PLATFORM_KID, Signer, compact, fixture_path, key,
};

fn teacher_payload(nonce: &str, iat: i64) -> Value {
    let text = std::fs::read_to_string(fixture_path(
        "launch/valid/moodle_teacher_resource_link/payload.json",
    ))
    .expect("test setup");
    let mut payload: Value = serde_json::from_str(&text).expect("test setup");
    payload["nonce"] = json!(nonce);
    payload["iat"] = json!(iat);
    payload["exp"] = json!(iat + 60);
    payload
}

fn sign(payload: &Value) -> String {
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": PLATFORM_KID});
    compact(
        &header,
        payload.to_string().as_bytes(),
        Signer::Rs256(&key("platform")),
    )
}

#[tokio::test]
async fn moodles_real_id_token_validates_against_its_recorded_key_set() {
    // real-moodle-4.5.6-lti.jsonl seq 2 (certs.php) and seq 4 (auth.php form: id_token, state).
    let env = Env::new().await;
    let certs = std::fs::read(fixture_path("moodle/certs.json")).unwrap();
    assert_eq!(env.keys.insert(env.jwks_url(), &certs).unwrap(), 1);
    env.store
        .save(LoginState {
            state: "st-d2a7ba44763d48a0".to_owned(),
            nonce: "nonce-8736c5086e7d4cc4".to_owned(),
            registration_id: "moodle-1".to_owned(),
            issuer: ISSUER.to_owned(),
            client_id: CLIENT_ID.to_owned(),
            deployment_id: Some("1".to_owned()),
            target_link_uri: "http://127.0.0.1:8090/lti/launch".to_owned(),
            storage_target: None,
            created_at: NOW,
            expires_at: NOW + 300,
        })
        .await
        .unwrap();
    let token = std::fs::read_to_string(fixture_path("moodle/teacher1-id-token.txt")).unwrap();
    let form = LaunchForm::new(token.trim(), "st-d2a7ba44763d48a0");
    let launch = env
        .validator
        .validate(&form, StateBinding::Cookie(Some("st-d2a7ba44763d48a0")))
        .await
        .unwrap();
    assert_eq!(launch.user.sub.as_deref(), Some("3"));
    assert_eq!(launch.user.name.as_deref(), Some("Tina Teacher"));
    assert!(launch.roles.is_instructor());
    assert_eq!(launch.context.as_ref().unwrap().types, ["CourseSection"]);
    assert_eq!(
        launch
            .tool_platform
            .as_ref()
            .unwrap()
            .product_family_code
            .as_deref(),
        Some("moodle")
    );
    assert_eq!(env.stub.jwks_fetches(), 0, "the recorded key set was used");
}

#[tokio::test]
async fn a_tampered_copy_of_moodles_token_is_refused() {
    let env = Env::new().await;
    env.keys
        .insert(
            env.jwks_url(),
            &std::fs::read(fixture_path("moodle/certs.json")).unwrap(),
        )
        .unwrap();
    let redirect = env.login().await;
    let token = std::fs::read_to_string(fixture_path("moodle/teacher1-id-token.txt")).unwrap();
    let mut parts: Vec<String> = token.trim().split('.').map(str::to_owned).collect();
    // Same claims with another sub: the signature no longer matches.
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("2");
    claims["nonce"] = json!(redirect.nonce);
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    let form = LaunchForm::new(&parts.join("."), &redirect.state);
    let error = env
        .validator
        .validate(&form, StateBinding::Cookie(Some(&redirect.state)))
        .await
        .unwrap_err();
    assert!(matches!(error, LaunchError::BadSignature), "{error:?}");
}

#[tokio::test]
async fn login_then_launch_gives_the_launch_and_burns_the_state() {
    let env = Env::new().await;
    let redirect = env.login().await;
    let token = sign(&teacher_payload(&redirect.nonce, NOW));
    let form =
        LaunchForm::from_form(format!("id_token={token}&state={}", redirect.state).as_bytes());
    let launch = env
        .validator
        .validate(&form, StateBinding::Cookie(Some(&redirect.state)))
        .await
        .unwrap();
    assert_eq!(launch.registration_id, "moodle-1");
    assert_eq!(launch.nonce, redirect.nonce);
    assert_eq!(env.stub.jwks_fetches(), 1);
    let again = env
        .validator
        .validate(&form, StateBinding::Cookie(Some(&redirect.state)))
        .await
        .unwrap_err();
    assert_eq!(again.code(), "StateReused");
    assert_eq!(again.kind(), lti::LaunchErrorKind::Refused);
}

#[tokio::test]
async fn platform_storage_binding_is_accepted_when_the_platform_offered_it() {
    let env = Env::new().await;
    let mut request = Env::moodle_login_request();
    request.lti_storage_target = Some("_parent".to_owned());
    let redirect = env.login.initiate(&request).await.unwrap();
    let token = sign(&teacher_payload(&redirect.nonce, NOW));
    let launch = env
        .validator
        .validate(
            &LaunchForm::new(&token, &redirect.state),
            StateBinding::PlatformStorage,
        )
        .await
        .unwrap();
    assert_eq!(launch.storage_target.as_deref(), Some("_parent"));
}

#[tokio::test]
async fn the_clock_skew_is_settable() {
    let env = Env::new().await;
    let strict = LaunchValidator::new(
        Stores::from_one(env.store.clone()),
        env.keys.clone(),
        env.clock.clone(),
    )
    .with_config(LaunchConfig {
        clock_skew: Duration::ZERO,
        ..LaunchConfig::default()
    });
    let redirect = env.login().await;
    // Issued 70 s ago, expired 10 s ago: inside the default 60 s skew, outside zero skew.
    let token = sign(&teacher_payload(&redirect.nonce, NOW - 70));
    let error = strict
        .validate(
            &LaunchForm::new(&token, &redirect.state),
            StateBinding::Cookie(Some(&redirect.state)),
        )
        .await;
    assert!(matches!(error, Err(LaunchError::Expired)), "{error:?}");

    let redirect = env.login().await;
    let token = sign(&teacher_payload(&redirect.nonce, NOW - 70));
    env.validator
        .validate(
            &LaunchForm::new(&token, &redirect.state),
            StateBinding::Cookie(Some(&redirect.state)),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn anonymous_launches_need_the_setting() {
    let env = Env::new().await;
    let anonymous = LaunchValidator::new(
        Stores::from_one(env.store.clone()),
        env.keys.clone(),
        env.clock.clone(),
    )
    .with_config(LaunchConfig {
        allow_anonymous: true,
        ..LaunchConfig::default()
    });
    for (validator, accepted) in [(&env.validator, false), (&anonymous, true)] {
        let redirect = env.login().await;
        let mut payload = teacher_payload(&redirect.nonce, NOW);
        payload.as_object_mut().unwrap().remove("sub");
        let outcome = validator
            .validate(
                &LaunchForm::new(&sign(&payload), &redirect.state),
                StateBinding::Cookie(Some(&redirect.state)),
            )
            .await;
        assert_eq!(outcome.is_ok(), accepted, "{outcome:?}");
    }
}

#[tokio::test]
async fn a_launch_survives_a_round_trip_through_json() {
    let env = Env::new().await;
    let redirect = env.login().await;
    let token = sign(&teacher_payload(&redirect.nonce, NOW));
    let launch = env
        .validator
        .validate(
            &LaunchForm::new(&token, &redirect.state),
            StateBinding::Cookie(Some(&redirect.state)),
        )
        .await
        .unwrap();
    let stored = serde_json::to_string(&launch).unwrap();
    let back: Launch = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, launch);
}
