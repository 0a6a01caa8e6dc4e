//! `lti_registrations` and `lti_deployments`: the platforms that may launch the tool, each
//! with its deployments and the Moodle site (URL and sealed web-service token) a launch from
//! it reads. A registration is `active` or `pending`: dynamic registrations start pending and
//! only active ones are found for logins and launches.

use lti::Registration;
use moodle_ws::Secret;
use sqlx::Row as _;
use url::Url;

use super::LtiStore;
use crate::audit::now_ms;
use crate::crypto::SealError;
use crate::db::Db;

/// A registration to save.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    /// The platform, its endpoints and deployments.
    pub registration: Registration,
    /// Its Moodle's site root.
    pub moodle_url: String,
    /// Its Moodle's web-service token; `None` keeps the one stored (if any).
    pub moodle_token: Option<Secret>,
    /// `env`, `dynamic` or `cli`.
    pub created_by: &'static str,
    /// Replace the stored deployments with these (else add the new ones).
    pub replace_deployments: bool,
}

/// A stored registration, as `moodle-bridge lti list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformRecord {
    /// The platform.
    pub registration: Registration,
    /// Its Moodle's site root.
    pub moodle_url: String,
    /// Whether a web-service token is stored for it.
    pub has_moodle_token: bool,
    /// How it was made.
    pub created_by: String,
    /// When (Unix milliseconds).
    pub created_at_ms: i64,
    /// `active`, or `pending` until an administrator approves it.
    pub status: RegistrationStatus,
}

/// Whether a registration's launches are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationStatus {
    /// Launches are accepted.
    Active,
    /// Made by dynamic registration; launches are refused until `moodle-bridge lti approve`.
    Pending,
}

impl RegistrationStatus {
    /// The word stored in the `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Active => "active",
            RegistrationStatus::Pending => "pending",
        }
    }

    fn parse(raw: &str) -> RegistrationStatus {
        // Anything but `active` is treated as not yet trusted.
        if raw == "active" {
            RegistrationStatus::Active
        } else {
            RegistrationStatus::Pending
        }
    }
}

