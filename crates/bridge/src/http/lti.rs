//! The LTI routes, public by protocol: `/lti/login` (and `/login`), `/lti/launch` (and
//! `/launch`), `/lti/deeplink`, `/lti/register`, `/.well-known/jwks.json`, `/config.json`.
//!
//! The state is bound to the browser by a cookie per state (`lti_state_<hash>`, so two
//! launches in two tabs do not overwrite each other), `HttpOnly`, and `SameSite=None; Secure`
//! when the bridge is on https or a loopback address (browsers treat those as secure); on
//! plain http elsewhere no `SameSite` is sent and the browser's default applies. When the
//! platform offers LTI platform storage the login page also stores the state there, and the
//! launch is accepted without the cookie (the page then checks the storage). When neither
//! works inside the iframe, the login page offers to continue in a new window.

mod dev;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use lti::{LaunchError, LaunchForm, LoginError, LoginRequest};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest as _, Sha256};

pub use dev::routes as dev_routes;

use super::client_addr::ClientAddr;
use super::extract::AppQuery;
use super::ui;
use crate::lti_tool::{Arrival, RegisterError};
use crate::state::AppState;
use crate::storage::hex;

/// The cookie the login page reads to see whether the browser keeps the tool's cookies here.
const PROBE_COOKIE: &str = "lti_probe";
/// How long the state cookie lives (the state's own lifetime).
const STATE_COOKIE_SECS: i64 = 300;

/// The state cookie's name: one per state.
fn state_cookie(state: &str) -> String {
    format!(
        "lti_state_{}",
        &hex(&Sha256::digest(state.as_bytes()))[..16]
    )
}

