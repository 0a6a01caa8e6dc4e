//! The launch as the tool uses it: [`Launch`] and its parts (user, [`Roles`], context,
//! resource link, service claims, deep-linking settings, LTI 1.1 migration claim), built from
//! a verified id_token by `claims/id_token.rs`, which also holds the per-message-type claim
//! requirements. Every type serializes, so the bridge can keep a launch by its id.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

mod id_token;
mod lenient;
mod roles;

pub(crate) use id_token::{IdTokenClaims, Verified};
pub use roles::Roles;

/// The LTI message types this tool accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageType {
    /// `LtiResourceLinkRequest`: a user opens a link to the tool.
    #[serde(rename = "LtiResourceLinkRequest")]
    ResourceLink,
    /// `LtiDeepLinkingRequest`: a teacher picks content to add to the course.
    #[serde(rename = "LtiDeepLinkingRequest")]
    DeepLinking,
    /// `LtiSubmissionReviewRequest`: a teacher reviews a learner's submission (AGS 2.0).
    #[serde(rename = "LtiSubmissionReviewRequest")]
    SubmissionReview,
    /// `LtiStartProctoring`: a proctored attempt starts (LTI Proctoring Services 1.0).
    #[serde(rename = "LtiStartProctoring")]
    StartProctoring,
}

impl MessageType {
    /// The claim value (`LtiResourceLinkRequest`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::ResourceLink => "LtiResourceLinkRequest",
            MessageType::DeepLinking => "LtiDeepLinkingRequest",
            MessageType::SubmissionReview => "LtiSubmissionReviewRequest",
            MessageType::StartProctoring => "LtiStartProctoring",
        }
    }

    /// The message type named by a claim value.
    pub fn parse(value: &str) -> Option<MessageType> {
        [
            MessageType::ResourceLink,
            MessageType::DeepLinking,
            MessageType::SubmissionReview,
            MessageType::StartProctoring,
        ]
        .into_iter()
        .find(|t| t.as_str() == value)
    }
}

/// A validated launch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Launch {
    /// [`crate::Registration::id`] of the platform.
    pub registration_id: String,
    /// The platform's issuer.
    pub issuer: String,
    /// The tool's client id at that platform.
    pub client_id: String,
    /// `…/claim/deployment_id` (Moodle: the tool type id).
    pub deployment_id: String,
    /// `…/claim/message_type`.
    pub message_type: MessageType,
    /// `…/claim/target_link_uri`: where the user should land (Core §5.3.4).
    pub target_link_uri: Option<String>,
    /// The user (`sub` and the OIDC profile claims the platform shares).
    pub user: User,
    /// `…/claim/roles`, as sent.
    pub roles: Roles,
    /// `…/claim/role_scope_mentor`: users this mentor may see.
    pub role_scope_mentor: Vec<String>,
    /// `…/claim/context` (Moodle: the course).
    pub context: Option<Context>,
    /// `…/claim/resource_link` (Moodle: the activity).
    pub resource_link: Option<ResourceLink>,
    /// `…/claim/custom` (Moodle: custom parameters, also `context_memberships_url`).
    pub custom: Map<String, Value>,
    /// `…/lti-ags/claim/endpoint`.
    pub ags: Option<AgsEndpoint>,
    /// `…/lti-nrps/claim/namesroleservice`.
    pub nrps: Option<NrpsClaim>,
    /// `…/lti-dl/claim/deep_linking_settings` (deep-linking requests only).
    pub deep_linking: Option<DeepLinkingSettings>,
    /// `…/claim/launch_presentation`.
    pub launch_presentation: Option<LaunchPresentation>,
    /// `…/claim/tool_platform`.
    pub tool_platform: Option<ToolPlatform>,
    /// `…/claim/lis` (Moodle: user and course ID numbers).
    pub lis: Option<Lis>,
    /// `…/claim/ext` (Moodle: `lms`, `user_username`).
    pub ext: Map<String, Value>,
    /// `…/claim/lti1p1`: the LTI 1.1 migration claim.
    pub lti1p1: Option<Lti1p1>,
    /// `…/lti-bo/claim/basicoutcome`: LTI 1.1 outcome service details.
    pub basic_outcome: Option<BasicOutcome>,
    /// `…/claim/for_user`: the learner a review or proctoring message is about.
    pub for_user: Option<ForUser>,
    /// LTI Proctoring claims (`LtiStartProctoring` only).
    pub proctoring: Option<Proctoring>,
    /// The id_token's `nonce`.
    pub nonce: String,
    /// The id_token's `iat` (Unix seconds).
    pub issued_at: i64,
    /// The id_token's `exp` (Unix seconds).
    pub expires_at: i64,
    /// `lti_storage_target` from the login, when the platform offered platform storage.
    pub storage_target: Option<String>,
}

