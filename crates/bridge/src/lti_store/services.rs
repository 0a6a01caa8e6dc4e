//! `lti_context_services` and `lti_link_lineitems`: the AGS and NRPS endpoints the latest
//! launch of a context (and of a resource link) brought, so API calls with that launch's
//! token — on any instance — reach the platform's services.

use sqlx::Row as _;

use super::LtiStore;
use crate::audit::now_ms;

/// Where a launch's services are: a platform's deployment's context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceContext<'a> {
    /// The registration.
    pub registration: &'a str,
    /// The deployment.
    pub deployment: &'a str,
    /// The LTI context.
    pub context: &'a str,
}

/// The services a launch's claims granted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchServices {
    /// Assignment and Grade Services, when the launch carried the claim.
    pub ags: Option<AgsGrant>,
    /// The NRPS `context_memberships_url`, when the launch carried the claim.
    pub memberships_url: Option<String>,
}

/// The AGS claim of a launch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgsGrant {
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// The line items container.
    pub lineitems: Option<String>,
    /// The line item of the launch's resource link.
    pub lineitem: Option<String>,
}

impl LtiStore {
    /// Keeps a launch's services: the context's row, and the resource link's line item.
    ///
    /// # Errors
    /// The database's error.
    pub async fn save_services(
        &self,
        at: &ServiceContext<'_>,
        resource_link: Option<&str>,
        services: &LaunchServices,
    ) -> Result<(), sqlx::Error> {
        let now = now_ms();
        let ags = services.ags.as_ref();
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO lti_context_services (registration_id, deployment_id, context_id, \
             ags_scopes, ags_lineitems, nrps_memberships, updated_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (registration_id, deployment_id, context_id) DO UPDATE SET \
             ags_scopes = excluded.ags_scopes, ags_lineitems = excluded.ags_lineitems, \
             nrps_memberships = excluded.nrps_memberships, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(at.registration)
        .bind(at.deployment)
        .bind(at.context)
        .bind(ags.map(|a| a.scopes.join(" ")))
        .bind(ags.and_then(|a| a.lineitems.clone()))
        .bind(services.memberships_url.as_deref())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if let Some(link) = resource_link {
            sqlx::query(
                "INSERT INTO lti_link_lineitems (registration_id, deployment_id, context_id, \
                 resource_link_id, lineitem, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (registration_id, deployment_id, context_id, resource_link_id) \
                 DO UPDATE SET lineitem = excluded.lineitem, updated_at_ms = excluded.updated_at_ms",
            )
            .bind(at.registration)
            .bind(at.deployment)
            .bind(at.context)
            .bind(link)
            .bind(ags.and_then(|a| a.lineitem.clone()))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// The services kept for a context (and the line item of `resource_link`); `None` when
    /// no launch of that context was kept.
    ///
    /// # Errors
    /// The database's error.
    pub async fn services(
        &self,
        at: &ServiceContext<'_>,
        resource_link: Option<&str>,
    ) -> Result<Option<LaunchServices>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT ags_scopes, ags_lineitems, nrps_memberships FROM lti_context_services \
             WHERE registration_id = $1 AND deployment_id = $2 AND context_id = $3",
        )
        .bind(at.registration)
        .bind(at.deployment)
        .bind(at.context)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let scopes: Option<String> = row.try_get("ags_scopes")?;
        let lineitem = match (&scopes, resource_link) {
            (Some(_), Some(link)) => sqlx::query(
                "SELECT lineitem FROM lti_link_lineitems WHERE registration_id = $1 \
                     AND deployment_id = $2 AND context_id = $3 AND resource_link_id = $4",
            )
            .bind(at.registration)
            .bind(at.deployment)
            .bind(at.context)
            .bind(link)
            .fetch_optional(self.db.pool())
            .await?
            .map(|r| r.try_get::<Option<String>, _>("lineitem"))
            .transpose()?
            .flatten(),
            _ => None,
        };
        Ok(Some(LaunchServices {
            ags: match scopes {
                Some(scopes) => Some(AgsGrant {
                    scopes: scopes.split_whitespace().map(str::to_owned).collect(),
                    lineitems: row.try_get("ags_lineitems")?,
                    lineitem,
                }),
                None => None,
            },
            memberships_url: row.try_get("nrps_memberships")?,
        }))
    }

    /// Whether `deployment` is still registered for `registration` (a launch token of a
    /// removed platform or deployment is refused).
    ///
    /// # Errors
    /// The database's error.
    pub async fn has_deployment(
        &self,
        registration: &str,
        deployment: &str,
    ) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query(
            "SELECT 1 AS one FROM lti_deployments WHERE registration_id = $1 AND deployment_id = $2",
        )
        .bind(registration)
        .bind(deployment)
        .fetch_optional(self.db.pool())
        .await?
        .is_some())
    }
}
