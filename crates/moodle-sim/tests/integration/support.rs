//! Calling the stand-in over HTTP the way a Moodle client does.

use moodle_sim::{Sim, SimConfig};
use serde_json::Value;

/// A started stand-in with an HTTP client.
pub struct Site {
    /// The stand-in.
    pub sim: Sim,
    /// A plain HTTP client.
    pub http: reqwest::Client,
}

impl Site {
    /// Starts a freshly seeded stand-in on a free port.
    pub async fn start() -> Site {
        Site::start_with(SimConfig::default()).await
    }

    /// Starts a freshly seeded stand-in with a configuration.
    pub async fn start_with(config: SimConfig) -> Site {
        // reqwest is built without a default TLS provider; the tests speak plain HTTP but
        // the client still needs one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = Sim::start(config).await.expect("sim starts");
        Site {
            sim,
            http: reqwest::Client::new(),
        }
    }

    /// A seeded token by role name.
    pub fn token(&self, role: &str) -> String {
        self.sim.token(role).expect("seeded token")
    }

    /// `POST webservice/rest/server.php` with JSON output; returns the parsed body.
    pub async fn call(&self, token: &str, function: &str, params: &[(&str, &str)]) -> Value {
        let mut form: Vec<(&str, &str)> = vec![
            ("wstoken", token),
            ("wsfunction", function),
            ("moodlewsrestformat", "json"),
        ];
        form.extend_from_slice(params);
        let resp = self
            .http
            .post(format!("{}/webservice/rest/server.php", self.sim.url()))
            .form(&form)
            .send()
            .await
            .expect("request");
        assert_eq!(
            resp.status(),
            200,
            "{function} answered HTTP {}",
            resp.status()
        );
        resp.json().await.expect("JSON body")
    }

    /// `login/token.php` for a user and service; the token, or the error body.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        service: &str,
    ) -> Result<String, Value> {
        let body: Value = self
            .http
            .post(format!("{}/login/token.php", self.sim.url()))
            .form(&[
                ("username", username),
                ("password", password),
                ("service", service),
            ])
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON body");
        body["token"].as_str().map(str::to_owned).ok_or(body)
    }
}

/// The `errorcode` of a REST error body, if it is one.
pub fn errorcode(body: &Value) -> Option<&str> {
    body.get("exception")
        .and(body.get("errorcode"))
        .and_then(Value::as_str)
}
