//! The storage seams the bridge implements on SQL: login states ([`StateStore`]), seen
//! nonces ([`NonceStore`]) and platform registrations ([`RegistrationStore`]), plus
//! [`MemoryStore`], one in-memory implementation of all three for tests and single-process use.
//!
//! The traits are object-safe (`Arc<dyn StateStore>`): methods return boxed `Send` futures,
//! so an implementation writes `Box::pin(async move { … })`. Stores only keep and hand back
//! rows; every rule (expiry, single use, binding) is checked by the caller in this crate.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::error::StoreError;
use crate::registration::Registration;

/// A boxed `Send` future, the return type of every store method.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How long a used state is remembered after it expired, so a late replay is reported as
/// [`StateLookup::Used`] rather than unknown.
const USED_STATE_GRACE_SECS: i64 = 600;

/// One login initiation's state: the values the launch must match, saved at login and taken
/// once at launch. `Debug` hides `state` and `nonce`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginState {
    /// The random `state` sent to the platform (the key).
    pub state: String,
    /// The random `nonce` sent with it; the id_token must carry the same.
    pub nonce: String,
    /// [`Registration::id`] of the platform the login was for.
    pub registration_id: String,
    /// The registration's issuer.
    pub issuer: String,
    /// The registration's client id.
    pub client_id: String,
    /// `lti_deployment_id` from the login initiation, if sent.
    pub deployment_id: Option<String>,
    /// `target_link_uri` from the login initiation.
    pub target_link_uri: String,
    /// `lti_storage_target`, when the platform offered LTI platform storage.
    pub storage_target: Option<String>,
    /// When the login was initiated (Unix seconds).
    pub created_at: i64,
    /// When the state stops being accepted (Unix seconds).
    pub expires_at: i64,
}

