//! `/api/webhooks` (a caller's subscriptions, `webhooks:manage`) and `/api/events/stream`
//! (Moodle's events as server-sent events, `events:read`): each handler extracts, calls the
//! webhooks service and answers in the gateway's envelope `{"ok": true, "data": …}`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ErrorEnvelope, GatewayFailure};
use super::extract::{AppJson, AppQuery, Caller};
use crate::state::AppState;
use crate::webhooks::events::{event_id, event_number, selects};
use crate::webhooks::{DeliveryView, Event, NewWebhook, ReplayFrom, WebhookPatch, WebhookView};
use query::{DeliveriesQuery, StreamQuery};

mod query;

/// Events sent per database read of a stream.
const STREAM_PAGE: i64 = 100;

/// `{"ok": true, "data": …}` with `status`.
fn answer<T: Serialize>(status: StatusCode, data: T) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "ok": true, "data": data })),
    )
        .into_response()
}

/// A new subscription, with its secret (shown only in this answer).
#[derive(Serialize, ToSchema)]
pub struct CreatedWebhook {
    /// The subscription.
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_…`: verify each delivery's `webhook-signature` with it. Not shown again.
    pub secret: String,
}

/// Makes a subscription.
#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks", request_body = NewWebhook,
    description = "Subscribes a URL to Moodle's events. The answer carries the signing secret (`whsec_…`) this once. Deliveries are POSTs of one event each, signed per the Standard Webhooks specification (`webhook-id`, `webhook-timestamp`, `webhook-signature`), in event order, retried with backoff for WEBHOOK_RETRY_SECONDS (a day). The URL must be public (no loopback or private address) unless WEBHOOK_ALLOW_PRIVATE_TARGETS.",
    security(("bearer" = ["webhooks:manage"])),
    responses((status = 201, description = "Made", body = CreatedWebhook), (status = "4XX", description = "Refused; `error.code` says why (`invalidparameter` names the field)", body = ErrorEnvelope)))]
pub async fn create_webhook(
    State(app): State<AppState>,
    Caller(caller): Caller,
    AppJson(new): AppJson<NewWebhook>,
) -> Result<Response, GatewayFailure> {
    let (webhook, secret) = app.webhooks.create(&caller.key(), new).await?;
    Ok(answer(
        StatusCode::CREATED,
        CreatedWebhook {
            webhook,
            secret: secret.expose().to_owned(),
        },
    ))
}

/// The caller's subscriptions.
#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks",
    security(("bearer" = ["webhooks:manage"])),
    responses((status = 200, description = "Oldest first", body = Vec<WebhookView>), (status = "4XX", description = "Refused", body = ErrorEnvelope)))]
pub async fn list_webhooks(
    State(app): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, GatewayFailure> {
    Ok(answer(
        StatusCode::OK,
        app.webhooks.list(&caller.key()).await?,
    ))
}

/// One subscription of the caller's.
#[utoipa::path(get, path = "/api/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    security(("bearer" = ["webhooks:manage"])),
    responses((status = 200, description = "The subscription", body = WebhookView), (status = 404, description = "Not the caller's", body = ErrorEnvelope)))]
pub async fn get_webhook(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, GatewayFailure> {
    Ok(answer(
        StatusCode::OK,
        app.webhooks.get(&caller.key(), &id).await?,
    ))
}

/// Changes a subscription: the fields sent.
#[utoipa::path(patch, path = "/api/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)), request_body = WebhookPatch,
    description = "Changes the fields sent. `active: true` resumes a subscription the bridge disabled; the events it missed meanwhile are sent again by `POST /api/webhooks/{id}/replay`.",
    security(("bearer" = ["webhooks:manage"])),
    responses((status = 200, description = "Changed", body = WebhookView), (status = "4XX", description = "Refused", body = ErrorEnvelope)))]
pub async fn update_webhook(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    AppJson(patch): AppJson<WebhookPatch>,
) -> Result<Response, GatewayFailure> {
    Ok(answer(
        StatusCode::OK,
        app.webhooks.update(&caller.key(), &id, patch).await?,
    ))
}

/// Deletes a subscription and its deliveries.
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    security(("bearer" = ["webhooks:manage"])),
    responses((status = 200, description = "Deleted"), (status = 404, description = "Not the caller's", body = ErrorEnvelope)))]
pub async fn delete_webhook(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, GatewayFailure> {
    app.webhooks.delete(&caller.key(), &id).await?;
    Ok(answer(StatusCode::OK, serde_json::json!({ "deleted": id })))
}

/// A subscription's deliveries, newest first.
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = String, Path), DeliveriesQuery),
    security(("bearer" = ["webhooks:manage"])),
    responses((status = 200, description = "Newest first", body = Vec<DeliveryView>), (status = "4XX", description = "Refused", body = ErrorEnvelope)))]
pub async fn list_deliveries(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<DeliveriesQuery>,
) -> Result<Response, GatewayFailure> {
    let list = app
        .webhooks
        .deliveries(
            &caller.key(),
            &id,
            q.before.as_deref(),
            q.limit.unwrap_or(50),
        )
        .await?;
    Ok(answer(StatusCode::OK, list))
}

/// Where a replay starts: one of the two.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// From this event on (`evt_…`), inclusive.
    pub from_event_id: Option<String>,
    /// From the first event the bridge stored at or after this time (RFC 3339).
    pub since: Option<String>,
}

/// How many deliveries a replay queued.
#[derive(Serialize, ToSchema)]
pub struct Replayed {
    /// Deliveries queued (events the subscription takes, still kept).
    pub queued: usize,
}

/// Sends kept events again.
#[utoipa::path(post, path = "/api/webhooks/{id}/replay", tag = "webhooks", params(("id" = String, Path)), request_body = ReplayRequest,
    description = "Queues again every kept event (EVENTS_RETENTION_DAYS) the subscription takes from `from_event_id` or `since` on, delivered ones too; receivers de-duplicate by `webhook-id`.",
    security(("bearer" = ["webhooks:manage"])),
    responses((status = 202, description = "Queued", body = Replayed), (status = "4XX", description = "Refused", body = ErrorEnvelope)))]
pub async fn replay(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    AppJson(r): AppJson<ReplayRequest>,
) -> Result<Response, GatewayFailure> {
    let from = match (r.from_event_id.as_deref(), r.since.as_deref()) {
        (Some(e), None) => ReplayFrom::Event(
            event_number(e)
                .ok_or_else(|| GatewayFailure::invalid("from_event_id", "must be evt_<n>"))?,
        ),
        (None, Some(t)) => ReplayFrom::Time(parse_time(t).ok_or_else(|| {
            GatewayFailure::invalid(
                "since",
                "must be an RFC 3339 time, e.g. 2026-12-01T00:00:00Z",
            )
        })?),
        _ => {
            return Err(GatewayFailure::invalid(
                "from_event_id",
                "send exactly one of from_event_id and since",
            ));
        }
    };
    let queued = app.webhooks.replay(&caller.key(), &id, from).await?;
    Ok(answer(StatusCode::ACCEPTED, Replayed { queued }))
}

fn parse_time(raw: &str) -> Option<i64> {
    let at = humantime::parse_rfc3339_weak(raw.trim()).ok()?;
    let ms = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
    i64::try_from(ms).ok()
}

/// Moodle's events as server-sent events.
#[utoipa::path(get, path = "/api/events/stream", tag = "webhooks", params(StreamQuery),
    description = "Server-sent events: each `event:` is the type, `id:` the event id, `data:` the event as a webhook delivers it. Reconnect with `Last-Event-ID` to resume where the stream stopped (events are kept EVENTS_RETENTION_DAYS). At most EVENT_STREAMS_PER_SUBJECT streams per caller, each at most EVENT_STREAM_MAX_SECONDS.",
    security(("bearer" = ["events:read"])),
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream", body = String), (status = "4XX", description = "Refused", body = ErrorEnvelope)))]
pub async fn event_stream(
    State(app): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    AppQuery(q): AppQuery<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, GatewayFailure> {
    let types: Vec<String> = match q.types.as_deref() {
        None => vec!["*".to_owned()],
        Some(raw) => raw
            .split(',')
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
    };
    crate::webhooks::check_types(&types).map_err(GatewayFailure::from)?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(q.after.as_deref());
    let after = match resume {
        Some(raw) => event_number(raw)
            .ok_or_else(|| GatewayFailure::invalid("Last-Event-ID", "must be evt_<n>"))?,
        None => app
            .webhooks
            .last_event()
            .await
            .map_err(|e| GatewayFailure::from(crate::webhooks::WebhookError::Db(e)))?,
    };
    let slot = app.streams.take(&caller.key()).ok_or_else(|| {
        GatewayFailure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "toomanystreams",
            "too many event streams are open for this caller (EVENT_STREAMS_PER_SUBJECT)",
        )
    })?;
    let filter = Filter {
        types,
        course_id: q.course_id,
        include_bridge: q.include_bridge_events.unwrap_or(false),
    };
    let deadline = tokio::time::Instant::now() + app.streams.max_duration();
    let poll = app
        .webhooks
        .config()
        .poll_interval
        .max(Duration::from_millis(200));
    let webhooks = app.webhooks.clone();
    let newest = webhooks.watch_newest();
    let start = (after, VecDeque::<Event>::new(), newest, slot);
    let stream =
        futures_util::stream::unfold(start, move |(mut after, mut pending, mut newest, slot)| {
            let webhooks = webhooks.clone();
            let filter = filter.clone();
            async move {
                loop {
                    if let Some(e) = pending.pop_front() {
                        let sse = SseEvent::default()
                            .id(e.id.clone())
                            .event(e.event_type.clone())
                            .json_data(&e)
                            .unwrap_or_default();
                        return Some((Ok(sse), (after, pending, newest, slot)));
                    }
                    // The time is up: the client resumes with Last-Event-ID.
                    if tokio::time::Instant::now() >= deadline {
                        return None;
                    }
                    let page = webhooks.events_after(after, STREAM_PAGE).await.ok()?;
                    if let Some(last) = page.last().and_then(|e| event_number(&e.id)) {
                        after = last;
                    }
                    let full = i64::try_from(page.len()).unwrap_or(0) >= STREAM_PAGE;
                    pending.extend(page.into_iter().filter(|e| filter.takes(e)));
                    if pending.is_empty() && !full {
                        // Woken when this process stores events; another instance's are
                        // seen at the next read.
                        tokio::select! {
                            _ = newest.changed() => {}
                            () = tokio::time::sleep(poll) => {}
                            () = tokio::time::sleep_until(deadline) => {}
                        }
                    }
                }
            }
        });
    tracing::debug!(after = %event_id(after), "event stream opened");
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[derive(Debug, Clone)]
struct Filter {
    types: Vec<String>,
    course_id: Option<i64>,
    include_bridge: bool,
}

impl Filter {
    fn takes(&self, e: &Event) -> bool {
        selects(&self.types, self.course_id, self.include_bridge, e)
    }
}
