//! The LTI tables on SQLite and on PostgreSQL (when `BRIDGE_TEST_POSTGRES_URL` names a
//! server; one skip line otherwise): states and nonces single-use across two connection pools
//! and across two bridges sharing one database, registrations with their sealed Moodle token,
//! and the tool's sealed keys.

use lti::store::{
    LoginState, NonceStore as _, RegistrationStore as _, StateLookup, StateStore as _,
};
use lti::{Clock, Registration};
use moodle_ws::Secret;
use sqlx::Row as _;

use super::browser::Browser;
use super::{TEACHER, begin_launch, files_form, launch_config, log_in, with_token};
use crate::helpers::{Options, SECRET_KEY, body_json, postgres_database, spawn_app_with};

/// A SQLite file in `dir`, and a fresh PostgreSQL database when a server is there.
async fn backends(dir: &tempfile::TempDir) -> Vec<String> {
    let mut urls = vec![format!("sqlite://{}/lti.db?mode=rwc", dir.path().display())];
    urls.extend(postgres_database().await);
    urls
}

/// Two stores on two pools of the same database, with a clock the test moves.
async fn two_stores(
    url: &str,
    clock: &Clock,
) -> (
    bridge::lti_store::LtiStore,
    bridge::lti_store::LtiStore,
    bridge::db::Db,
) {
    let a = bridge::db::Db::connect(url).await.expect("connect");
    a.migrate().await.expect("migrate");
    let b = bridge::db::Db::connect(url).await.expect("connect");
    let secret = Secret::new(SECRET_KEY);
    (
        bridge::lti_store::LtiStore::new(a.clone(), &secret, clock.clone()),
        bridge::lti_store::LtiStore::new(b, &secret, clock.clone()),
        a,
    )
}

fn login_state(state: &str, now: i64) -> LoginState {
    LoginState {
        state: state.to_owned(),
        nonce: format!("nonce-of-{state}"),
        registration_id: "default".to_owned(),
        issuer: "https://moodle.example.org".to_owned(),
        client_id: "client".to_owned(),
        deployment_id: Some("1".to_owned()),
        target_link_uri: "https://bridge.example.org/lti/launch".to_owned(),
        storage_target: None,
        created_at: now,
        expires_at: now + 300,
    }
}

fn registration(id: &str, deployments: &[&str]) -> Registration {
    Registration {
        id: id.to_owned(),
        issuer: "https://moodle.example.org".to_owned(),
        client_id: "client".to_owned(),
        auth_login_url: url::Url::parse("https://moodle.example.org/mod/lti/auth.php")
            .expect("url"),
        access_token_url: url::Url::parse("https://moodle.example.org/mod/lti/token.php")
            .expect("url"),
        jwks_url: url::Url::parse("https://moodle.example.org/mod/lti/certs.php").expect("url"),
        token_audience: None,
        deployments: deployments.iter().map(|d| (*d).to_owned()).collect(),
    }
}

#[tokio::test]
async fn states_and_nonces_are_single_use_across_connections_on_every_backend() {
    let dir = tempfile::tempdir().expect("dir");
    for url in backends(&dir).await {
        let clock = Clock::manual(1_800_000_000);
        let (a, b, _db) = two_stores(&url, &clock).await;
        let now = clock.now();
        a.save(login_state("state-1", now)).await.expect("save");
        match b.take("state-1").await.expect("take") {
            StateLookup::Found(s) => {
                assert_eq!(
                    (s.nonce.as_str(), s.deployment_id.as_deref()),
                    ("nonce-of-state-1", Some("1"))
                );
            }
            other => panic!("{url}: {other:?}"),
        }
        assert!(
            matches!(a.take("state-1").await.expect("take"), StateLookup::Used),
            "{url}"
        );
        assert!(
            matches!(
                b.take("never-issued").await.expect("take"),
                StateLookup::Unknown
            ),
            "{url}"
        );

        // Two launches racing with one state: exactly one wins.
        a.save(login_state("state-2", now)).await.expect("save");
        let (x, y) = tokio::join!(a.take("state-2"), b.take("state-2"));
        let found = [x.expect("take"), y.expect("take")]
            .iter()
            .filter(|l| matches!(l, StateLookup::Found(_)))
            .count();
        assert_eq!(found, 1, "{url}");

        assert!(
            a.record("https://moodle.example.org", "n-1", now + 60)
                .await
                .expect("record")
        );
        assert!(
            !b.record("https://moodle.example.org", "n-1", now + 60)
                .await
                .expect("record"),
            "{url}: replay"
        );
        assert!(
            b.record("https://other.example.org", "n-1", now + 60)
                .await
                .expect("record"),
            "per issuer"
        );
        clock.advance(61);
        assert!(
            b.record("https://moodle.example.org", "n-1", clock.now() + 60)
                .await
                .expect("record"),
            "{url}: expired nonces may come back"
        );

        // Old states go after their grace time; a late replay before that still reads "used".
        clock.advance(3600);
        assert!(a.purge().await.expect("purge") >= 2, "{url}");
        assert!(
            matches!(a.take("state-1").await.expect("take"), StateLookup::Unknown),
            "{url}"
        );
    }
}

