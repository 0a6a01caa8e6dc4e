//! The platform's LTI Advantage services, used on behalf of a launch: Names and Role
//! Provisioning (the context's members, every page) and Assignment and Grade Services (line
//! items list and create, scores). Each call reads the endpoints the launch brought
//! (`lti_store/services.rs`) for the launch token's platform, deployment and context — never
//! a URL the caller sends, except a line item that must be one of that context's — and goes
//! through the `lti` crate's [`lti::ServiceConnector`] (client-credentials token with a signed
//! assertion, cached until shortly before it expires).
//!
//! Plain Rust, no HTTP: `http/lti_services.rs` reads requests and writes answers. Who may
//! call (staff of the launch) is decided before; errors never carry the assertion or the
//! access token (the `lti` crate's messages do not hold them).

use std::time::SystemTime;

use lti::ags::{ActivityProgress, GradingProgress, LineItem, LineItemFilter, Score};
use lti::claims::{AgsEndpoint, NrpsClaim};
use lti::nrps::{Member, MembersQuery};
use lti::{Ags, Launch, Nrps, Registration, ServiceError};

use super::{LaunchClaims, LtiTool};
use crate::lti_store::{AgsGrant, LaunchServices, ServiceContext};

/// Which service a launch lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Assignment and Grade Services.
    Grades,
    /// Names and Role Provisioning Services.
    Members,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::Grades => "Assignment and Grade Services",
            Service::Members => "Names and Role Provisioning Services",
        }
    }
}

/// Why a service call on behalf of a launch failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceCallError {
    /// The launch's claims did not grant the service (or not the URL needed).
    #[error("the platform did not grant {} to this launch", .0.name())]
    NotGranted(Service),
    /// The platform granted grade services without a line items container.
    #[error("the platform granted no line items container to this launch")]
    NoLineItems,
    /// A score without a line item: the launch's link has none and the caller named none.
    #[error(
        "this launch's link has no line item of its own; name one with lineitem (see GET /lti/lineitems)"
    )]
    NoLineItem,
    /// The line item named is not one of the launch context's.
    #[error("lineitem is not a line item of this launch's course")]
    ForeignLineItem,
    /// A request value is wrong.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The launch's platform is no longer registered.
    #[error("platform {0} is not registered")]
    UnknownPlatform(String),
    /// The platform (its token endpoint or the service) failed or refused.
    #[error(transparent)]
    Platform(#[from] ServiceError),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// A line item to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLineItem {
    /// The column title.
    pub label: String,
    /// The maximum score.
    pub score_maximum: f64,
    /// The tool's id for the graded thing.
    pub resource_id: Option<String>,
    /// The tool's tag.
    pub tag: Option<String>,
}

/// A score to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct NewScore {
    /// The platform's user id.
    pub user_id: String,
    /// The points given.
    pub score_given: Option<f64>,
    /// The points possible (required with `score_given`).
    pub score_maximum: Option<f64>,
    /// A comment for the learner.
    pub comment: Option<String>,
    /// The learner's progress (`Completed` when not given).
    pub activity_progress: Option<ActivityProgress>,
    /// The grading status (`FullyGraded` when not given).
    pub grading_progress: Option<GradingProgress>,
    /// The line item (the launch link's own when not given).
    pub lineitem: Option<String>,
}

/// A published score.
#[derive(Debug, Clone, PartialEq)]
pub struct PostedScore {
    /// The line item it went to.
    pub lineitem: String,
    /// Its timestamp.
    pub timestamp: String,
}

impl LtiTool {
    /// Keeps the AGS and NRPS endpoints of a verified launch, for later calls with its token.
    ///
    /// # Errors
    /// The database's error.
    pub async fn keep_services(&self, launch: &Launch) -> Result<(), sqlx::Error> {
        let Some(context) = launch.context.as_ref() else {
            return Ok(());
        };
        let services = LaunchServices {
            ags: launch.ags.as_ref().map(|a| AgsGrant {
                scopes: a.scope.clone(),
                lineitems: a.lineitems.clone(),
                lineitem: a.lineitem.clone(),
            }),
            memberships_url: launch
                .nrps
                .as_ref()
                .map(|n| n.context_memberships_url.clone())
                .filter(|u| !u.is_empty()),
        };
        let at = ServiceContext {
            registration: &launch.registration_id,
            deployment: &launch.deployment_id,
            context: &context.id,
        };
        let link = launch.resource_link.as_ref().map(|r| r.id.as_str());
        self.store.save_services(&at, link, &services).await
    }

    /// Every member of the launch's context (following the platform's `next` pages), `limit`
    /// per page when given; only those with `role` when given.
    ///
    /// # Errors
    /// [`ServiceCallError`].
    pub async fn members(
        &self,
        claims: &LaunchClaims,
        role: Option<String>,
        limit: Option<u32>,
    ) -> Result<Vec<Member>, ServiceCallError> {
        let (registration, services) = self.launch_services(claims).await?;
        let claim = NrpsClaim {
            context_memberships_url: services
                .memberships_url
                .ok_or(ServiceCallError::NotGranted(Service::Members))?,
            service_versions: Vec::new(),
        };
        let query = MembersQuery {
            role,
            limit,
            rlid: None,
        };
        let membership = Nrps::new(&self.connector, &registration, &claim)
            .members(&query)
            .await?;
        Ok(membership.members)
    }