impl std::fmt::Debug for LoginState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginState")
            .field("state", &"***")
            .field("nonce", &"***")
            .field("registration_id", &self.registration_id)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("deployment_id", &self.deployment_id)
            .field("target_link_uri", &self.target_link_uri)
            .field("storage_target", &self.storage_target)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What [`StateStore::take`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateLookup {
    /// The state, now marked used (returned at most once).
    Found(Box<LoginState>),
    /// The state exists but an earlier `take` consumed it.
    Used,
    /// No such state (never issued, or forgotten after expiry).
    Unknown,
}

/// Saves login states and hands each back once.
pub trait StateStore: Send + Sync {
    /// Saves a new state (state values are 256-bit random strings, unique).
    fn save(&self, state: LoginState) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Takes a state: returns it and marks it used in one atomic step (SQL: `UPDATE … SET
    /// used_at = … WHERE state = $1 AND used_at IS NULL RETURNING …`); a second take returns
    /// [`StateLookup::Used`] as long as the row is kept. Expired rows may be returned: the
    /// caller checks `expires_at`.
    fn take<'a>(&'a self, state: &'a str) -> BoxFuture<'a, Result<StateLookup, StoreError>>;
}

/// Remembers the nonces of accepted id_tokens, to refuse replays.
pub trait NonceStore: Send + Sync {
    /// Records `nonce` of `issuer` until `keep_until` (Unix seconds); returns `false` when it
    /// was already recorded (insert-if-absent, atomic: SQL `INSERT … ON CONFLICT DO NOTHING`
    /// and check the row count).
    fn record<'a>(
        &'a self,
        issuer: &'a str,
        nonce: &'a str,
        keep_until: i64,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
}

/// Finds platform registrations.
pub trait RegistrationStore: Send + Sync {
    /// The registration with this issuer and client id.
    fn find<'a>(
        &'a self,
        issuer: &'a str,
        client_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Registration>, StoreError>>;

    /// Every registration of this issuer (used when the platform sends no `client_id`; the
    /// caller accepts exactly one).
    fn find_by_issuer<'a>(
        &'a self,
        issuer: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Registration>, StoreError>>;
}

/// The three stores the login and launch steps use.
#[derive(Clone)]
pub struct Stores {
    /// Login states.
    pub states: Arc<dyn StateStore>,
    /// Seen nonces.
    pub nonces: Arc<dyn NonceStore>,
    /// Registrations.
    pub registrations: Arc<dyn RegistrationStore>,
}

impl Stores {
    /// All three from one value implementing every trait (such as [`MemoryStore`] or the
    /// bridge's database store).
    pub fn from_one<S>(store: Arc<S>) -> Stores
    where
        S: StateStore + NonceStore + RegistrationStore + 'static,
    {
        Stores {
            states: store.clone(),
            nonces: store.clone(),
            registrations: store,
        }
    }
}

/// All stores in memory, for tests and a single process: states and nonces are purged after
/// expiry.
pub struct MemoryStore {
    clock: Clock,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    states: HashMap<String, MemoryState>,
    nonces: HashMap<(String, String), i64>,
    registrations: Vec<Registration>,
    writes: u32,
}

enum MemoryState {
    Fresh(LoginState),
    Used { forget_at: i64 },
}

impl MemoryStore {
    /// An empty store that measures expiry with `clock`.
    pub fn new(clock: Clock) -> MemoryStore {
        MemoryStore {
            clock,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// An empty store with room for `launches` states and nonces held at once (the launches
    /// of one state lifetime), so that a busy process never rehashes them in a launch.
    pub fn with_capacity(clock: Clock, launches: usize) -> MemoryStore {
        MemoryStore {
            clock,
            inner: Mutex::new(Inner {
                states: HashMap::with_capacity(launches),
                nonces: HashMap::with_capacity(launches),
                ..Inner::default()
            }),
        }
    }

    /// Adds a registration, replacing one with the same id.
    pub fn add_registration(&self, registration: Registration) {
        let mut inner = self.lock();
        inner.registrations.retain(|r| r.id != registration.id);
        inner.registrations.push(registration);
    }

    /// Removes the registration with this id; whether there was one.
    pub fn remove_registration(&self, id: &str) -> bool {
        let mut inner = self.lock();
        let before = inner.registrations.len();
        inner.registrations.retain(|r| r.id != id);
        inner.registrations.len() != before
    }

    /// How many states and nonces are held (for tests of the purge).
    pub fn len(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.states.len(), inner.nonces.len())
    }

    /// Whether no state and no nonce is held.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every 256 writes, drops what has expired.
    fn maybe_purge(inner: &mut Inner, now: i64) {
        inner.writes = inner.writes.wrapping_add(1);
        if !inner.writes.is_multiple_of(256) {
            return;
        }
        inner.states.retain(|_, s| match s {
            MemoryState::Fresh(s) => s.expires_at + USED_STATE_GRACE_SECS > now,
            MemoryState::Used { forget_at } => *forget_at > now,
        });
        inner.nonces.retain(|_, keep_until| *keep_until > now);
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (states, nonces) = self.len();
        f.debug_struct("MemoryStore")
            .field("states", &states)
            .field("nonces", &nonces)
            .finish_non_exhaustive()
    }
}

impl StateStore for MemoryStore {
    fn save(&self, state: LoginState) -> BoxFuture<'_, Result<(), StoreError>> {
        let now = self.clock.now();
        let mut inner = self.lock();
        Self::maybe_purge(&mut inner, now);
        inner
            .states
            .insert(state.state.clone(), MemoryState::Fresh(state));
        Box::pin(std::future::ready(Ok(())))
    }

    fn take<'a>(&'a self, state: &'a str) -> BoxFuture<'a, Result<StateLookup, StoreError>> {
        let mut inner = self.lock();
        let found = match inner.states.remove(state) {
            None => StateLookup::Unknown,
            Some(MemoryState::Used { forget_at }) => {
                inner
                    .states
                    .insert(state.to_owned(), MemoryState::Used { forget_at });
                StateLookup::Used
            }
            Some(MemoryState::Fresh(found)) => {
                let forget_at = found.expires_at + USED_STATE_GRACE_SECS;
                inner
                    .states
                    .insert(state.to_owned(), MemoryState::Used { forget_at });
                StateLookup::Found(Box::new(found))
            }
        };
        Box::pin(std::future::ready(Ok(found)))
    }
}

impl NonceStore for MemoryStore {
    fn record<'a>(
        &'a self,
        issuer: &'a str,
        nonce: &'a str,
        keep_until: i64,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let now = self.clock.now();
        let mut inner = self.lock();
        Self::maybe_purge(&mut inner, now);
        let key = (issuer.to_owned(), nonce.to_owned());
        let fresh = match inner.nonces.get(&key) {
            Some(until) if *until > now => false,
            _ => {
                inner.nonces.insert(key, keep_until);
                true
            }
        };
        Box::pin(std::future::ready(Ok(fresh)))
    }
}

