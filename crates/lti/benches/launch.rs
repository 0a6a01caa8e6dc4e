//! Launch validation per core, with the platform key set cached: `LaunchValidator::validate`
//! (every check, in-memory stores, single use of state and nonce) side by side with bare
//! RS256 verification of the same tokens — jsonwebtoken's `decode` without claim checks, the
//! `rsa` crate's PKCS#1 v1.5 verify, and ring's (the backend `lti` uses) — and, when
//! `python3` has PyJWT, PyJWT's RS256 `decode` with the same claim checks
//! (`benches/pyjwt_launch.py`). Medians of interleaved rounds, one thread each.
//!
//! Run `scripts/bench-lti` (release build, pinned to one CPU), or `cargo bench -p lti --bench
//! launch`. Environment: `LTI_BENCH_TOKENS` (default 2000 distinct launches), `LTI_BENCH_ROUNDS`
//! (default 7), `LTI_BENCH_PYTHON` (default `python3`; `none` skips PyJWT).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lti::store::{LoginState, StateStore};
use lti::{
    Clock, LaunchForm, LaunchValidator, MemoryStore, PlatformKeys, Registration, StateBinding,
    Stores, ToolKey,
};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use serde_json::{Value, json};

const ISSUER: &str = "http://127.0.0.1:8081";
const CLIENT_ID: &str = "9jaP3Q6PNFuPzAg";
const KID: &str = "16a44423db2ba42d6f2b";

struct Case {
    token: String,
    state: LoginState,
}

