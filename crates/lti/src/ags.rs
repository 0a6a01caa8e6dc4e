//! Assignment and Grade Services 2.0: line items (list, get, create), scores and results,
//! through the launch's `…/lti-ags/claim/endpoint` URLs.
//!
//! Moodle (`ltiservice_gradebookservices`): the line items list is a bare JSON array; ids are
//! URLs ending in `?type_id=<type>`, so `/scores` and `/results` go before the query; a new
//! line item answers 201; a score answers 200 with an empty body, 409 `[]` when its timestamp
//! is not newer than the stored grade (whole seconds), 400 `[]` for an unknown or not gradable
//! user or a score without `timestamp`/`activityProgress`/`gradingProgress`.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::claims::AgsEndpoint;
use crate::error::ServiceError;
use crate::http::{decode, expect_ok, next_link, status_error};
use crate::registration::Registration;
use crate::token::ServiceConnector;
use crate::tool::{SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE};

/// Media type of one line item.
pub const LINEITEM: &str = "application/vnd.ims.lis.v2.lineitem+json";
/// Media type of a line items list.
pub const LINEITEM_CONTAINER: &str = "application/vnd.ims.lis.v2.lineitemcontainer+json";
/// Media type of a score.
pub const SCORE: &str = "application/vnd.ims.lis.v1.score+json";
/// Media type of a results list.
pub const RESULT_CONTAINER: &str = "application/vnd.ims.lis.v2.resultcontainer+json";
/// The largest answer read.
/// The most pages followed.
const MAX_PAGES: usize = 100;

/// A line item (a grade column).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    /// Its URL (absent when creating).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The maximum score.
    pub score_maximum: f64,
    /// The column title.
    pub label: String,
    /// The tool's id for the graded thing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// The tool's tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The resource link it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_link_id: Option<String>,
    /// Other members (Moodle: `ltiLinkId`; `startDateTime`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `activityProgress` of a score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum ActivityProgress {
    Initialized,
    Started,
    InProgress,
    Submitted,
    Completed,
}

/// `gradingProgress` of a score (Moodle stores a grade only for `FullyGraded`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum GradingProgress {
    FullyGraded,
    Pending,
    PendingManual,
    Failed,
    NotReady,
}

/// A score to publish.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Score {
    /// The platform's user id (the launch's `sub`).
    pub user_id: String,
    /// The points given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_given: Option<f64>,
    /// The points possible (Moodle: required with `scoreGiven`, defaults to 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_maximum: Option<f64>,
    /// A comment for the learner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// ISO 8601 with sub-second precision; must be newer than the stored score.
    pub timestamp: String,
    /// The learner's progress.
    pub activity_progress: ActivityProgress,
    /// The grading status.
    pub grading_progress: GradingProgress,
}

impl Score {
    /// A final score (`Completed`, `FullyGraded`) stamped with `at`.
    pub fn graded(user_id: &str, given: f64, maximum: f64, at: SystemTime) -> Score {
        Score {
            user_id: user_id.to_owned(),
            score_given: Some(given),
            score_maximum: Some(maximum),
            comment: None,
            timestamp: humantime::format_rfc3339_millis(at).to_string(),
            activity_progress: ActivityProgress::Completed,
            grading_progress: GradingProgress::FullyGraded,
        }
    }
}

/// A result (a learner's current grade in a line item).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgsResult {
    /// The platform's user id.
    #[serde(default)]
    pub user_id: String,
    /// The grade (Moodle scales it to the line item's maximum).
    #[serde(default)]
    pub result_score: Option<f64>,
    /// The maximum.
    #[serde(default)]
    pub result_maximum: Option<f64>,
    /// A comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// Other members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Filters of the line items list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineItemFilter {
    /// Only items of this resource link.
    pub resource_link_id: Option<String>,
    /// Only items with this resource id.
    pub resource_id: Option<String>,
    /// Only items with this tag.
    pub tag: Option<String>,
}

/// The grade services of one launch.
#[derive(Debug)]
pub struct Ags<'a> {
    connector: &'a ServiceConnector,
    registration: &'a Registration,
    endpoint: &'a AgsEndpoint,
}

