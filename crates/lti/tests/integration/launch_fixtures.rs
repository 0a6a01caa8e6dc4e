//! The launch attack suite: every folder of `tests/fixtures/launch/{valid,invalid}/<case>/`
//! (`payload.json`, `header.json`, `expect.txt` / `expect.json`, optional `request.json`) is
//! signed at test time with the platform test key and posted through login + launch; each
//! case is reported on its own line and asserts its own outcome (see the fixtures' README).

use std::path::{Path, PathBuf};

use lti::{Launch, LaunchError, LaunchForm, StateBinding};
use serde_json::{Value, json};

use crate::helpers::{Env, Signer, compact, key, public_pem};

#[tokio::test]
async fn every_launch_fixture_gives_its_expected_outcome() {
    let mut counts = [0usize; 2];
    let mut failures = Vec::new();
    for (i, kind) in ["valid", "invalid"].into_iter().enumerate() {
        for dir in case_dirs(kind) {
            let name = format!("{kind}/{}", dir.file_name().unwrap().to_string_lossy());
            counts[i] += 1;
            match run_case(kind == "valid", &dir).await {
                Ok(()) => println!("ok   {name}"),
                Err(why) => {
                    println!("FAIL {name}: {why}");
                    failures.push(format!("{name}: {why}"));
                }
            }
        }
    }
    println!(
        "launch fixtures: {} valid, {} invalid, {} failed",
        counts[0],
        counts[1],
        failures.len()
    );
    assert!(
        counts[0] >= 10 && counts[1] >= 40,
        "fixture folders missing: {counts:?}"
    );
    assert!(
        failures.is_empty(),
        "{} fixture(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn case_dirs(kind: &str) -> Vec<PathBuf> {
    let root = crate::helpers::fixture_path(&format!("launch/{kind}"));
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("test setup")
        .map(|e| e.expect("test setup").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn read_json(dir: &Path, file: &str) -> Option<Value> {
    let text = std::fs::read_to_string(dir.join(file)).ok()?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}/{file}: {e}", dir.display())))
}

/// `"{{nonce}}"`, `"{{now}}"`, `"{{now+60}}"`, `"{{now-120}}"` → the login's nonce, the clock.
fn substitute(value: &mut Value, nonce: &str, now: i64) {
    match value {
        Value::String(s) if s == "{{nonce}}" => *value = json!(nonce),
        Value::String(s) if s.starts_with("{{now") && s.ends_with("}}") => {
            let offset = &s[5..s.len() - 2];
            let offset: i64 = if offset.is_empty() {
                0
            } else {
                offset.replace('+', "").parse().expect("test setup")
            };
            *value = json!(now + offset);
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute(v, nonce, now)),
        Value::Object(map) => map.values_mut().for_each(|v| substitute(v, nonce, now)),
        _ => {}
    }
}

async fn run_case(valid: bool, dir: &Path) -> Result<(), String> {
    let env = Env::new().await;
    env.warm_keys().await;
    // Past the refetch interval, so an unknown kid may refetch once.
    env.clock.advance(60);
    let request = read_json(dir, "request.json").unwrap_or(json!({}));
    let directive = |name: &str| request[name].as_str().map(str::to_owned);

    let redirect = env.login().await;
    let mut payload = read_json(dir, "payload.json").ok_or("no payload.json")?;
    substitute(&mut payload, &redirect.nonce, env.clock.now());
    let payload = directive("raw_payload").unwrap_or_else(|| payload.to_string());
    let header = read_json(dir, "header.json").ok_or("no header.json")?;
    let signing_key = key(directive("key").as_deref().unwrap_or("platform"));
    let public = public_pem("platform");
    let signer = match header["alg"].as_str() {
        Some("none") => Signer::Unsigned,
        Some("HS256") => Signer::Hs256(public.as_bytes()),
        _ => Signer::Rs256(&signing_key),
    };
    let mut token = compact(&header, payload.as_bytes(), signer);
    if directive("signature").as_deref() == Some("empty") {
        token.truncate(token.rfind('.').expect("test setup") + 1);
    }
    let token = directive("token").unwrap_or(token);

    let mut posted = Some(redirect.state.clone());
    let mut cookie = Some(redirect.state.clone());
    let mut binding_storage = false;
    match directive("state").as_deref() {
        None => {}
        Some("missing") => posted = None,
        Some("forged") => posted = Some("forged-state".to_owned()),
        Some("no_cookie") => cookie = None,
        Some("never_issued") => {
            posted = Some("never-issued-state".to_owned());
            cookie = posted.clone();
        }
        Some("platform_storage") => binding_storage = true,
        Some(other) => return Err(format!("unknown state directive {other}")),
    }
    if let Some(seconds) = request["advance"].as_i64() {
        env.clock.advance(seconds);
    }
    let mut form = LaunchForm {
        id_token: Some(token.clone()),
        state: posted,
        ..LaunchForm::default()
    };
    if let Some(error) = directive("form_error") {
        form = LaunchForm {
            error: Some(error),
            ..form
        };
    }
    let binding = if binding_storage {
        StateBinding::PlatformStorage
    } else {
        StateBinding::Cookie(cookie.as_deref())
    };

    let mut outcome = env.validator.validate(&form, binding).await;
    match directive("replay").as_deref() {
        None => {}
        Some("state") => {
            outcome.map_err(|e| format!("first launch refused: {e:?}"))?;
            outcome = env.validator.validate(&form, binding).await;
        }
        Some("nonce") => {
            outcome.map_err(|e| format!("first launch refused: {e:?}"))?;
            let again = env.login().await;
            let form = LaunchForm::new(&token, &again.state);
            outcome = env
                .validator
                .validate(&form, StateBinding::Cookie(Some(&again.state)))
                .await;
        }
        Some(other) => return Err(format!("unknown replay directive {other}")),
    }
    if let Some(fetches) = request["jwks_fetches"].as_u64()
        && env.stub.jwks_fetches() != fetches
    {
        return Err(format!(
            "{} JWKS fetches, expected {fetches}",
            env.stub.jwks_fetches()
        ));
    }
    if valid {
        let launch = outcome.map_err(|e| format!("refused: {e:?}"))?;
        check_launch(
            &launch,
            &read_json(dir, "expect.json").ok_or("no expect.json")?,
        )
    } else {
        let expect =
            std::fs::read_to_string(dir.join("expect.txt")).map_err(|_| "no expect.txt")?;
        check_error(outcome, expect.trim())
    }
}

fn check_error(outcome: Result<Launch, LaunchError>, expect: &str) -> Result<(), String> {
    let (variant, detail) = expect
        .split_once(' ')
        .map_or((expect, None), |(v, d)| (v, Some(d)));
    let error = match outcome {
        Ok(_) => return Err(format!("accepted, expected {expect}")),
        Err(e) => e,
    };
    if error.code() != variant {
        return Err(format!("got {error:?}, expected {expect}"));
    }
    let got_detail = match &error {
        LaunchError::MissingClaim { claim } => Some((*claim).to_owned()),
        LaunchError::InvalidClaim { claim } => Some(claim.clone()),
        _ => None,
    };
    match (detail, got_detail) {
        (Some(want), Some(got)) if want != got => Err(format!("claim {got}, expected {want}")),
        (Some(_), None) => Err(format!("{error:?} names no claim, expected {expect}")),
        _ => Ok(()),
    }
}

fn check_launch(launch: &Launch, expect: &Value) -> Result<(), String> {
    for (field, want) in expect.as_object().ok_or("expect.json is not an object")? {
        let got =
            field_of(launch, field).ok_or_else(|| format!("expect.json: unknown field {field}"))?;
        if got != *want {
            return Err(format!("{field}: got {got}, expected {want}"));
        }
    }
    Ok(())
}

fn field_of(launch: &Launch, field: &str) -> Option<Value> {
    let ags = launch.ags.as_ref();
    let dl = launch.deep_linking.as_ref();
    let lti1p1 = launch.lti1p1.as_ref();
    Some(match field {
        "message_type" => json!(launch.message_type.as_str()),
        "sub" => json!(launch.user.sub),
        "name" => json!(launch.user.name),
        "email" => json!(launch.user.email),
        "is_instructor" => json!(launch.roles.is_instructor()),
        "is_learner" => json!(launch.roles.is_learner()),
        "is_administrator" => json!(launch.roles.is_administrator()),
        "context_id" => json!(launch.context.as_ref().map(|c| &c.id)),
        "context_label" => json!(launch.context.as_ref().and_then(|c| c.label.as_ref())),
        "resource_link_id" => json!(launch.resource_link.as_ref().map(|r| &r.id)),
        "deployment_id" => json!(launch.deployment_id),
        "target_link_uri" => json!(launch.target_link_uri),
        "ags_lineitems" => json!(ags.and_then(|a| a.lineitems.as_ref())),
        "ags_lineitem" => json!(ags.and_then(|a| a.lineitem.as_ref())),
        "nrps_url" => json!(launch.nrps.as_ref().map(|n| &n.context_memberships_url)),
        "custom_course_shortname" => launch.custom["course_shortname"].clone(),
        "ext_user_username" => launch.ext["user_username"].clone(),
        "lis_person_sourcedid" => json!(
            launch
                .lis
                .as_ref()
                .and_then(|l| l.person_sourcedid.as_ref())
        ),
        "deep_link_return_url" => json!(dl.map(|d| &d.deep_link_return_url)),
        "accept_multiple" => json!(dl.and_then(|d| d.accept_multiple)),
        "deep_linking_data" => json!(dl.and_then(|d| d.data.as_ref())),
        "lti1p1_user_id" => json!(lti1p1.and_then(|l| l.user_id.as_ref())),
        "lti1p1_oauth_consumer_key" => json!(lti1p1.and_then(|l| l.oauth_consumer_key.as_ref())),
        "lti1p1_resource_link_id" => json!(lti1p1.and_then(|l| l.resource_link_id.as_ref())),
        "for_user_id" => json!(launch.for_user.as_ref().and_then(|f| f.user_id.as_ref())),
        _ => return None,
    })
}