/// Why a pending registration was not saved.
#[derive(Debug, thiserror::Error)]
pub enum PendingSaveError {
    /// A registration with this issuer and client id exists: it is never replaced from
    /// outside.
    #[error("a registration for issuer {issuer} and client id {client_id} exists")]
    Exists {
        /// The issuer.
        issuer: String,
        /// The client id.
        client_id: String,
    },
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Where an approved registration's Moodle access comes from.
#[derive(Debug, Clone)]
pub enum MoodleAccess {
    /// This web-service token (sealed before it is stored).
    Token(Secret),
    /// The same sealed token as this other registration (e.g. `default`, the one it was made for).
    SameAs(String),
    /// None: launches work, but file features answer that the platform has no Moodle token.
    Without,
}

/// Why an approval failed.
#[derive(Debug, thiserror::Error)]
pub enum ApproveError {
    /// No registration with this id.
    #[error("no registration {0:?}")]
    Unknown(String),
    /// The registration whose token was to be reused has none.
    #[error("registration {0:?} has no Moodle token to share")]
    NoTokenToShare(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The columns every registration query reads.
macro_rules! columns {
    () => {
        "id, issuer, client_id, auth_login_url, access_token_url, jwks_url, token_audience, \
         moodle_url, moodle_token, created_by, created_at_ms, status"
    };
}

impl LtiStore {
    /// Saves a registration an operator made (`LTI_*` variables, `moodle-bridge lti add`), active:
    /// the row with the same issuer and client id is updated (keeping its id), else the row
    /// with this id, else a new one. Returns the id it is stored under.
    ///
    /// # Errors
    /// The database's error.
    pub async fn save_registration(&self, new: &NewRegistration) -> Result<String, sqlx::Error> {
        let r = &new.registration;
        let mut tx = self.db.begin_write().await?;
        let existing: Option<String> =
            sqlx::query("SELECT id FROM lti_registrations WHERE issuer = $1 AND client_id = $2")
                .bind(&r.issuer)
                .bind(&r.client_id)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| row.try_get("id"))
                .transpose()?;
        let id = existing.unwrap_or_else(|| r.id.clone());
        let sealed = new
            .moodle_token
            .as_ref()
            .map(|t| self.tokens.seal(t.expose()));
        sqlx::query(
            "INSERT INTO lti_registrations (id, issuer, client_id, auth_login_url, \
             access_token_url, jwks_url, token_audience, moodle_url, moodle_token, created_by, \
             created_at_ms, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'active') \
             ON CONFLICT (id) DO UPDATE SET issuer = excluded.issuer, status = 'active', \
             client_id = excluded.client_id, auth_login_url = excluded.auth_login_url, \
             access_token_url = excluded.access_token_url, jwks_url = excluded.jwks_url, \
             token_audience = excluded.token_audience, moodle_url = excluded.moodle_url, \
             moodle_token = COALESCE(excluded.moodle_token, lti_registrations.moodle_token)",
        )
        .bind(&id)
        .bind(&r.issuer)
        .bind(&r.client_id)
        .bind(r.auth_login_url.as_str())
        .bind(r.access_token_url.as_str())
        .bind(r.jwks_url.as_str())
        .bind(r.token_audience.as_deref())
        .bind(&new.moodle_url)
        .bind(sealed)
        .bind(new.created_by)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        if new.replace_deployments {
            sqlx::query("DELETE FROM lti_deployments WHERE registration_id = $1")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        for deployment in &r.deployments {
            sqlx::query(
                "INSERT INTO lti_deployments (registration_id, deployment_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&id)
            .bind(deployment)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Saves a registration made by dynamic registration, pending: never over an existing
    /// one (same issuer and client id, or same id), without a Moodle token, and with no
    /// launch accepted until [`LtiStore::approve`].
    ///
    /// # Errors
    /// [`PendingSaveError::Exists`] when the platform is registered already; the database's.
    pub async fn save_pending(&self, new: &NewRegistration) -> Result<String, PendingSaveError> {
        let r = &new.registration;
        let exists = || PendingSaveError::Exists {
            issuer: r.issuer.clone(),
            client_id: r.client_id.clone(),
        };
        let mut tx = self.db.begin_write().await?;
        let taken = sqlx::query(
            "SELECT id FROM lti_registrations WHERE (issuer = $1 AND client_id = $2) OR id = $3",
        )
        .bind(&r.issuer)
        .bind(&r.client_id)
        .bind(&r.id)
        .fetch_optional(&mut *tx)
        .await?;
        if taken.is_some() {
            return Err(exists());
        }
        let inserted = sqlx::query(
            "INSERT INTO lti_registrations (id, issuer, client_id, auth_login_url, \
             access_token_url, jwks_url, token_audience, moodle_url, moodle_token, created_by, \
             created_at_ms, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, 'pending')",
        )
        .bind(&r.id)
        .bind(&r.issuer)
        .bind(&r.client_id)
        .bind(r.auth_login_url.as_str())
        .bind(r.access_token_url.as_str())
        .bind(r.jwks_url.as_str())
        .bind(r.token_audience.as_deref())
        .bind(&new.moodle_url)
        .bind(new.created_by)
        .bind(now_ms())
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            // Another instance saved the same platform between the look-up and the insert.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(exists()),
            Err(e) => return Err(e.into()),
        }
        for deployment in &r.deployments {
            sqlx::query(
                "INSERT INTO lti_deployments (registration_id, deployment_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&r.id)
            .bind(deployment)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(r.id.clone())
    }

    /// Makes a registration active, with the Moodle access the administrator chose.
    ///
    /// # Errors
    /// [`ApproveError`].
    pub async fn approve(&self, id: &str, access: &MoodleAccess) -> Result<(), ApproveError> {
        let mut tx = self.db.begin_write().await?;
        let sealed: Option<String> = match access {
            MoodleAccess::Token(token) => Some(self.tokens.seal(token.expose())),
            MoodleAccess::SameAs(other) => {
                let row = sqlx::query("SELECT moodle_token FROM lti_registrations WHERE id = $1")
                    .bind(other)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| ApproveError::Unknown(other.clone()))?;
                let token: Option<String> = row.try_get("moodle_token")?;
                Some(token.ok_or_else(|| ApproveError::NoTokenToShare(other.clone()))?)
            }
            MoodleAccess::Without => None,
        };
        let updated = sqlx::query(
            "UPDATE lti_registrations SET status = 'active', moodle_token = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(sealed)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(ApproveError::Unknown(id.to_owned()));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether a pending registration matches this issuer (and client id, when given): a
    /// login from it gets "waiting for approval" rather than "unknown platform".
    ///
    /// # Errors
    /// The database's error.
    pub async fn is_pending(
        &self,
        issuer: &str,
        client_id: Option<&str>,
    ) -> Result<bool, sqlx::Error> {
        let row = match client_id {
            Some(client_id) => {
                sqlx::query(
                    "SELECT id FROM lti_registrations WHERE issuer = $1 AND client_id = $2 \
                     AND status = 'pending'",
                )
                .bind(issuer)
                .bind(client_id)
                .fetch_optional(self.db.pool())
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT id FROM lti_registrations WHERE issuer = $1 AND status = 'pending'",
                )
                .bind(issuer)
                .fetch_optional(self.db.pool())
                .await?
            }
        };
        Ok(row.is_some())
    }

    /// Every registration, by id.
    ///
    /// # Errors
    /// The database's error.
    pub async fn registrations(&self) -> Result<Vec<PlatformRecord>, sqlx::Error> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM lti_registrations ORDER BY id"
        ))
        .fetch_all(self.db.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(record(&self.db, row).await?);
        }
        Ok(out)
    }

    /// The registration with this id.
    ///
    /// # Errors
    /// The database's error.
    pub async fn registration(&self, id: &str) -> Result<Option<PlatformRecord>, sqlx::Error> {
        let row = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM lti_registrations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        match row {
            Some(row) => Ok(Some(record(&self.db, &row).await?)),
            None => Ok(None),
        }
    }

    /// The Moodle site of a registration: its root and its token (`None` when none is stored).
    ///
    /// # Errors
    /// `Ok(Err(SealError))` when the token cannot be opened (another `SECRET_KEY`).
    pub async fn moodle_site(
        &self,
        id: &str,
    ) -> Result<Option<(String, Result<Option<Secret>, SealError>)>, sqlx::Error> {
        let row =
            sqlx::query("SELECT moodle_url, moodle_token FROM lti_registrations WHERE id = $1")
                .bind(id)
                .fetch_optional(self.db.pool())
                .await?;
        let Some(row) = row else { return Ok(None) };
        let url: String = row.try_get("moodle_url")?;
        let sealed: Option<String> = row.try_get("moodle_token")?;
        let token = sealed.map(|s| self.tokens.open(&s)).transpose();
        Ok(Some((url, token)))
    }

    /// Deletes a registration and its deployments; whether it existed.
    ///
    /// # Errors
    /// The database's error.
    pub async fn remove_registration(&self, id: &str) -> Result<bool, sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query("DELETE FROM lti_deployments WHERE registration_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let gone = sqlx::query("DELETE FROM lti_registrations WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(gone == 1)
    }
}

/// Active registrations of `issuer` (and `client_id`, when given), with their deployments:
/// the only ones a login or a launch may use.
pub(super) async fn find(
    db: &Db,
    issuer: &str,
    client_id: Option<&str>,
) -> Result<Vec<Registration>, sqlx::Error> {
    let rows =
        match client_id {
            Some(client_id) => sqlx::query(concat!(
                "SELECT ",
                columns!(),
                " FROM lti_registrations WHERE issuer = $1 AND client_id = $2 AND status = 'active'"
            ))
            .bind(issuer)
            .bind(client_id)
            .fetch_all(db.pool())
            .await?,
            None => {
                sqlx::query(concat!(
                    "SELECT ",
                    columns!(),
                    " FROM lti_registrations WHERE issuer = $1 AND status = 'active' ORDER BY id"
                ))
                .bind(issuer)
                .fetch_all(db.pool())
                .await?
            }
        };
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(record(db, row).await?.registration);
    }
    Ok(out)
}

async fn record(db: &Db, row: &sqlx::any::AnyRow) -> Result<PlatformRecord, sqlx::Error> {
    let id: String = row.try_get("id")?;
    let deployments = sqlx::query(
        "SELECT deployment_id FROM lti_deployments WHERE registration_id = $1 ORDER BY deployment_id",
    )
    .bind(&id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>("deployment_id"))
    .collect::<Result<Vec<_>, _>>()?;
    let url = |name: &str| -> Result<Url, sqlx::Error> {
        let raw: String = row.try_get(name)?;
        Url::parse(&raw).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    };
    let sealed: Option<String> = row.try_get("moodle_token")?;
    Ok(PlatformRecord {
        registration: Registration {
            issuer: row.try_get("issuer")?,
            client_id: row.try_get("client_id")?,
            auth_login_url: url("auth_login_url")?,
            access_token_url: url("access_token_url")?,
            jwks_url: url("jwks_url")?,
            token_audience: row.try_get("token_audience")?,
            deployments,
            id,
        },
        moodle_url: row.try_get("moodle_url")?,
        has_moodle_token: sealed.is_some(),
        created_by: row.try_get("created_by")?,
        created_at_ms: row.try_get("created_at_ms")?,
        status: RegistrationStatus::parse(&row.try_get::<String, _>("status")?),
    })
}