impl<'a> Ags<'a> {
    /// The services of `endpoint` (the launch's claim) at `registration`'s platform.
    pub fn new(
        connector: &'a ServiceConnector,
        registration: &'a Registration,
        endpoint: &'a AgsEndpoint,
    ) -> Ags<'a> {
        Ags {
            connector,
            registration,
            endpoint,
        }
    }

    /// Every line item of the context (following `Link: rel="next"` pages).
    ///
    /// # Errors
    /// [`ServiceError::NotOffered`] without a `lineitems` URL; HTTP and token errors.
    pub async fn line_items(&self, filter: &LineItemFilter) -> Result<Vec<LineItem>, ServiceError> {
        let mut url = self.lineitems_url()?;
        for (name, value) in [
            ("resource_link_id", &filter.resource_link_id),
            ("resource_id", &filter.resource_id),
            ("tag", &filter.tag),
        ] {
            if let Some(value) = value {
                url.query_pairs_mut().append_pair(name, value);
            }
        }
        let scopes = self.scopes(SCOPE_LINEITEM_READONLY);
        let mut items = Vec::new();
        let mut next = Some(url);
        for _ in 0..MAX_PAGES {
            let Some(url) = next.take() else { break };
            let response = self
                .connector
                .send(self.registration, &scopes, |http| {
                    http.get(url.clone())
                        .header(reqwest::header::ACCEPT, LINEITEM_CONTAINER)
                })
                .await?;
            next = next_link(response.headers()).filter(|n| *n != url);
            let page: Vec<LineItem> = decode(expect_ok(response).await?)?;
            items.extend(page);
        }
        Ok(items)
    }

    /// One line item by its URL.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], HTTP and token errors.
    pub async fn line_item(&self, url: &str) -> Result<LineItem, ServiceError> {
        let url = parse_url(url)?;
        let scopes = self.scopes(SCOPE_LINEITEM_READONLY);
        let response = self
            .connector
            .send(self.registration, &scopes, |http| {
                http.get(url.clone())
                    .header(reqwest::header::ACCEPT, LINEITEM)
            })
            .await?;
        decode(expect_ok(response).await?)
    }

    /// Creates a line item (Moodle: a manual grade item tagged with `resourceId`/`tag`).
    ///
    /// # Errors
    /// [`ServiceError::NotOffered`], HTTP and token errors.
    pub async fn create_line_item(&self, item: &LineItem) -> Result<LineItem, ServiceError> {
        let url = self.lineitems_url()?;
        let body = serde_json::to_vec(item).map_err(|e| ServiceError::Decode {
            reason: e.to_string(),
        })?;
        let response = self
            .connector
            .send(self.registration, &self.scopes(SCOPE_LINEITEM), |http| {
                http.post(url.clone())
                    .header(reqwest::header::CONTENT_TYPE, LINEITEM)
                    .header(reqwest::header::ACCEPT, LINEITEM)
                    .body(body.clone())
            })
            .await?;
        decode(expect_ok(response).await?)
    }

    /// Publishes a score to the line item at `line_item_url` (`…/lineitem?type_id=1` →
    /// `…/lineitem/scores?type_id=1`).
    ///
    /// # Errors
    /// [`ServiceError::ScoreNotNewer`] (409), [`ServiceError::ScoreRejected`] (400), HTTP
    /// and token errors.
    pub async fn post_score(&self, line_item_url: &str, score: &Score) -> Result<(), ServiceError> {
        let url = sub_resource(line_item_url, "scores")?;
        let body = serde_json::to_vec(score).map_err(|e| ServiceError::Decode {
            reason: e.to_string(),
        })?;
        let response = self
            .connector
            .send(self.registration, &self.scopes(SCOPE_SCORE), |http| {
                http.post(url.clone())
                    .header(reqwest::header::CONTENT_TYPE, SCORE)
                    .body(body.clone())
            })
            .await?;
        match response.status().as_u16() {
            200..=299 => Ok(()),
            409 => Err(ServiceError::ScoreNotNewer),
            400 => Err(ServiceError::ScoreRejected),
            status => Err(status_error(status)),
        }
    }

    /// The results of the line item at `line_item_url`.
    ///
    /// # Errors
    /// HTTP and token errors.
    pub async fn results(&self, line_item_url: &str) -> Result<Vec<AgsResult>, ServiceError> {
        let url = sub_resource(line_item_url, "results")?;
        let response = self
            .connector
            .send(
                self.registration,
                &self.scopes(SCOPE_RESULT_READONLY),
                |http| {
                    http.get(url.clone())
                        .header(reqwest::header::ACCEPT, RESULT_CONTAINER)
                },
            )
            .await?;
        decode(expect_ok(response).await?)
    }

    fn lineitems_url(&self) -> Result<Url, ServiceError> {
        let url = self
            .endpoint
            .lineitems
            .as_deref()
            .ok_or(ServiceError::NotOffered {
                service: "line items URL",
            })?;
        parse_url(url)
    }

    /// The scopes a token is asked for: all the claim grants (so one cached token serves
    /// every AGS call of the launch, as packback does), or `needed` when the claim lists none.
    fn scopes(&self, needed: &'static str) -> Vec<&'a str> {
        if self.endpoint.scope.is_empty() {
            vec![needed]
        } else {
            self.endpoint.scope.iter().map(String::as_str).collect()
        }
    }
}

/// `line_item_url` with `/<leaf>` appended to its path, query kept.
pub(crate) fn sub_resource(line_item_url: &str, leaf: &str) -> Result<Url, ServiceError> {
    let mut url = parse_url(line_item_url)?;
    let path = format!("{}/{leaf}", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(url)
}

fn parse_url(url: &str) -> Result<Url, ServiceError> {
    Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or(ServiceError::InvalidUrl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_results_go_before_moodles_query() {
        let url = sub_resource(
            "http://m.example/mod/lti/services.php/2/lineitems/5/lineitem?type_id=1",
            "scores",
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "http://m.example/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=1"
        );
        let url = sub_resource("https://p.example/items/5/", "results").unwrap();
        assert_eq!(url.as_str(), "https://p.example/items/5/results");
    }

    #[test]
    fn a_graded_score_serializes_as_moodle_expects() {
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_795_305_886_123);
        let json = serde_json::to_value(Score::graded("4", 8.5, 10.0, at)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "userId": "4", "scoreGiven": 8.5, "scoreMaximum": 10.0,
                "timestamp": "2026-11-22T00:04:46.123Z",
                "activityProgress": "Completed", "gradingProgress": "FullyGraded"
            })
        );
    }

    #[test]
    fn moodles_line_item_parses_with_its_extra_members() {
        let item: LineItem = serde_json::from_str(r#"{"id":"http://m/lineitem?type_id=1","label":"Bridge tool activity","scoreMaximum":100,"resourceId":"","tag":"","resourceLinkId":"1","ltiLinkId":"1"}"#).unwrap();
        assert_eq!(item.score_maximum, 100.0);
        assert_eq!(item.resource_link_id.as_deref(), Some("1"));
        assert_eq!(item.extra["ltiLinkId"], "1");
    }
}
