//! The seams the bridge relies on, checked at compile time and once at run time: the stores
//! work as `Arc<dyn Trait>` implemented outside this crate, and every async operation's
//! future is `Send` (axum handlers and spawned jobs need it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lti::store::{BoxFuture, LoginState, NonceStore, RegistrationStore, StateLookup, StateStore};
use lti::{
    Ags, Clock, DynamicRegistration, LaunchForm, LaunchValidator, Login, LoginRequest, Nrps,
    PlatformKeys, Registration, ServiceConnector, StateBinding, StoreError, Stores, Tool,
};

use crate::helpers::{CLIENT_ID, ISSUER, http};

fn assert_send<T: Send>(_: &T) {}

/// A store the way the bridge writes one: its own type, its own errors, boxed futures.
#[derive(Default)]
struct OutsideStore {
    states: Mutex<HashMap<String, Option<LoginState>>>,
    fail: bool,
}

impl StateStore for OutsideStore {
    fn save(&self, state: LoginState) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            if self.fail {
                return Err(StoreError::new("database is down"));
            }
            self.states
                .lock()
                .expect("lock")
                .insert(state.state.clone(), Some(state));
            Ok(())
        })
    }

    fn take<'a>(&'a self, state: &'a str) -> BoxFuture<'a, Result<StateLookup, StoreError>> {
        Box::pin(async move {
            let mut states = self.states.lock().expect("lock");
            Ok(match states.get_mut(state) {
                None => StateLookup::Unknown,
                Some(slot) => slot
                    .take()
                    .map_or(StateLookup::Used, |s| StateLookup::Found(Box::new(s))),
            })
        })
    }
}

impl NonceStore for OutsideStore {
    fn record<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: i64,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async { Ok(true) })
    }
}

impl RegistrationStore for OutsideStore {
    fn find<'a>(
        &'a self,
        issuer: &'a str,
        client_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Registration>, StoreError>> {
        Box::pin(async move {
            Ok((issuer == ISSUER && client_id == CLIENT_ID).then(|| {
                Registration::moodle("r", ISSUER, CLIENT_ID, &["1"]).expect("registration")
            }))
        })
    }

    fn find_by_issuer<'a>(
        &'a self,
        issuer: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Registration>, StoreError>> {
        Box::pin(async move { Ok(self.find(issuer, CLIENT_ID).await?.into_iter().collect()) })
    }
}

#[tokio::test]
async fn a_store_written_outside_the_crate_plugs_in_and_its_errors_pass_through() {
    let tool = Arc::new(Tool::new("T", "http://127.0.0.1:8090").unwrap());
    let clock = Clock::manual(0);
    let stores = Stores::from_one(Arc::new(OutsideStore::default()));
    let login = Login::new(tool.clone(), stores, clock.clone());
    let redirect = login
        .initiate(&crate::helpers::Env::moodle_login_request())
        .await
        .unwrap();
    assert_eq!(redirect.registration_id, "r");

    let failing = Stores::from_one(Arc::new(OutsideStore {
        fail: true,
        ..OutsideStore::default()
    }));
    let error = Login::new(tool, failing, clock)
        .initiate(&crate::helpers::Env::moodle_login_request())
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "lti store failed: database is down");
}

#[test]
fn every_operation_future_is_send() {
    let clock = Clock::manual(0);
    let stores = Stores::from_one(Arc::new(OutsideStore::default()));
    let tool = Arc::new(Tool::new("T", "http://127.0.0.1:8090").unwrap());
    let login = Login::new(tool.clone(), stores.clone(), clock.clone());
    let request = LoginRequest::default();
    assert_send(&login.initiate(&request));

    let validator = LaunchValidator::new(
        stores,
        Arc::new(PlatformKeys::new(http(), clock.clone())),
        clock.clone(),
    );
    let form = LaunchForm::default();
    assert_send(&validator.validate(&form, StateBinding::Cookie(None)));

    let keys = Arc::new(lti::KeySet::new(crate::helpers::key("tool")));
    let connector = ServiceConnector::new(http(), keys, clock);
    let registration = Registration::moodle("r", ISSUER, CLIENT_ID, &["1"]).unwrap();
    let endpoint = lti::claims::AgsEndpoint::default();
    let ags = Ags::new(&connector, &registration, &endpoint);
    let filter = lti::ags::LineItemFilter::default();
    assert_send(&ags.line_items(&filter));
    let score = lti::ags::Score::graded("4", 1.0, 1.0, std::time::SystemTime::UNIX_EPOCH);
    assert_send(&ags.post_score("http://m/l", &score));
    let claim = lti::claims::NrpsClaim::default();
    let query = lti::nrps::MembersQuery::default();
    assert_send(&Nrps::new(&connector, &registration, &claim).members(&query));
    let registrar = DynamicRegistration::new(http(), (*tool).clone());
    assert_send(&registrar.register("http://m/openid", None, "r"));
}