fn fixture(rest: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{rest}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture file")
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Distinct launches (own state and nonce) of Moodle's teacher payload, signed by the
/// platform test key.
fn make_cases(count: usize, key: &ToolKey, now: i64) -> Vec<Case> {
    let payload: Value = serde_json::from_str(&fixture(
        "launch/valid/moodle_teacher_resource_link/payload.json",
    ))
    .expect("payload fixture");
    let header =
        URL_SAFE_NO_PAD.encode(json!({"typ": "JWT", "alg": "RS256", "kid": KID}).to_string());
    (0..count)
        .map(|i| {
            let (state, nonce) = (format!("state-{i:06}"), format!("nonce-{i:06}"));
            let mut claims = payload.clone();
            claims["nonce"] = json!(nonce);
            // Valid for an hour of real time, so PyJWT can check them with its own clock.
            claims["iat"] = json!(now);
            claims["exp"] = json!(now + 3600);
            let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
            let signature = URL_SAFE_NO_PAD.encode(key.sign_rs256(input.as_bytes()).expect("sign"));
            let state = LoginState {
                state,
                nonce,
                registration_id: "moodle-1".to_owned(),
                issuer: ISSUER.to_owned(),
                client_id: CLIENT_ID.to_owned(),
                deployment_id: Some("1".to_owned()),
                target_link_uri: "http://127.0.0.1:8090/lti/launch".to_owned(),
                storage_target: None,
                created_at: now,
                expires_at: now + 3600,
            };
            Case {
                token: format!("{input}.{signature}"),
                state,
            }
        })
        .collect()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(moodle_ws::tls::config(&[], false).expect("tls"))
        .build()
        .expect("http client")
}

/// One round of the full pipeline over every case, with fresh stores; µs per launch.
fn round_lti(
    rt: &tokio::runtime::Runtime,
    cases: &[Case],
    keys: &Arc<PlatformKeys>,
    registration: &Registration,
) -> f64 {
    let clock = Clock::system();
    // Sized like a running process's (whose tables grew long ago), not grown from empty
    // inside the timed loop (about 1 us a launch of rehashing).
    let store = Arc::new(MemoryStore::with_capacity(clock.clone(), 2 * cases.len()));
    store.add_registration(registration.clone());
    let validator = LaunchValidator::new(Stores::from_one(store.clone()), keys.clone(), clock);
    let forms: Vec<LaunchForm> = cases
        .iter()
        .map(|c| LaunchForm::new(&c.token, &c.state.state))
        .collect();
    rt.block_on(async {
        for case in cases {
            store.save(case.state.clone()).await.expect("save state");
        }
        let start = Instant::now();
        for form in &forms {
            let state = form.state.as_deref();
            let launch = validator
                .validate(form, StateBinding::Cookie(state))
                .await
                .expect("valid launch");
            black_box(launch);
        }
        start.elapsed().as_secs_f64() * 1e6 / cases.len() as f64
    })
}

fn round(cases: &[Case], verify: impl Fn(&str)) -> f64 {
    let start = Instant::now();
    for case in cases {
        verify(&case.token);
    }
    start.elapsed().as_secs_f64() * 1e6 / cases.len() as f64
}

fn median_or_none(values: Vec<f64>) -> Option<f64> {
    (!values.is_empty()).then(|| median(values))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The PyJWT comparator (`benches/pyjwt_launch.py`), fed the same tokens; one round per
/// call so its rounds interleave with the Rust ones.
struct PyJwt {
    python: String,
    dir: std::path::PathBuf,
}

impl PyJwt {
    fn new(cases: &[Case], public_pem: &str) -> Option<PyJwt> {
        let python = std::env::var("LTI_BENCH_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        if python == "none" {
            return None;
        }
        let dir = std::env::temp_dir().join(format!("lti-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let tokens: Vec<Value> = cases
            .iter()
            .map(|c| json!({"token": c.token, "nonce": c.state.nonce}))
            .collect();
        std::fs::write(dir.join("tokens.json"), Value::Array(tokens).to_string()).ok()?;
        std::fs::write(dir.join("public.pem"), public_pem).ok()?;
        let comparator = PyJwt { python, dir };
        match comparator.round() {
            Ok(_) => Some(comparator),
            Err(why) => {
                eprintln!("PyJWT comparator skipped: {why}");
                None
            }
        }
    }

    fn round(&self) -> Result<f64, String> {
        let script = format!("{}/benches/pyjwt_launch.py", env!("CARGO_MANIFEST_DIR"));
        let output = std::process::Command::new(&self.python)
            .arg(&script)
            .arg(&self.dir)
            .arg("1")
            .output()
            .map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
        }
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .map_err(|_| "no timing printed".to_owned())
    }
}

impl Drop for PyJwt {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn main() {
    let count = env_number("LTI_BENCH_TOKENS", 2000);
    let rounds = env_number("LTI_BENCH_ROUNDS", 7);
    let platform = ToolKey::from_pem(&fixture("keys/platform.pem")).expect("platform key");
    let cases = make_cases(count, &platform, Clock::system().now());
    let jwk = platform.public_jwk();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let registration =
        Registration::moodle("moodle-1", ISSUER, CLIENT_ID, &["1"]).expect("registration");
    let keys = Arc::new(PlatformKeys::new(http(), Clock::system()));
    let mut jwk_moodle = serde_json::to_value(&jwk).expect("jwk");
    jwk_moodle["kid"] = json!(KID);
    keys.insert(
        &registration.jwks_url,
        json!({"keys": [jwk_moodle]}).to_string().as_bytes(),
    )
    .expect("jwks");

    let jwt_key =
        jsonwebtoken::DecodingKey::from_rsa_components(&jwk.n, &jwk.e).expect("decoding key");
    let mut bare = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    bare.required_spec_claims.clear();
    bare.validate_exp = false;
    bare.validate_aud = false;
    let n = URL_SAFE_NO_PAD.decode(&jwk.n).expect("n");
    let e = URL_SAFE_NO_PAD.decode(&jwk.e).expect("e");
    let rsa_key: VerifyingKey<sha2::Sha256> = VerifyingKey::new(
        rsa::RsaPublicKey::new(
            rsa::BigUint::from_bytes_be(&n),
            rsa::BigUint::from_bytes_be(&e),
        )
        .expect("rsa key"),
    );
    let split = |token: &str| {
        let (input, signature) = token.rsplit_once('.').expect("three parts");
        (
            input.to_owned(),
            URL_SAFE_NO_PAD.decode(signature).expect("signature"),
        )
    };

    let public_pem = platform.public_pem().expect("public pem");
    let pyjwt = PyJwt::new(&cases, &public_pem);
    let mut python = vec![];
    let (mut ours, mut jwt, mut rsa_bare, mut ring_bare, mut ring_decode) =
        (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        ours.push(round_lti(&rt, &cases, &keys, &registration));
        jwt.push(round(&cases, |t| {
            black_box(
                jsonwebtoken::decode::<Value>(t, &jwt_key, &bare).expect("jsonwebtoken verify"),
            );
        }));
        rsa_bare.push(round(&cases, |t| {
            let (input, sig) = split(t);
            rsa_key
                .verify(
                    input.as_bytes(),
                    &Signature::try_from(sig.as_slice()).expect("signature"),
                )
                .expect("rsa verify");
        }));
        ring_bare.push(round(&cases, |t| {
            let (input, sig) = split(t);
            ring::signature::RsaPublicKeyComponents { n: &n, e: &e }
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    input.as_bytes(),
                    &sig,
                )
                .expect("ring verify");
        }));
        ring_decode.push(round(&cases, |t| {
            let (input, sig) = split(t);
            ring::signature::RsaPublicKeyComponents { n: &n, e: &e }
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    input.as_bytes(),
                    &sig,
                )
                .expect("ring verify");
            let payload = URL_SAFE_NO_PAD
                .decode(input.split('.').nth(1).expect("payload"))
                .expect("base64");
            black_box(serde_json::from_slice::<Value>(&payload).expect("claims"));
        }));
        if let Some(pyjwt) = &pyjwt {
            python.extend(pyjwt.round().ok());
        }
    }
    let python = median_or_none(python);

    let ours = median(ours);
    println!(
        "launch validation, cached JWKS, 1 thread, {count} distinct launches x {rounds} rounds (median)"
    );
    println!(
        "{:<58} {:>9} {:>10} {:>9}",
        "", "us/launch", "launches/s", "vs lti"
    );
    let row = |name: &str, us: f64| {
        println!(
            "{name:<58} {us:>9.1} {:>10.0} {:>8.2}x",
            1e6 / us,
            us / ours
        );
    };
    row("lti LaunchValidator::validate (all checks, stores)", ours);
    row(
        "bare: jsonwebtoken::decode, no claim checks (RustCrypto)",
        median(jwt),
    );
    row("bare: rsa crate pkcs1v15 verify only", median(rsa_bare));
    row(
        "bare: ring RS256 verify only (lti's backend)",
        median(ring_bare),
    );
    row(
        "bare: ring verify + claims to a serde_json::Value, no checks",
        median(ring_decode),
    );
    match python {
        Some(us) => row("PyJWT jwt.decode RS256 + the same claim checks", us),
        None => println!("PyJWT: not run (needs python3 with pyjwt and cryptography)"),
    }
}