    /// The line items of the launch's context.
    ///
    /// # Errors
    /// [`ServiceCallError`].
    pub async fn line_items(
        &self,
        claims: &LaunchClaims,
        filter: &LineItemFilter,
    ) -> Result<Vec<LineItem>, ServiceCallError> {
        let (registration, endpoint) = self.grades(claims).await?;
        if endpoint.lineitems.is_none() {
            return Err(ServiceCallError::NoLineItems);
        }
        Ok(Ags::new(&self.connector, &registration, &endpoint)
            .line_items(filter)
            .await?)
    }

    /// Creates a line item in the launch's context.
    ///
    /// # Errors
    /// [`ServiceCallError`].
    pub async fn create_line_item(
        &self,
        claims: &LaunchClaims,
        new: NewLineItem,
    ) -> Result<LineItem, ServiceCallError> {
        if new.label.trim().is_empty() {
            return Err(invalid("label", "must not be empty"));
        }
        if !(new.score_maximum.is_finite() && new.score_maximum > 0.0) {
            return Err(invalid("scoreMaximum", "must be a number above 0"));
        }
        let (registration, endpoint) = self.grades(claims).await?;
        if endpoint.lineitems.is_none() {
            return Err(ServiceCallError::NoLineItems);
        }
        let item = LineItem {
            label: new.label,
            score_maximum: new.score_maximum,
            resource_id: new.resource_id.filter(|s| !s.is_empty()),
            tag: new.tag.filter(|s| !s.is_empty()),
            ..LineItem::default()
        };
        Ok(Ags::new(&self.connector, &registration, &endpoint)
            .create_line_item(&item)
            .await?)
    }

    /// Publishes a score to the launch link's line item, or to `lineitem`, which must be one
    /// of the launch context's line items (the platform's list says which).
    ///
    /// # Errors
    /// [`ServiceCallError`].
    pub async fn post_score(
        &self,
        claims: &LaunchClaims,
        new: NewScore,
    ) -> Result<PostedScore, ServiceCallError> {
        if new.user_id.trim().is_empty() {
            return Err(invalid("userId", "must not be empty"));
        }
        if let Some(given) = new.score_given {
            if !(given.is_finite() && given >= 0.0) {
                return Err(invalid("scoreGiven", "must be a number of at least 0"));
            }
            // AGS 2.0 §3.4.5: scoreMaximum is required when scoreGiven is present.
            if new.score_maximum.is_none() {
                return Err(invalid("scoreMaximum", "is required with scoreGiven"));
            }
        }
        if new
            .score_maximum
            .is_some_and(|m| !(m.is_finite() && m > 0.0))
        {
            return Err(invalid("scoreMaximum", "must be a number above 0"));
        }
        let (registration, endpoint) = self.grades(claims).await?;
        let ags = Ags::new(&self.connector, &registration, &endpoint);
        let lineitem = match new.lineitem.filter(|l| !l.is_empty()) {
            None => endpoint
                .lineitem
                .clone()
                .ok_or(ServiceCallError::NoLineItem)?,
            Some(asked) if endpoint.lineitem.as_deref() == Some(asked.as_str()) => asked,
            Some(asked) => {
                if endpoint.lineitems.is_none() {
                    return Err(ServiceCallError::ForeignLineItem);
                }
                let items = ags.line_items(&LineItemFilter::default()).await?;
                if !items
                    .iter()
                    .any(|i| i.id.as_deref() == Some(asked.as_str()))
                {
                    return Err(ServiceCallError::ForeignLineItem);
                }
                asked
            }
        };
        let timestamp = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
        let score = Score {
            user_id: new.user_id,
            score_given: new.score_given,
            score_maximum: new.score_maximum,
            comment: new.comment.filter(|c| !c.is_empty()),
            timestamp: timestamp.clone(),
            activity_progress: new.activity_progress.unwrap_or(ActivityProgress::Completed),
            grading_progress: new.grading_progress.unwrap_or(GradingProgress::FullyGraded),
        };
        ags.post_score(&lineitem, &score).await?;
        Ok(PostedScore {
            lineitem,
            timestamp,
        })
    }

    /// The launch's registration and grade services.
    async fn grades(
        &self,
        claims: &LaunchClaims,
    ) -> Result<(Registration, AgsEndpoint), ServiceCallError> {
        let (registration, services) = self.launch_services(claims).await?;
        let grant = services
            .ags
            .ok_or(ServiceCallError::NotGranted(Service::Grades))?;
        Ok((
            registration,
            AgsEndpoint {
                scope: grant.scopes,
                lineitems: grant.lineitems,
                lineitem: grant.lineitem,
            },
        ))
    }

    /// The launch's registration and the services its context's latest launch brought.
    async fn launch_services(
        &self,
        claims: &LaunchClaims,
    ) -> Result<(Registration, LaunchServices), ServiceCallError> {
        let registration = self
            .store
            .registration(&claims.reg)
            .await?
            .ok_or_else(|| ServiceCallError::UnknownPlatform(claims.reg.clone()))?
            .registration;
        let at = ServiceContext {
            registration: &claims.reg,
            deployment: &claims.dep,
            context: &claims.ctx,
        };
        // No row: no launch of this context was kept (a token from before the services were
        // kept), so nothing was granted that the bridge knows of.
        let services = self
            .store
            .services(&at, claims.rlid.as_deref())
            .await?
            .unwrap_or_default();
        Ok((registration, services))
    }
}

fn invalid(field: &'static str, reason: &'static str) -> ServiceCallError {
    ServiceCallError::Invalid { field, reason }
}
