//! Names and Role Provisioning Services 2.0: the members of the launch's context, every
//! page (`Link: <…>; rel="next"`), optionally filtered by `role`, paged by `limit`, and with
//! `rlid` (per-member `message` of one resource link).
//!
//! Moodle (`ltiservice_memberships`): roles in the answer are short (`Learner`,
//! `Instructor`); paging with `limit`/`from`; no `rel="differences"`; a page may hold fewer
//! than `limit` members when filtering by role; its next links drop `role` (put back here).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::claims::{NrpsClaim, Roles};
use crate::error::ServiceError;
use crate::http::{decode, expect_ok, next_link};
use crate::registration::Registration;
use crate::token::ServiceConnector;
use crate::tool::SCOPE_NRPS;

/// Media type of a membership container.
pub const MEMBERSHIP_CONTAINER: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";
/// The most pages followed (a platform answering `next` forever cannot hang the tool).
const MAX_PAGES: usize = 1000;

/// Options of a members request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MembersQuery {
    /// Only members with this role (full URI or short name).
    pub role: Option<String>,
    /// Page size.
    pub limit: Option<u32>,
    /// A resource link id: adds each member's `message` for that link.
    pub rlid: Option<String>,
}

/// The members of a context.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    /// The container id (the memberships URL).
    #[serde(default)]
    pub id: Option<String>,
    /// The context.
    #[serde(default)]
    pub context: Option<MembershipContext>,
    /// The members of every page.
    #[serde(default)]
    pub members: Vec<Member>,
}

/// The context of a membership container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipContext {
    /// The context id.
    #[serde(default)]
    pub id: String,
    /// Short name.
    #[serde(default)]
    pub label: Option<String>,
    /// Full name.
    #[serde(default)]
    pub title: Option<String>,
}

/// One member (profile fields depend on the platform's privacy settings).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The user id (the `sub` of their launches).
    #[serde(default)]
    pub user_id: String,
    /// `Active` or `Inactive`.
    #[serde(default)]
    pub status: Option<String>,
    /// Roles (short names on Moodle; [`Roles`] helpers understand them).
    #[serde(default)]
    pub roles: Roles,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Given name.
    #[serde(default)]
    pub given_name: Option<String>,
    /// Family name.
    #[serde(default)]
    pub family_name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// SIS id.
    #[serde(default)]
    pub lis_person_sourcedid: Option<String>,
    /// Picture URL.
    #[serde(default)]
    pub picture: Option<String>,
    /// With `rlid`: the messages of that link for this member.
    #[serde(default)]
    pub message: Option<Value>,
    /// Other members (Moodle: `ext_user_username`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The members service of one launch.
#[derive(Debug)]
pub struct Nrps<'a> {
    connector: &'a ServiceConnector,
    registration: &'a Registration,
    claim: &'a NrpsClaim,
}

impl<'a> Nrps<'a> {
    /// The service of `claim` (the launch's) at `registration`'s platform.
    pub fn new(
        connector: &'a ServiceConnector,
        registration: &'a Registration,
        claim: &'a NrpsClaim,
    ) -> Nrps<'a> {
        Nrps {
            connector,
            registration,
            claim,
        }
    }

    /// Every member, following `rel="next"` pages.
    ///
    /// # Errors
    /// HTTP, token and decoding errors; [`ServiceError::InvalidUrl`] for a bad URL.
    pub async fn members(&self, query: &MembersQuery) -> Result<Membership, ServiceError> {
        let mut url = Url::parse(&self.claim.context_memberships_url)
            .map_err(|_| ServiceError::InvalidUrl)?;
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(role) = &query.role {
                pairs.append_pair("role", role);
            }
            if let Some(limit) = query.limit {
                pairs.append_pair("limit", &limit.to_string());
            }
            if let Some(rlid) = &query.rlid {
                pairs.append_pair("rlid", rlid);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        let mut all = Membership::default();
        let mut next = Some(url);
        let mut seen = Vec::new();
        for _ in 0..MAX_PAGES {
            let Some(url) = next.take() else { break };
            seen.push(url.clone());
            let (page, link) = self.page(&url).await?;
            if all.id.is_none() {
                all.id = page.id;
                all.context = page.context;
            }
            all.members.extend(page.members);
            next = link
                .map(|n| keep_role(n, query.role.as_deref()))
                .filter(|n| !seen.contains(n));
        }
        Ok(all)
    }

    /// One page and the `next` link of its answer.
    ///
    /// # Errors
    /// HTTP, token and decoding errors.
    pub async fn page(&self, url: &Url) -> Result<(Membership, Option<Url>), ServiceError> {
        let response = self
            .connector
            .send(self.registration, &[SCOPE_NRPS], |http| {
                http.get(url.clone())
                    .header(reqwest::header::ACCEPT, MEMBERSHIP_CONTAINER)
            })
            .await?;
        let next = next_link(response.headers());
        let page = decode(expect_ok(response).await?)?;
        Ok((page, next))
    }
}

/// Moodle's next link (`service/memberships.php`) keeps `limit`, `from` and `rlid` but drops
/// `role`, so later pages would hold every role at offsets counted among the filtered ones;
/// the role goes back on when missing.
fn keep_role(mut next: Url, role: Option<&str>) -> Url {
    if let Some(role) = role
        && !next.query_pairs().any(|(k, _)| k == "role")
    {
        next.query_pairs_mut().append_pair("role", role);
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_next_link_without_the_role_gets_it_back() {
        let next = Url::parse("http://m/memberships?limit=2&from=2&rlid=1").unwrap();
        let role = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
        assert_eq!(
            keep_role(next.clone(), Some(role))
                .query_pairs()
                .filter(|(k, _)| k == "role")
                .count(),
            1
        );
        let with_role = keep_role(keep_role(next.clone(), Some(role)), Some(role));
        assert_eq!(
            with_role.query_pairs().filter(|(k, _)| k == "role").count(),
            1
        );
        assert_eq!(keep_role(next.clone(), None), next);
    }

    #[test]
    fn moodles_members_parse_with_short_roles() {
        let body = r#"{"id":"http://m/memberships","context":{"id":"2","label":"PHYS101","title":"Physics 101"},"members":[{"status":"Active","roles":["Instructor"],"user_id":"3","lis_person_sourcedid":"T001","name":"Tina Teacher","given_name":"Tina","family_name":"Teacher","email":"teacher1@example.com","ext_user_username":"teacher1"}]}"#;
        let page: Membership = serde_json::from_str(body).unwrap();
        let member = &page.members[0];
        assert!(member.roles.is_instructor());
        assert_eq!(member.extra["ext_user_username"], "teacher1");
        assert_eq!(page.context.unwrap().label.as_deref(), Some("PHYS101"));
    }
}
