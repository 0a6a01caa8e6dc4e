//! The id_token payload as sent (every claim optional, so absence is reported by name), and
//! the claim requirements per message type (LTI Core §5.3–5.4, Deep Linking 2.0 §4.4,
//! AGS 2.0 §3.4 submission review, Proctoring 1.0 §4.3) that turn it into a [`Launch`].
//! Unknown claims are ignored (Core §5.4.7).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{
    AgsEndpoint, BasicOutcome, Context, DeepLinkingSettings, ForUser, Launch, LaunchPresentation,
    Lis, Lti1p1, MessageType, NrpsClaim, Proctoring, ResourceLink, Roles, ToolPlatform, User,
    lenient,
};
use crate::error::LaunchError;

/// The payload of an id_token; the JWT and OIDC claims first, then LTI's.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct IdTokenClaims {
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default, deserialize_with = "lenient::audience")]
    pub aud: Option<Vec<String>>,
    #[serde(default)]
    pub azp: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub exp: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub iat: Option<i64>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    sub: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    family_name: Option<String>,
    #[serde(default)]
    middle_name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    picture: Option<String>,
    #[serde(default)]
    locale: Option<String>,

    #[serde(
        default,
        rename = "https://purl.imsglobal.org/spec/lti/claim/message_type"
    )]
    pub message_type: Option<String>,
    #[serde(default, rename = "https://purl.imsglobal.org/spec/lti/claim/version")]
    pub version: Option<String>,
    #[serde(
        default,
        rename = "https://purl.imsglobal.org/spec/lti/claim/deployment_id",
        deserialize_with = "lenient::opt_id"
    )]
    pub deployment_id: Option<String>,
    #[serde(
        default,
        rename = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"
    )]
    target_link_uri: Option<String>,
    #[serde(
        default,
        rename = "https://purl.imsglobal.org/spec/lti/claim/roles",
        deserialize_with = "lenient::opt_strings"
    )]
    roles: Option<Vec<String>>,
    #[serde(
        default,
        rename = "https://purl.imsglobal.org/spec/lti/claim/role_scope_mentor",
        deserialize_with = "lenient::strings"
    )]
    role_scope_mentor: Vec<String>,
    #[serde(default, rename = "https://purl.imsglobal.org/spec/lti/claim/context")]
    context: Option<Context>,
    #[serde(
        default,
        rename = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
    )]
    resource_link: Option<ResourceLink>,
    #[serde(
        default,
        rename = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
    )]
    launch_presentation: Option<LaunchPresentation>,
    #[serde(
        default,
        rename = "https://purl.imsglobal.org/spec/lti/claim/tool_platform"
    )]
    tool_platform: Option<ToolPlatform>,
    #[serde(default, rename = "https://purl.imsglobal.org/spec/lti/claim/lis")]
    lis: Option<Lis>,
    #[serde(default, rename = "https://purl.imsglobal.org/spec/lti/claim/custom")]
    custom: Option<Map<String, Value>>,
    #[serde(default, rename = "https://purl.imsglobal.org/spec/lti/claim/ext")]
    ext: Option<Map<String, Value>>,
    #[serde(default, rename = "https://purl.imsglobal.org/spec/lti/claim/lti1p1")]
    lti1p1: Option<Lti1p1>,
    #[serde(default, rename = "https://purl.imsglobal.org/spec/lti/claim/for_user")]
    for_user: Option<ForUser>,
    #[serde(
        default,
        rename = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
    )]
    ags: Option<AgsEndpoint>,
    #[serde(
        default,
        rename = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
    )]
    nrps: Option<NrpsClaim>,
    #[serde(
        default,
        rename = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
    )]
    deep_linking: Option<DeepLinkingSettings>,
    #[serde(
        default,
        rename = "https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"
    )]
    basic_outcome: Option<BasicOutcome>,
    #[serde(
        default,
        rename = "https://purl.imsglobal.org/spec/lti-ap/claim/attempt_number",
        deserialize_with = "lenient::opt_i64"
    )]
    attempt_number: Option<i64>,
    #[serde(
        default,
        rename = "https://purl.imsglobal.org/spec/lti-ap/claim/session_data"
    )]
    session_data: Option<String>,
    #[serde(
        default,
        rename = "https://purl.imsglobal.org/spec/lti-ap/claim/start_assessment_url"
    )]
    start_assessment_url: Option<String>,
}

