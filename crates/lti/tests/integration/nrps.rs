//! NRPS against the stub's memberships service (Moodle's members, `limit`/`from` paging with
//! `Link: rel="next"`, role filter).

use std::sync::Arc;

use lti::claims::NrpsClaim;
use lti::nrps::MembersQuery;
use lti::{Clock, KeySet, Nrps, Registration, ServiceConnector};

use crate::helpers::{CLIENT_ID, http, key};
use crate::stub::Stub;

async fn setup() -> (Stub, ServiceConnector, Registration, NrpsClaim) {
    let stub = Stub::start().await;
    let connector = ServiceConnector::new(
        http(),
        Arc::new(KeySet::new(key("tool"))),
        Clock::manual(1_795_305_886),
    );
    let registration =
        Registration::moodle("moodle-1", &stub.base, CLIENT_ID, &["1"]).expect("test setup");
    let claim = NrpsClaim {
        context_memberships_url: stub
            .url("/mod/lti/services.php/CourseSection/2/bindings/1/memberships"),
        service_versions: vec!["1.0".to_owned(), "2.0".to_owned()],
    };
    (stub, connector, registration, claim)
}

#[tokio::test]
async fn all_members_in_one_page() {
    let (stub, connector, registration, claim) = setup().await;
    let members = Nrps::new(&connector, &registration, &claim)
        .members(&MembersQuery::default())
        .await
        .unwrap();
    assert_eq!(members.members.len(), 6);
    assert_eq!(members.context.unwrap().label.as_deref(), Some("PHYS101"));
    let teacher = members.members.iter().find(|m| m.user_id == "3").unwrap();
    assert!(teacher.roles.is_instructor());
    assert_eq!(teacher.email.as_deref(), Some("teacher1@example.com"));
    assert_eq!(*stub.seen.member_requests.lock().unwrap(), [""]);
    assert_eq!(
        stub.token_requests()[0]["scope"],
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
    );
}

#[tokio::test]
async fn pages_are_followed_through_link_next() {
    let (stub, connector, registration, claim) = setup().await;
    let query = MembersQuery {
        limit: Some(2),
        ..MembersQuery::default()
    };
    let members = Nrps::new(&connector, &registration, &claim)
        .members(&query)
        .await
        .unwrap();
    let ids: Vec<&str> = members.members.iter().map(|m| m.user_id.as_str()).collect();
    assert_eq!(ids, ["4", "5", "6", "7", "8", "3"]);
    assert_eq!(
        *stub.seen.member_requests.lock().unwrap(),
        ["limit=2", "from=2&limit=2", "from=4&limit=2"]
    );
    assert_eq!(stub.token_requests().len(), 1, "one token for every page");
}

#[tokio::test]
async fn role_and_rlid_are_sent_on_every_page() {
    let (stub, connector, registration, claim) = setup().await;
    let query = MembersQuery {
        role: Some("http://purl.imsglobal.org/vocab/lis/v2/membership#Learner".to_owned()),
        limit: Some(4),
        rlid: Some("1".to_owned()),
    };
    let members = Nrps::new(&connector, &registration, &claim)
        .members(&query)
        .await
        .unwrap();
    assert_eq!(members.members.len(), 5);
    assert!(members.members.iter().all(|m| m.roles.is_learner()));
    let requests = stub.seen.member_requests.lock().unwrap().clone();
    assert_eq!(
        requests[0],
        "limit=4&rlid=1&role=http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    );
    // Moodle's next link drops the role; the client puts it back.
    assert_eq!(
        requests[1],
        "from=4&limit=4&rlid=1&role=http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    );
    assert_eq!(requests.len(), 2);
}