#[tokio::test]
async fn registrations_keep_their_moodle_token_sealed_on_every_backend() {
    let dir = tempfile::tempdir().expect("dir");
    for url in backends(&dir).await {
        let clock = Clock::system();
        let (a, b, db) = two_stores(&url, &clock).await;
        let saved = a
            .save_registration(&bridge::lti_store::NewRegistration {
                registration: registration("moodle-a", &["1", "2"]),
                moodle_url: "https://moodle.example.org".to_owned(),
                moodle_token: Some(Secret::new("moodle-ws-token-0123456789")),
                created_by: "cli",
                replace_deployments: true,
            })
            .await
            .expect("save");
        assert_eq!(saved, "moodle-a");
        // The same issuer and client id again, under another id: the row is updated, its id
        // and its token kept.
        let again = b
            .save_registration(&bridge::lti_store::NewRegistration {
                registration: registration("other-id", &["3"]),
                moodle_url: "https://moodle.example.org".to_owned(),
                moodle_token: None,
                created_by: "cli",
                replace_deployments: false,
            })
            .await
            .expect("save");
        assert_eq!(again, "moodle-a", "{url}");
        let found = b
            .find("https://moodle.example.org", "client")
            .await
            .expect("find")
            .expect("registered");
        assert_eq!(found.deployments, ["1", "2", "3"], "{url}");
        let (site, token) = b
            .moodle_site("moodle-a")
            .await
            .expect("read")
            .expect("site");
        assert_eq!(site, "https://moodle.example.org");
        assert_eq!(
            token.expect("opens").as_ref().map(Secret::expose),
            Some("moodle-ws-token-0123456789")
        );
        let raw: String =
            sqlx::query("SELECT moodle_token FROM lti_registrations WHERE id = 'moodle-a'")
                .fetch_one(db.pool())
                .await
                .expect("row")
                .try_get("moodle_token")
                .expect("column");
        assert!(!raw.contains("moodle-ws-token"), "{url}: sealed at rest");

        // Another SECRET_KEY cannot open it.
        let stranger = bridge::lti_store::LtiStore::new(
            db.clone(),
            &Secret::new("a-different-secret-key-0123456789abcdef-xyz"),
            clock.clone(),
        );
        let (_, token) = stranger
            .moodle_site("moodle-a")
            .await
            .expect("read")
            .expect("site");
        assert!(token.is_err(), "{url}");

        assert!(a.remove_registration("moodle-a").await.expect("remove"));
        assert!(!a.remove_registration("moodle-a").await.expect("remove"));
        assert!(
            b.find_by_issuer("https://moodle.example.org")
                .await
                .expect("find")
                .is_empty()
        );
        let left: i64 = sqlx::query("SELECT COUNT(*) AS n FROM lti_deployments")
            .fetch_one(db.pool())
            .await
            .expect("row")
            .try_get("n")
            .expect("n");
        assert_eq!(left, 0, "{url}: deployments go with their registration");
    }
}