fn set_cookie(
    response: &mut Response,
    name: &str,
    value: &str,
    max_age: i64,
    http_only: bool,
    secure: bool,
) {
    let mut cookie = format!("{name}={value}; Path=/; Max-Age={max_age}");
    if http_only {
        cookie.push_str("; HttpOnly");
    }
    if secure {
        cookie.push_str("; SameSite=None; Secure");
    }
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

fn base(app: &AppState) -> String {
    app.lti.tool().base_url.to_string()
}

/// The largest value of any login or launch parameter, but the id_token.
const MAX_PARAM_BYTES: usize = 2 * 1024;
/// The largest id_token (Moodle's are 2–4 KB; custom parameters and claims add some).
const MAX_ID_TOKEN_BYTES: usize = 64 * 1024;
/// The largest body `/lti/login` and `/lti/launch` read (the route's body limit).
pub const MAX_LTI_BODY_BYTES: usize = 96 * 1024;

/// What an anonymous caller may send to the public launch routes: at most
/// `LTI_RATE_LIMIT_PER_MINUTE` requests per client address, and no parameter over its cap.
/// Checked before anything is parsed further or stored.
fn public_route_guard(
    app: &AppState,
    ClientAddr(ip): ClientAddr,
    query: &str,
    body: &[u8],
) -> Option<Response> {
    if let Err(wait) = app.lti_limiter.check(&ip.to_string()) {
        let mut page = ui::message(
            &base(app),
            StatusCode::TOO_MANY_REQUESTS,
            "ratelimited",
            "Too many launches",
            "<p>Too many launches came from your address in a short time. Wait a moment and open \
             the activity again.</p>",
            None,
        );
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().to_string()) {
            page.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Some(page);
    }
    let pairs = form_urlencoded::parse(query.as_bytes()).chain(form_urlencoded::parse(body));
    for (name, value) in pairs {
        let cap = if name == "id_token" {
            MAX_ID_TOKEN_BYTES
        } else {
            MAX_PARAM_BYTES
        };
        if name.len() > MAX_PARAM_BYTES || value.len() > cap {
            tracing::info!(parameter = %name.chars().take(64).collect::<String>(), "LTI parameter over its cap");
            return Some(ui::message(
                &base(app),
                StatusCode::BAD_REQUEST,
                "parametertoolarge",
                "The launch cannot start",
                &format!(
                    "<p>The launch's parameter {} is larger than this tool accepts.</p>",
                    crate::html::escape(&name.chars().take(64).collect::<String>())
                ),
                None,
            ));
        }
    }
    None
}

/// `GET|POST /lti/login`: the platform's OIDC login initiation.
pub async fn login(
    State(app): State<AppState>,
    client: ClientAddr,
    uri: Uri,
    body: Bytes,
) -> Response {
    let query = uri.query().unwrap_or_default();
    if let Some(refused) = public_route_guard(&app, client, query, &body) {
        return refused;
    }
    let request = LoginRequest::merged(query, &body);
    let redirect = match app.lti.login(&request).await {
        Ok(redirect) => redirect,
        Err(e) => {
            if let LoginError::UnknownRegistration { issuer, client_id } = &e
                && app.lti.is_pending(issuer, client_id.as_deref()).await
            {
                return registration_pending(&app);
            }
            return login_refused(&app, &e);
        }
    };
    let origin = redirect.url.origin().ascii_serialization();
    let mut again = app.lti.tool().login_url.clone();
    {
        let mut query = again.query_pairs_mut();
        for (name, value) in [
            ("iss", &request.iss),
            ("login_hint", &request.login_hint),
            ("target_link_uri", &request.target_link_uri),
            ("lti_message_hint", &request.lti_message_hint),
            ("client_id", &request.client_id),
            ("lti_deployment_id", &request.lti_deployment_id),
        ] {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
    }
    let storage = redirect.platform_storage.as_ref().map(|s| {
        json!({
            "target": s.target, "origin": s.origin,
            "state_key": s.state_key, "state": redirect.state,
            "nonce_key": s.nonce_key, "nonce": redirect.nonce,
        })
    });
    let config = json!({
        "auth_url": redirect.url.as_str(),
        "probe_cookie": PROBE_COOKIE,
        "storage": storage,
        "new_window_url": again.as_str(),
    });
    let mut response = ui::login(&base(&app), &config, redirect.url.as_str(), &origin);
    let secure = app.lti.secure_cookies();
    set_cookie(
        &mut response,
        &state_cookie(&redirect.state),
        &redirect.state,
        STATE_COOKIE_SECS,
        true,
        secure,
    );
    set_cookie(
        &mut response,
        PROBE_COOKIE,
        "1",
        STATE_COOKIE_SECS,
        false,
        secure,
    );
    response
}

/// A login from a platform registered dynamically but not approved yet.
fn registration_pending(app: &AppState) -> Response {
    ui::message(
        &base(app),
        StatusCode::FORBIDDEN,
        "registrationpending",
        "Waiting for approval",
        "<p>This platform registered Moodle Bridge, but the bridge's administrator has not \
         approved the registration yet. Launches work once it is approved.</p>",
        None,
    )
}

fn login_refused(app: &AppState, e: &LoginError) -> Response {
    let status = match e {
        LoginError::Store(_) | LoginError::Random => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    tracing::info!(error = %e, "LTI login refused");
    let body = format!(
        "<p>{}.</p><p>If this keeps happening, ask the site administrator to check the tool's registration.</p>",
        crate::html::escape(&e.to_string())
    );
    ui::message(
        &base(app),
        status,
        "loginrefused",
        "The launch cannot start",
        &body,
        None,
    )
}

/// `POST /lti/launch` and `POST /lti/deeplink`: the platform's authentication response.
pub async fn launch(
    State(app): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = public_route_guard(&app, client, "", &body) {
        return refused;
    }
    let form = LaunchForm::from_form(&body);
    let cookie_name = form.state.as_deref().map(state_cookie);
    let cookie_value = cookie_name.as_deref().and_then(|n| cookie(&headers, n));
    let launch = match app.lti.launch(&form, cookie_value).await {
        Ok(launch) => launch,
        Err(e) => return launch_refused(&app, &e),
    };
    let base = base(&app);
    let arrival = match app.lti.arrive(&launch) {
        Ok(arrival) => arrival,
        Err(e) => {
            tracing::error!(error = %e, "launch answer cannot be signed");
            return ui::message(
                &base,
                StatusCode::INTERNAL_SERVER_ERROR,
                "servererror",
                "Something went wrong",
                "<p>The tool cannot answer this launch. Try again.</p>",
                None,
            );
        }
    };
    if matches!(arrival, Arrival::FileManager { .. })
        && let Err(e) = app.lti.keep_services(&launch).await
    {
        // The file manager works without them; /lti/members and the grade routes then say
        // the services were not granted until the next launch.
        tracing::warn!(error = %e, "the launch's AGS and NRPS endpoints not kept");
    }
    let mut response = match arrival {
        Arrival::FileManager { token, claims } => {
            let storage_check = match (cookie_value, &launch.storage_target, &form.state) {
                (None, Some(target), Some(state)) => Some(json!({
                    "target": target, "origin": claims.origin,
                    "state_key": format!("lti_state_{state}"), "state": state,
                    "nonce_key": format!("lti_nonce_{}", launch.nonce), "nonce": launch.nonce,
                })),
                _ => None,
            };
            let config = json!({
                "token": token,
                "expires_at": claims.exp,
                "base": base,
                "course_id": claims.course,
                "user_name": claims.name,
                "storage_check": storage_check,
                "max_file_bytes": app.file_manager.max_file_bytes(),
                // What the platform granted this launch: `/lti/members`, `/lti/lineitems`
                // and `/lti/scores` answer 409 for a service it did not.
                "services": {
                    "members": launch.nrps.is_some(),
                    "grades": launch.ags.is_some(),
                    "own_lineitem": launch.ags.as_ref().is_some_and(|a| a.lineitem.is_some()),
                },
            });
            ui::file_manager(&base, &config, &claims.origin)
        }
        Arrival::DeepLinking(choices) => ui::deep_link_picker(&base, &choices),
        Arrival::NotForRole { origin, return_url } => {
            let back = return_url.map_or_else(String::new, |u| {
                format!(
                    "<p><a href=\"{}\" target=\"_top\">Back to the course</a></p>",
                    crate::html::escape(&u)
                )
            });
            let body = format!(
                "<p>The Moodle Bridge file manager is for teachers and administrators. Your role in this \
                 course does not include it.</p>{back}"
            );
            ui::message(
                &base,
                StatusCode::FORBIDDEN,
                "notforrole",
                "Not available for your role",
                &body,
                Some(&origin),
            )
        }
    };
    if let Some(name) = cookie_name.filter(|_| cookie_value.is_some()) {
        set_cookie(&mut response, &name, "", 0, true, app.lti.secure_cookies());
    }
    response
}

fn launch_refused(app: &AppState, e: &LaunchError) -> Response {
    let status = match e.kind() {
        lti::LaunchErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        lti::LaunchErrorKind::Malformed => StatusCode::BAD_REQUEST,
        // Security Framework §5.1.3 step 3 names 401 for a refused id_token.
        _ => StatusCode::UNAUTHORIZED,
    };
    tracing::info!(check = e.code(), error = %e, "LTI launch refused");
    let hint = match e {
        LaunchError::StateNotBound | LaunchError::StateMismatch => {
            "This browser did not keep the launch's cookie. Open the activity from Moodle again, \
             using its \"open in a new window\" link."
        }
        LaunchError::StateExpired | LaunchError::StateReused | LaunchError::StateUnknown => {
            "This launch was already used or took too long. Open the activity from Moodle again."
        }
        _ => {
            "Moodle's launch was refused. If this keeps happening, ask the site administrator to check the tool's registration."
        }
    };
    let body = format!(
        "<p>{}</p><p class=\"status\">Reason: {}.</p>",
        crate::html::escape(hint),
        crate::html::escape(&e.to_string())
    );
    ui::message(
        &base(app),
        status,
        e.code(),
        "The launch was refused",
        &body,
        None,
    )
}

/// `/lti/register` parameters.
#[derive(Debug, Deserialize)]
pub struct RegisterQuery {
    /// The platform's OpenID configuration URL.
    #[serde(default)]
    openid_configuration: String,
    /// The single-use registration token.
    #[serde(default)]
    registration_token: Option<String>,
}

/// `GET /lti/register`: LTI Dynamic Registration, started by the platform's administrator.
pub async fn register(
    State(app): State<AppState>,
    AppQuery(q): AppQuery<RegisterQuery>,
) -> Response {
    let base = base(&app);
    match app
        .lti
        .register(&q.openid_configuration, q.registration_token.as_deref())
        .await
    {
        Ok(id) => ui::registered(&base, &id),
        Err(e) => {
            let status = match &e {
                RegisterError::MissingConfiguration
                | RegisterError::EndpointNotAllowed { .. }
                | RegisterError::Registration(
                    lti::RegistrationError::ForeignEndpoint { .. }
                    | lti::RegistrationError::IssuerMismatch { .. }
                    | lti::RegistrationError::InvalidConfigurationUrl,
                ) => StatusCode::BAD_REQUEST,
                RegisterError::NotAllowed => StatusCode::FORBIDDEN,
                RegisterError::AlreadyRegistered => StatusCode::CONFLICT,
                RegisterError::Registration(_) => StatusCode::BAD_GATEWAY,
                RegisterError::Database(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            tracing::info!(error = %e, "dynamic registration failed");
            let body = format!("<p>{}.</p>", crate::html::escape(&e.to_string()));
            ui::message(
                &base,
                status,
                "registrationfailed",
                "Registration failed",
                &body,
                None,
            )
        }
    }
}

/// `GET /.well-known/jwks.json`: the tool's public keys.
pub async fn jwks(State(app): State<AppState>) -> Response {
    let mut response = Json(app.lti.jwks()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// `GET /config.json`: the tool's configuration for a platform administrator.
pub async fn config_json(State(app): State<AppState>) -> Json<serde_json::Value> {
    Json(app.lti.config_json())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_has_its_own_cookie() {
        let a = state_cookie("state-a");
        assert!(a.starts_with("lti_state_") && a.len() == "lti_state_".len() + 16);
        assert_ne!(a, state_cookie("state-b"));
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("x=1; {a}=state-a; lti_probe=1")).expect("ascii"),
        );
        assert_eq!(cookie(&h, &a), Some("state-a"));
        assert_eq!(cookie(&h, &state_cookie("state-b")), None);
    }
}
