//! `POST /api/login-lms`, `GET /api/lms/validate`, `GET /api/lms/me`, `POST /api/lms/logout`
//! (`docs/contracts/publisher.md`): LMS logins and the `X-LMS-Token` they give.
//! Bearer-authenticated like the
//! rest of the publisher; errors `{"detail": …}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use moodle_ws::Secret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{Detail, PublisherFailure};
use super::extract::{DetailJson, LmsToken};
use crate::audit::Actor;
use crate::lms::{LmsUser, LoginInput};
use crate::publish::status::rfc3339;
use crate::state::AppState;

/// `POST /api/login-lms`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The Moodle username or email address.
    pub email: String,
    /// The Moodle password.
    pub password: String,
    /// The site (`LMS_SITES` name; default the first).
    #[serde(default)]
    pub lms: Option<String>,
}

/// A successful login.
#[derive(Serialize, ToSchema)]
pub struct LoginReply {
    /// `Successfully logged into LMS`.
    pub message: String,
    /// The token and user.
    pub data: LoginData,
}

/// `data` of a login.
#[derive(Serialize, ToSchema)]
pub struct LoginData {
    /// The LMS token for `X-LMS-Token` (opaque; expires; revoked by `/api/lms/logout`).
    pub token: String,
    /// The Moodle user.
    pub user: UserReply,
    /// The site.
    pub lms: String,
    /// When the token stops working (RFC 3339).
    pub expires_at: String,
}

/// A Moodle user.
#[derive(Serialize, ToSchema)]
pub struct UserReply {
    /// Moodle's user id.
    pub id: i64,
    /// Email address (empty when Moodle does not tell).
    pub email: String,
    /// Full name.
    pub name: String,
    /// Username.
    pub username: String,
}

impl From<LmsUser> for UserReply {
    fn from(u: LmsUser) -> Self {
        UserReply {
            id: u.id,
            email: u.email,
            name: u.name,
            username: u.username,
        }
    }
}

/// A valid token.
#[derive(Serialize, ToSchema)]
pub struct ValidReply {
    /// Always `true` (an invalid token is 401).
    pub valid: bool,
    /// The site.
    pub lms: String,
    /// The Moodle user id.
    pub user_id: i64,
}

/// The user of a token.
#[derive(Serialize, ToSchema)]
pub struct MeReply {
    /// The site.
    pub lms: String,
    /// The user.
    #[serde(flatten)]
    pub user: UserReply,
}

/// Logs in to Moodle.
#[utoipa::path(post, path = "/api/login-lms", tag = "publisher", request_body = LoginRequest,
    description = "login/token.php for the site's service; an email address is resolved to its username first. Answers an LMS token for X-LMS-Token: the Moodle token stays in the bridge, encrypted.",
    security(("bearer" = ["moodle:write"])),
    responses((status = 200, description = "Logged in", body = LoginReply), (status = 401, description = "Wrong credentials", body = Detail), (status = 503, description = "Moodle unreachable", body = Detail), (status = "4XX", description = "Refused", body = Detail)))]
pub async fn login_lms(
    State(app): State<AppState>,
    actor: Actor,
    DetailJson(req): DetailJson<LoginRequest>,
) -> Result<Json<LoginReply>, PublisherFailure> {
    let input = LoginInput {
        email: req.email,
        password: Secret::new(req.password),
        lms: req.lms,
    };
    let done = app.lms.login(&actor, input).await?;
    Ok(Json(LoginReply {
        message: "Successfully logged into LMS".to_owned(),
        data: LoginData {
            token: done.token.expose().to_owned(),
            user: done.user.into(),
            lms: done.site,
            expires_at: rfc3339(done.expires_at_ms),
        },
    }))
}

/// Checks an LMS token with Moodle.
#[utoipa::path(get, path = "/api/lms/validate", tag = "publisher",
    params(("X-LMS-Token" = String, Header), ("X-LMS-Site" = Option<String>, Header, description = "the site of a raw Moodle token")),
    security(("bearer" = ["moodle:read"])),
    responses((status = 200, description = "Valid", body = ValidReply), (status = 401, description = "Expired or invalid", body = Detail), (status = "4XX", description = "Refused", body = Detail)))]
pub async fn validate(
    State(app): State<AppState>,
    actor: Actor,
    lms: LmsToken,
) -> Result<Json<ValidReply>, PublisherFailure> {
    let (credential, user_id) = app
        .lms
        .validate(&actor.owner(), lms.token.expose(), lms.site.as_deref())
        .await?;
    Ok(Json(ValidReply {
        valid: true,
        lms: credential.site.name.clone(),
        user_id,
    }))
}

/// The Moodle user of an LMS token.
#[utoipa::path(get, path = "/api/lms/me", tag = "publisher",
    params(("X-LMS-Token" = String, Header), ("X-LMS-Site" = Option<String>, Header)),
    security(("bearer" = ["moodle:read"])),
    responses((status = 200, description = "The user", body = MeReply), (status = 401, description = "Expired or invalid", body = Detail)))]
pub async fn me(
    State(app): State<AppState>,
    actor: Actor,
    lms: LmsToken,
) -> Result<Json<MeReply>, PublisherFailure> {
    let (site, user) = app
        .lms
        .me(&actor.owner(), lms.token.expose(), lms.site.as_deref())
        .await?;
    Ok(Json(MeReply {
        lms: site.name.clone(),
        user: user.into(),
    }))
}

/// Revokes an LMS token.
#[utoipa::path(post, path = "/api/lms/logout", tag = "publisher", params(("X-LMS-Token" = String, Header)),
    security(("bearer" = ["moodle:write"])),
    responses((status = 204, description = "Revoked"), (status = 401, description = "Unknown or ended", body = Detail)))]
pub async fn logout(
    State(app): State<AppState>,
    actor: Actor,
    lms: LmsToken,
) -> Result<StatusCode, PublisherFailure> {
    app.lms.logout(&actor, lms.token.expose()).await?;
    Ok(StatusCode::NO_CONTENT)
}
