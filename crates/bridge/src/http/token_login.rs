//! `/api/auth/*`: token login, the bridge's side (the token-login contract,
//! `docs/contracts/token-login.md`). The Moodle token is the credential here, so these routes
//! take no bearer token; answers use the contract's shapes
//! (`{"success": …}`, `{"valid": …}`), errors `{"success": false, "error", "message",
//! "errorcode"}`.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::client_addr::ClientAddr;
use super::error::{TokenLoginFailure, TokenLoginProblem};
use super::extract::AppJson;
use crate::state::AppState;
use crate::token_login::{TokenLoginError, ValidToken};
use moodle_ws::functions::logintoken::{TokenInfo, TokenUser};

/// `POST /api/auth/token-login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenLoginRequest {
    /// The Moodle web-service token.
    pub wstoken: String,
}

/// A Moodle user.
#[derive(Debug, Serialize, ToSchema)]
pub struct MoodleUser {
    /// User id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// First name.
    pub firstname: String,
    /// Last name.
    pub lastname: String,
    /// Email address (empty when Moodle did not tell).
    pub email: String,
    /// Full name.
    pub fullname: String,
}

impl From<TokenUser> for MoodleUser {
    fn from(u: TokenUser) -> Self {
        MoodleUser {
            id: u.id,
            username: u.username,
            firstname: u.firstname,
            lastname: u.lastname,
            email: u.email,
            fullname: u.fullname,
        }
    }
}

/// When the Moodle token was made, last used and valid until (Unix seconds, 0 = never).
#[derive(Debug, Serialize, ToSchema)]
pub struct MoodleTokenInfo {
    /// Creation.
    pub created: i64,
    /// Last use.
    pub last_access: i64,
    /// Expiry.
    pub valid_until: i64,
}

impl From<TokenInfo> for MoodleTokenInfo {
    fn from(t: TokenInfo) -> Self {
        MoodleTokenInfo {
            created: t.created,
            last_access: t.last_access,
            valid_until: t.valid_until,
        }
    }
}

/// A successful token login.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenLoginReply {
    /// Always `true`.
    pub success: bool,
    /// `Login successful`.
    pub message: &'static str,
    /// The token's Moodle user.
    pub user: MoodleUser,
    /// A bridge API token for that user (`sub` = `moodle:<id>`).
    pub token: String,
    /// `Bearer`.
    pub token_type: &'static str,
    /// The API token's scopes (`AUTH_TOKEN_LOGIN_SCOPES`).
    pub scope: String,
    /// When the API token expires (Unix seconds).
    pub expires_at: u64,
    /// The Moodle site, where a browser login lands.
    pub redirect_url: String,
    /// The Moodle function that checked the token.
    pub validated_by: &'static str,
}

/// A valid token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenValidationReply {
    /// Always `true`.
    pub valid: bool,
    /// `Token is valid`.
    pub message: &'static str,
    /// The token's Moodle user.
    pub user: MoodleUser,
    /// The token's times (only the companion plugin tells them; else `null`).
    pub token_info: Option<MoodleTokenInfo>,
    /// The Moodle function that checked the token.
    pub validated_by: &'static str,
}

/// Logs in with a Moodle web-service token.
#[utoipa::path(post, path = "/api/auth/token-login", tag = "token login", request_body = TokenLoginRequest,
    description = "Checks a Moodle web-service token (with local_logintoken_validate_token, or core_webservice_get_site_info without the plugin) and returns its Moodle user and a bridge API token for that user. Rate-limited per client address.",
    responses((status = 200, description = "Success", body = TokenLoginReply), (status = "4XX", description = "The request was refused; `error.code` says why", body = TokenLoginProblem), (status = "5XX", description = "Moodle or the bridge failed; `error.details.reason` says how", body = TokenLoginProblem)))]
pub async fn token_login(
    State(app): State<AppState>,
    ClientAddr(from): ClientAddr,
    AppJson(request): AppJson<TokenLoginRequest>,
) -> Result<Json<TokenLoginReply>, TokenLoginFailure> {
    let (valid, issued) = app.token_login.login(&request.wstoken, from).await?;
    Ok(Json(TokenLoginReply {
        success: true,
        message: "Login successful",
        token: issued.token.expose().to_owned(),
        token_type: "Bearer",
        scope: issued.scopes.to_string(),
        expires_at: issued.expires_at,
        redirect_url: app.token_login.site_url().to_owned(),
        validated_by: valid.validated_by.name(),
        user: valid.user.into(),
    }))
}

/// Validates a Moodle web-service token.
#[utoipa::path(get, path = "/api/auth/token-validate", tag = "token login",
    params(("X-LMS-Token" = String, Header, description = "The Moodle web-service token (or the `wstoken` query parameter, which lands in logs: prefer the header)")),
    description = "Checks a Moodle web-service token without logging anyone in.",
    responses((status = 200, description = "Success", body = TokenValidationReply), (status = "4XX", description = "The request was refused; `error.code` says why", body = TokenLoginProblem), (status = "5XX", description = "Moodle or the bridge failed; `error.details.reason` says how", body = TokenLoginProblem)))]
pub async fn token_validate(
    State(app): State<AppState>,
    ClientAddr(from): ClientAddr,
    headers: HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Json<TokenValidationReply>, TokenLoginFailure> {
    let from_header = headers
        .get("x-lms-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let from_query = query.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "wstoken")
            .map(|(_, v)| v.into_owned())
    });
    let wstoken = from_header
        .or(from_query)
        .ok_or(TokenLoginFailure(TokenLoginError::Missing))?;
    let ValidToken {
        user,
        token_info,
        validated_by,
    } = app.token_login.validate(&wstoken, from).await?;
    Ok(Json(TokenValidationReply {
        valid: true,
        message: "Token is valid",
        user: user.into(),
        token_info: token_info.map(Into::into),
        validated_by: validated_by.name(),
    }))
}
