//! Prometheus metrics: requests by route and status, request latency, Moodle call latency
//! by function and outcome, retries, and the circuit breaker's state. Moodle calls are
//! seen through `moodle_ws::CallObserver`; requests through the HTTP metrics middleware.

use std::time::Duration;

use moodle_ws::{BreakerState, CallObserver, CallRecord};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a served request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route pattern (`/api/moodle/courses/{id}`), or `unmatched`.
    pub route: String,
    /// The HTTP method.
    pub method: String,
    /// The response status.
    pub status: u16,
}

/// Labels of a request latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The route pattern.
    pub route: String,
}

/// Whether a Moodle call succeeded.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
pub enum Outcome {
    /// It did.
    Ok,
    /// Moodle answered with an error.
    MoodleError,
    /// No usable answer (connection, timeout, bad body, circuit open).
    Unavailable,
}

/// Labels of a Moodle call.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    /// The function or endpoint.
    pub function: String,
    /// How it ended.
    pub outcome: Outcome,
}

/// Labels naming a function.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FunctionLabels {
    /// The function or endpoint.
    pub function: String,
}

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Family<RouteLabels, Histogram>,
    moodle_call_seconds: Family<CallLabels, Histogram>,
    moodle_retries: Family<FunctionLabels, Counter>,
    breaker_open: Gauge,
    breaker_failures: Gauge,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("moodle_bridge");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests served, by route, method and status",
            requests.clone(),
        );
        let request_seconds = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by route",
            request_seconds.clone(),
        );
        let moodle_call_seconds = Family::<CallLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "moodle_call_duration_seconds",
            "Moodle calls by function and outcome, retries included",
            moodle_call_seconds.clone(),
        );
        let moodle_retries = Family::<FunctionLabels, Counter>::default();
        registry.register(
            "moodle_retries",
            "Repeats of read-only Moodle calls",
            moodle_retries.clone(),
        );
        let breaker_open = Gauge::default();
        registry.register(
            "moodle_circuit_open",
            "1 while the circuit breaker keeps calls from Moodle (open or half-open)",
            breaker_open.clone(),
        );
        let breaker_failures = Gauge::default();
        registry.register(
            "moodle_consecutive_failures",
            "Transport failures in a row counted by the circuit breaker",
            breaker_failures.clone(),
        );
        Metrics {
            registry,
            requests,
            request_seconds,
            moodle_call_seconds,
            moodle_retries,
            breaker_open,
            breaker_failures,
        }
    }
}

/// The method as a label: one of HTTP's standard methods, else `OTHER`.
fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("OTHER")
}

impl Metrics {
    /// Counts a served request. Every label comes from a closed set, so no caller can grow
    /// the registry: `route` is a route pattern of the router (or `unmatched`), an unknown
    /// method is `OTHER`, a status outside 100–599 is 0.
    pub fn request_served(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method_label(method).to_owned(),
                status: if (100..600).contains(&status) {
                    status
                } else {
                    0
                },
            })
            .inc();
        self.request_seconds
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// The text exposition, with the breaker's current state.
    pub fn render(&self, breaker: BreakerState) -> String {
        let (open, failures) = match breaker {
            BreakerState::Closed {
                consecutive_failures,
            } => (0, i64::from(consecutive_failures)),
            BreakerState::Open { .. } | BreakerState::HalfOpen => (1, 0),
        };
        self.breaker_open.set(open);
        self.breaker_failures.set(failures);
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl CallObserver for Metrics {
    fn call_finished(&self, record: &CallRecord<'_>) {
        let outcome = match record.error {
            None => Outcome::Ok,
            Some(e) if e.moodle_errorcode().is_some() => Outcome::MoodleError,
            Some(_) => Outcome::Unavailable,
        };
        let function = record.function.to_owned();
        self.moodle_call_seconds
            .get_or_create(&CallLabels {
                function: function.clone(),
                outcome,
            })
            .observe(record.elapsed.as_secs_f64());
        if record.retries > 0 {
            self.moodle_retries
                .get_or_create(&FunctionLabels { function })
                .inc_by(u64::from(record.retries));
        }
    }
}