/// What the launch step already established about the token.
pub(crate) struct Verified {
    pub registration_id: String,
    pub issuer: String,
    pub client_id: String,
    pub deployment_id: String,
    pub message_type: MessageType,
    pub nonce: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub storage_target: Option<String>,
}

fn missing(claim: &'static str) -> LaunchError {
    LaunchError::MissingClaim { claim }
}

fn present(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

impl IdTokenClaims {
    /// Checks the user and message-type claims and builds the launch.
    pub(crate) fn into_launch(
        self,
        verified: Verified,
        allow_anonymous: bool,
    ) -> Result<Launch, LaunchError> {
        // Core §5.3.6: sub is required unless the platform launches anonymously.
        if !allow_anonymous && !present(self.sub.as_deref()) {
            return Err(missing("sub"));
        }
        // Core §5.3.7: roles is required, may be empty.
        let roles = self.roles.ok_or(missing("roles"))?;
        if let Some(context) = &self.context
            && context.id.is_empty()
        {
            return Err(missing("context.id"));
        }
        if let Some(nrps) = &self.nrps
            && nrps.context_memberships_url.is_empty()
        {
            return Err(missing("namesroleservice.context_memberships_url"));
        }
        let needs_link = matches!(
            verified.message_type,
            MessageType::ResourceLink | MessageType::StartProctoring
        );
        if needs_link {
            let link = self
                .resource_link
                .as_ref()
                .ok_or(missing("resource_link"))?;
            if link.id.is_empty() {
                return Err(missing("resource_link.id"));
            }
        }
        // Core §5.3.4: required in resource link launches.
        if verified.message_type == MessageType::ResourceLink
            && !present(self.target_link_uri.as_deref())
        {
            return Err(missing("target_link_uri"));
        }
        match verified.message_type {
            MessageType::DeepLinking => {
                let settings = self
                    .deep_linking
                    .as_ref()
                    .ok_or(missing("deep_linking_settings"))?;
                if settings.deep_link_return_url.is_empty() {
                    return Err(missing("deep_linking_settings.deep_link_return_url"));
                }
                if settings.accept_types.is_empty() {
                    return Err(missing("deep_linking_settings.accept_types"));
                }
                if settings.accept_presentation_document_targets.is_empty() {
                    return Err(missing(
                        "deep_linking_settings.accept_presentation_document_targets",
                    ));
                }
            }
            MessageType::SubmissionReview => {
                let user = self.for_user.as_ref().ok_or(missing("for_user"))?;
                if !present(user.user_id.as_deref()) {
                    return Err(missing("for_user.user_id"));
                }
                if !present(self.ags.as_ref().and_then(|a| a.lineitem.as_deref())) {
                    return Err(missing("endpoint.lineitem"));
                }
            }
            MessageType::StartProctoring => {
                if self.attempt_number.is_none() {
                    return Err(missing("attempt_number"));
                }
                if !present(self.session_data.as_deref()) {
                    return Err(missing("session_data"));
                }
            }
            MessageType::ResourceLink => {}
        }
        let proctoring =
            (verified.message_type == MessageType::StartProctoring).then_some(Proctoring {
                attempt_number: self.attempt_number,
                session_data: self.session_data,
                start_assessment_url: self.start_assessment_url,
            });
        Ok(Launch {
            registration_id: verified.registration_id,
            issuer: verified.issuer,
            client_id: verified.client_id,
            deployment_id: verified.deployment_id,
            message_type: verified.message_type,
            target_link_uri: self.target_link_uri,
            user: User {
                sub: self.sub.filter(|s| !s.is_empty()),
                name: self.name,
                given_name: self.given_name,
                family_name: self.family_name,
                middle_name: self.middle_name,
                email: self.email,
                picture: self.picture,
                locale: self.locale,
            },
            roles: Roles(roles),
            role_scope_mentor: self.role_scope_mentor,
            context: self.context,
            resource_link: self.resource_link,
            custom: self.custom.unwrap_or_default(),
            ags: self.ags,
            nrps: self.nrps,
            deep_linking: self.deep_linking,
            launch_presentation: self.launch_presentation,
            tool_platform: self.tool_platform,
            lis: self.lis,
            ext: self.ext.unwrap_or_default(),
            lti1p1: self.lti1p1,
            basic_outcome: self.basic_outcome,
            for_user: self.for_user,
            proctoring,
            nonce: verified.nonce,
            issued_at: verified.issued_at,
            expires_at: verified.expires_at,
            storage_target: verified.storage_target,
        })
    }
}