impl RegistrationStore for MemoryStore {
    fn find<'a>(
        &'a self,
        issuer: &'a str,
        client_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Registration>, StoreError>> {
        let found = self
            .lock()
            .registrations
            .iter()
            .find(|r| r.issuer == issuer && r.client_id == client_id)
            .cloned();
        Box::pin(std::future::ready(Ok(found)))
    }

    fn find_by_issuer<'a>(
        &'a self,
        issuer: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Registration>, StoreError>> {
        let found = self
            .lock()
            .registrations
            .iter()
            .filter(|r| r.issuer == issuer)
            .cloned()
            .collect();
        Box::pin(std::future::ready(Ok(found)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(value: &str, expires_at: i64) -> LoginState {
        LoginState {
            state: value.to_owned(),
            nonce: format!("nonce-{value}"),
            registration_id: "r1".to_owned(),
            issuer: "https://moodle.example".to_owned(),
            client_id: "c1".to_owned(),
            deployment_id: None,
            target_link_uri: "https://tool.example/lti/launch".to_owned(),
            storage_target: None,
            created_at: expires_at - 300,
            expires_at,
        }
    }

    #[tokio::test]
    async fn a_state_is_taken_once_then_reported_used() {
        let store = MemoryStore::new(Clock::manual(1_000));
        store.save(state("s1", 1_300)).await.unwrap();
        assert!(
            matches!(store.take("s1").await.unwrap(), StateLookup::Found(s) if s.nonce == "nonce-s1")
        );
        assert_eq!(store.take("s1").await.unwrap(), StateLookup::Used);
        assert_eq!(store.take("nope").await.unwrap(), StateLookup::Unknown);
    }

    #[tokio::test]
    async fn a_nonce_is_recorded_once_until_it_expires() {
        let clock = Clock::manual(1_000);
        let store = MemoryStore::new(clock.clone());
        assert!(store.record("iss", "n1", 1_100).await.unwrap());
        assert!(!store.record("iss", "n1", 1_100).await.unwrap());
        assert!(store.record("other-iss", "n1", 1_100).await.unwrap());
        clock.set(1_200);
        assert!(store.record("iss", "n1", 1_300).await.unwrap());
    }

    #[tokio::test]
    async fn expired_states_and_nonces_are_purged() {
        let clock = Clock::manual(1_000);
        let store = MemoryStore::new(clock.clone());
        store.save(state("old", 1_300)).await.unwrap();
        store.record("iss", "old", 1_100).await.unwrap();
        clock.set(1_300 + USED_STATE_GRACE_SECS + 1);
        for i in 0..300 {
            store.record("iss", &format!("n{i}"), 99_999).await.unwrap();
        }
        assert_eq!(store.take("old").await.unwrap(), StateLookup::Unknown);
        assert_eq!(store.len(), (0, 300));
    }
}