#[tokio::test]
async fn tool_keys_are_made_once_sealed_and_rotated_on_every_backend() {
    let dir = tempfile::tempdir().expect("dir");
    for url in backends(&dir).await {
        let clock = Clock::system();
        let (a, b, db) = two_stores(&url, &clock).await;
        let now = 1_800_000_000_000;
        let k1 = lti::ToolKey::generate().expect("key");
        let k2 = lti::ToolKey::generate().expect("key");
        let (p1, p2) = (
            k1.private_pem().expect("pem"),
            k2.private_pem().expect("pem"),
        );
        // Two instances starting at once: one key wins.
        let (x, y) = tokio::join!(
            a.insert_first_key(k1.kid(), p1.expose(), now),
            b.insert_first_key(k2.kid(), p2.expose(), now)
        );
        assert_eq!(
            [x.expect("insert"), y.expect("insert")]
                .iter()
                .filter(|w| **w)
                .count(),
            1,
            "{url}"
        );
        let keys = a.tool_keys(now).await.expect("keys");
        assert_eq!(keys.len(), 1, "{url}");
        let first = keys[0].kid.clone();
        assert!(keys[0].current);
        let raw: String = sqlx::query("SELECT private_pem FROM lti_tool_keys")
            .fetch_one(db.pool())
            .await
            .expect("row")
            .try_get("private_pem")
            .expect("column");
        assert!(!raw.contains("PRIVATE KEY"), "{url}: sealed");

        let k3 = lti::ToolKey::generate().expect("key");
        b.rotate_key(
            k3.kid(),
            k3.private_pem().expect("pem").expose(),
            now + 1,
            now + 1000,
        )
        .await
        .expect("rotate");
        let kids: Vec<(String, bool)> = a
            .tool_keys(now + 2)
            .await
            .expect("keys")
            .into_iter()
            .map(|k| (k.kid, k.current))
            .collect();
        assert_eq!(
            kids,
            [(k3.kid().to_owned(), true), (first.clone(), false)],
            "{url}"
        );
        let later: Vec<String> = a
            .tool_keys(now + 1000)
            .await
            .expect("keys")
            .into_iter()
            .map(|k| k.kid)
            .collect();
        assert_eq!(later, [k3.kid().to_owned()], "{url}: the overlap is over");
    }
}

#[tokio::test]
async fn two_bridges_sharing_a_database_take_each_state_once() {
    let dir = tempfile::tempdir().expect("dir");
    for url in backends(&dir).await {
        let a = spawn_app_with(Options {
            lti: Some(false),
            ..Options::default().env("DATABASE_URL", &url)
        })
        .await;
        // B: the same database, registered with A's stand-in (its own stand-in unused).
        let b = spawn_app_with(Options {
            lti: Some(false),
            moodle_url: Some(a.sim.url().to_owned()),
            ..Options::default()
                .env("DATABASE_URL", &url)
                .env("LTI_ISSUER", a.sim.url())
        })
        .await;

        // Login at A, the platform's answer posted to B.
        let browser = Browser::new();
        log_in(&browser, a.sim.url(), TEACHER).await;
        let step = begin_launch(&browser, a.sim.url(), 8).await;
        assert!(step.url.starts_with(&a.url), "{}", step.url);
        let config = step.json_block("login-config").expect("config");
        let auth = browser.get(config["auth_url"].as_str().expect("url")).await;
        let mut form = auth.form("ltiAuthForm").expect("form");
        form.action = format!("{}/lti/launch", b.url);
        let at_b = browser.submit(&auth, &form).await;
        assert_eq!(at_b.status, 200, "{url}: {}", at_b.body);
        let token = launch_config(&at_b)["token"]
            .as_str()
            .expect("token")
            .to_owned();

        // The same answer at A: the state was taken at B.
        let cookie = browser
            .cookies(&a.url)
            .into_iter()
            .find(|(n, _)| n.starts_with("lti_state_"));
        assert!(cookie.is_none(), "B cleared the state cookie");
        let state = form.field("state").expect("state").to_owned();
        let name = {
            use sha2::Digest as _;
            let digest = sha2::Sha256::digest(state.as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            format!("lti_state_{}", &hex[..16])
        };
        browser.set_cookie(&a.url, &name, &state);
        form.action = format!("{}/lti/launch", a.url);
        let replay = browser.submit(&auth, &form).await;
        assert_eq!(
            (replay.status.as_u16(), replay.code().as_deref()),
            (401, Some("StateReused")),
            "{url}"
        );

        // The launch token from B works at A (same SECRET_KEY), on the shared file tables.
        let upload = with_token(&b, reqwest::Method::POST, "/upload_files", &token)
            .multipart(files_form(&[("shared.txt", b"both".to_vec())]))
            .send()
            .await
            .expect("request");
        assert_eq!(upload.status(), 200, "{url}");
        let listed = body_json(
            with_token(&a, reqwest::Method::GET, "/list_uploaded_files", &token)
                .send()
                .await
                .expect("request"),
        )
        .await;
        assert_eq!(listed[0]["name"], "shared.txt", "{url}");
        b.stop().await;
        a.stop().await;
    }
}