/// The launching user. Only `sub` is guaranteed (unless anonymous launches are allowed);
/// the rest depends on the platform's privacy settings (Moodle: "Share launcher's name/email").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// `sub` (Moodle: the user id, as a string).
    pub sub: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `given_name`.
    pub given_name: Option<String>,
    /// `family_name`.
    pub family_name: Option<String>,
    /// `middle_name`.
    pub middle_name: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `picture`.
    pub picture: Option<String>,
    /// `locale`.
    pub locale: Option<String>,
}

/// `…/claim/context`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// `id` (Moodle: course id).
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: String,
    /// `label` (Moodle: short name).
    #[serde(default)]
    pub label: Option<String>,
    /// `title` (Moodle: full name).
    #[serde(default)]
    pub title: Option<String>,
    /// `type` (Moodle sends the short `CourseSection`).
    #[serde(default, rename = "type", deserialize_with = "lenient::strings")]
    pub types: Vec<String>,
}

/// `…/claim/resource_link`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLink {
    /// `id` (Moodle: the LTI activity instance id).
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: String,
    /// `title`.
    #[serde(default)]
    pub title: Option<String>,
    /// `description`.
    #[serde(default)]
    pub description: Option<String>,
}

/// `…/lti-ags/claim/endpoint`: the grade service URLs and granted scopes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgsEndpoint {
    /// Scopes the tool may ask tokens for.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub scope: Vec<String>,
    /// The line items container (Moodle: `…/lineitems?type_id=1`).
    #[serde(default)]
    pub lineitems: Option<String>,
    /// The line item of this link, when there is exactly one.
    #[serde(default)]
    pub lineitem: Option<String>,
}

/// `…/lti-nrps/claim/namesroleservice`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NrpsClaim {
    /// The memberships URL.
    #[serde(default)]
    pub context_memberships_url: String,
    /// `["1.0", "2.0"]` on Moodle.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub service_versions: Vec<String>,
}

/// `…/lti-dl/claim/deep_linking_settings`. Booleans also accept the strings `"true"` and
/// `"false"` older Moodle versions sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeepLinkingSettings {
    /// Where the response JWT is posted (required).
    #[serde(default)]
    pub deep_link_return_url: String,
    /// Content item types accepted (Moodle: `ltiResourceLink` only).
    #[serde(default, deserialize_with = "lenient::strings")]
    pub accept_types: Vec<String>,
    /// `frame`, `iframe`, `window`.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub accept_presentation_document_targets: Vec<String>,
    /// Media types accepted, comma-separated.
    #[serde(default)]
    pub accept_media_types: Option<String>,
    /// Whether several items may be returned.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub accept_multiple: Option<bool>,
    /// Whether line items in content items are honoured.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub accept_lineitem: Option<bool>,
    /// Whether items are created without a confirmation.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub auto_create: Option<bool>,
    /// Whether the platform can ask for confirmation.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub can_confirm: Option<bool>,
    /// Whether copy advice is accepted.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub accept_copy_advice: Option<bool>,
    /// Whether an unsigned response is accepted.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub accept_unsigned: Option<bool>,
    /// Default title.
    #[serde(default)]
    pub title: Option<String>,
    /// Default text.
    #[serde(default)]
    pub text: Option<String>,
    /// Opaque value the response must echo.
    #[serde(default)]
    pub data: Option<Value>,
}

/// `…/claim/launch_presentation`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchPresentation {
    /// `frame`, `iframe` or `window`.
    #[serde(default)]
    pub document_target: Option<String>,
    /// Where to send the user back (Moodle: `mod/lti/return.php?…`).
    #[serde(default)]
    pub return_url: Option<String>,
    /// The user's locale.
    #[serde(default)]
    pub locale: Option<String>,
    /// Frame height.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub height: Option<i64>,
    /// Frame width.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub width: Option<i64>,
}

