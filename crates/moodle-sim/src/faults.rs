//! Fault injection and call counting, so tests can make the stand-in fail the way real
//! sites and their proxies fail, and prove how many calls a client really sent.
//!
//! A rule targets every request, one web-service function, or one endpoint
//! (`login/token.php`, `webservice/upload.php`, `webservice/pluginfile.php`), and may be
//! limited to a number of requests. Latency rules add up; of the other rules the first
//! matching one applies.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One way to fail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer normally after a delay.
    Latency {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// Answer with this HTTP status and a short HTML body (e.g. 500, 502, 503).
    Status {
        /// The status code.
        status: u16,
    },
    /// Send the headers and half of the body, then drop the connection.
    ResetMidBody,
    /// Answer 200 with only the first half of the real body.
    TruncatedBody,
    /// Print a PHP warning before the real body, as a misconfigured site does.
    PhpWarning,
    /// Answer the CLI maintenance page (HTTP 503, HTML).
    Maintenance,
    /// Answer 429 with a `Retry-After` header.
    RateLimited {
        /// Seconds to wait, for the `Retry-After` header.
        retry_after: u64,
    },
}

/// Which requests a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Every request to a Moodle endpoint.
    Any,
    /// REST calls of one function (`wsfunction`).
    Function(String),
    /// One endpoint, by path without the leading slash (`login/token.php`).
    Endpoint(String),
}

/// A fault with its target and how many more requests it applies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// The fault.
    pub fault: Fault,
    /// Which requests.
    pub target: Target,
    /// How many requests it still applies to; `None` = until cleared.
    #[serde(default)]
    pub times: Option<u32>,
}

impl FaultRule {
    /// A rule for every request, until cleared.
    pub fn always(fault: Fault) -> Self {
        FaultRule {
            fault,
            target: Target::Any,
            times: None,
        }
    }

    /// A rule for one web-service function, until cleared.
    pub fn on_function(function: &str, fault: Fault) -> Self {
        FaultRule {
            fault,
            target: Target::Function(function.to_owned()),
            times: None,
        }
    }

    /// A rule for one endpoint (`webservice/pluginfile.php`), until cleared.
    pub fn on_endpoint(endpoint: &str, fault: Fault) -> Self {
        FaultRule {
            fault,
            target: Target::Endpoint(endpoint.to_owned()),
            times: None,
        }
    }

    /// Limits the rule to the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    fn matches(&self, endpoint: &str, function: Option<&str>) -> bool {
        match &self.target {
            Target::Any => true,
            Target::Function(f) => function == Some(f.as_str()),
            Target::Endpoint(e) => e == endpoint,
        }
    }
}

/// What to do to one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Total added latency.
    pub delay: Duration,
    /// The failure to produce, if any.
    pub fault: Option<Fault>,
}

/// The fault rules and the call counter of a running stand-in.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<FaultRule>>,
    calls: Mutex<BTreeMap<String, u64>>,
}

impl Faults {
    /// Adds a rule.
    pub fn inject(&self, rule: FaultRule) {
        lock(&self.rules).push(rule);
    }

    /// Removes every rule.
    pub fn clear(&self) {
        lock(&self.rules).clear();
    }

    /// The rules still in force.
    pub fn rules(&self) -> Vec<FaultRule> {
        lock(&self.rules).clone()
    }

    /// Counts a received request and decides what to do to it.
    pub fn on_request(&self, endpoint: &str, function: Option<&str>) -> Plan {
        let key = function.unwrap_or(endpoint).to_owned();
        *lock(&self.calls).entry(key).or_insert(0) += 1;
        let mut plan = Plan::default();
        let mut rules = lock(&self.rules);
        for rule in rules.iter_mut() {
            if !rule.matches(endpoint, function) || rule.times == Some(0) {
                continue;
            }
            match &rule.fault {
                Fault::Latency { ms } => plan.delay += Duration::from_millis(*ms),
                other if plan.fault.is_none() => plan.fault = Some(other.clone()),
                _ => continue,
            }
            if let Some(n) = rule.times.as_mut() {
                *n -= 1;
            }
        }
        rules.retain(|r| r.times != Some(0));
        plan
    }

    /// Requests received for a function name or endpoint path.
    pub fn calls(&self, key: &str) -> u64 {
        lock(&self.calls).get(key).copied().unwrap_or(0)
    }

    /// All counts.
    pub fn all_calls(&self) -> BTreeMap<String, u64> {
        lock(&self.calls).clone()
    }

    /// Resets the counts.
    pub fn reset_calls(&self) {
        lock(&self.calls).clear();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_rules_expire_and_latencies_add_up() {
        let f = Faults::default();
        f.inject(FaultRule::always(Fault::Latency { ms: 5 }));
        f.inject(FaultRule::on_function(
            "core_course_get_courses",
            Fault::Latency { ms: 10 },
        ));
        f.inject(
            FaultRule::on_function("core_course_get_courses", Fault::Status { status: 503 })
                .times(1),
        );
        let first = f.on_request(
            "webservice/rest/server.php",
            Some("core_course_get_courses"),
        );
        assert_eq!(first.delay, Duration::from_millis(15));
        assert_eq!(first.fault, Some(Fault::Status { status: 503 }));
        let second = f.on_request(
            "webservice/rest/server.php",
            Some("core_course_get_courses"),
        );
        assert_eq!(second.fault, None);
        assert_eq!(f.calls("core_course_get_courses"), 2);
    }

    #[test]
    fn endpoint_rules_do_not_touch_other_endpoints() {
        let f = Faults::default();
        f.inject(FaultRule::on_endpoint(
            "webservice/pluginfile.php",
            Fault::ResetMidBody,
        ));
        assert_eq!(f.on_request("login/token.php", None).fault, None);
        assert_eq!(
            f.on_request("webservice/pluginfile.php", None).fault,
            Some(Fault::ResetMidBody)
        );
        assert_eq!(f.calls("login/token.php"), 1);
    }
}