/// `…/claim/tool_platform`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolPlatform {
    /// A stable id of the platform instance.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub guid: Option<String>,
    /// `moodle` on Moodle (very old builds: `family_code`).
    #[serde(default, alias = "family_code")]
    pub product_family_code: Option<String>,
    /// Moodle: `$CFG->version` (`2024100706`).
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub version: Option<String>,
    /// Site name.
    #[serde(default)]
    pub name: Option<String>,
    /// Site description.
    #[serde(default)]
    pub description: Option<String>,
    /// Platform URL.
    #[serde(default)]
    pub url: Option<String>,
    /// Contact email.
    #[serde(default)]
    pub contact_email: Option<String>,
}

/// `…/claim/lis` (values may be empty strings on Moodle).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lis {
    /// The user's SIS id (Moodle: ID number).
    #[serde(default)]
    pub person_sourcedid: Option<String>,
    /// The course offering's SIS id.
    #[serde(default)]
    pub course_offering_sourcedid: Option<String>,
    /// The course section's SIS id (Moodle: course ID number).
    #[serde(default)]
    pub course_section_sourcedid: Option<String>,
}

/// `…/claim/lti1p1`: the values an LTI 1.1 launch of the same link would have had.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lti1p1 {
    /// The LTI 1.1 `user_id`.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub user_id: Option<String>,
    /// The LTI 1.1 consumer key.
    #[serde(default)]
    pub oauth_consumer_key: Option<String>,
    /// base64 HMAC-SHA256 proving the platform knows the 1.1 secret.
    #[serde(default)]
    pub oauth_consumer_key_sign: Option<String>,
    /// The LTI 1.1 `resource_link_id`.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub resource_link_id: Option<String>,
    /// The LTI 1.1 `context_id`.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub context_id: Option<String>,
    /// The LTI 1.1 `tool_consumer_instance_guid`.
    #[serde(default)]
    pub tool_consumer_instance_guid: Option<String>,
}

/// `…/lti-bo/claim/basicoutcome`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasicOutcome {
    /// The 1.1 result sourcedid.
    #[serde(default)]
    pub lis_result_sourcedid: Option<String>,
    /// The 1.1 outcome service URL.
    #[serde(default)]
    pub lis_outcome_service_url: Option<String>,
}

/// `…/claim/for_user`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForUser {
    /// The learner's id.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub user_id: Option<String>,
    /// The learner's SIS id.
    #[serde(default)]
    pub person_sourcedid: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Roles.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub roles: Vec<String>,
}

/// LTI Proctoring Services claims (`…/lti-ap/claim/*`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proctoring {
    /// `attempt_number`.
    pub attempt_number: Option<i64>,
    /// `session_data`, to echo back.
    pub session_data: Option<String>,
    /// `start_assessment_url`.
    pub start_assessment_url: Option<String>,
}

impl Launch {
    /// Whether the lti1p1 claim's `oauth_consumer_key_sign` was made with `secret` (the LTI
    /// 1.1 shared secret of `oauth_consumer_key`): base64 of HMAC-SHA256 over
    /// `key&deployment_id&iss&client_id&exp&nonce` (LTI 1.3 Migration Guide). The raw digest
    /// (1EdTech, packback) and the hex digest (Moodle's own tool side) are both accepted.
    pub fn lti1p1_signature_valid(&self, secret: &str) -> bool {
        use base64::Engine;
        use base64::engine::general_purpose::STANDARD;
        let Some(claim) = &self.lti1p1 else {
            return false;
        };
        let (Some(key), Some(sign)) = (&claim.oauth_consumer_key, &claim.oauth_consumer_key_sign)
        else {
            return false;
        };
        let base = format!(
            "{key}&{}&{}&{}&{}&{}",
            self.deployment_id, self.issuer, self.client_id, self.expires_at, self.nonce
        );
        let mac = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes()),
            base.as_bytes(),
        );
        let hex: String = mac.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        [STANDARD.encode(mac.as_ref()), STANDARD.encode(hex)]
            .iter()
            .any(|expected| crate::jwt::constant_time_eq(expected.as_bytes(), sign.as_bytes()))
    }
}

#[cfg(test)]
mod tests;
