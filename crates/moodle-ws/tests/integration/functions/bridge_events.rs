//! `local_bridge_get_events` through the typed client against the stand-in: a write through the
//! same token comes back as a typed event marked as the caller's own, pages follow the cursor,
//! and a limit out of range is refused before any request.

use moodle_ws::functions::course::NewCourse;
use moodle_ws::functions::local_bridge::{EventData, EventKind, MAX_LIMIT, Origin};
use moodle_ws::{Error, ErrorKind};

use crate::helpers::{client, sim};

#[tokio::test]
async fn a_course_made_through_the_same_token_comes_back_as_the_callers_own_typed_event() {
    let sim = sim().await;
    let admin = client(&sim, "admin_bridge");
    let start = admin.get_events(0, 1).await.expect("events").newestid;
    let made = admin
        .create_courses(&[NewCourse::new("Client events", "CEV1", 1)])
        .await
        .expect("course made");
    let page = admin.get_events(start, 10).await.expect("events");
    assert_eq!(page.events.len(), 1, "{page:?}");
    let event = &page.events[0];
    assert_eq!(event.kind(), EventKind::CourseCreated);
    assert_eq!(
        (event.objectid, event.courseid, event.contextlevel),
        (made[0].id, made[0].id, 50)
    );
    assert_eq!(
        (
            event.origin,
            event.service.as_str(),
            event.viacallertoken,
            event.userid
        ),
        (Origin::WebService, "bridge", true, 2)
    );
    assert_eq!(
        event.data(),
        EventData::Course {
            fullname: "Client events".to_owned(),
            shortname: "CEV1".to_owned()
        }
    );
    assert_eq!(
        (page.lastid, page.more, page.purged_through()),
        (event.id, false, None)
    );

    let teacher = client(&sim, "teacher1_bridge");
    let theirs = teacher.get_events(start, 10).await.expect("events");
    assert!(
        theirs.events.is_empty(),
        "teacher1 is not in the new course: {theirs:?}"
    );
    assert_eq!(
        theirs.lastid, event.id,
        "the cursor passes what they may not see"
    );
}

#[tokio::test]
async fn pages_follow_the_cursor_and_say_when_more_are_waiting() {
    let sim = sim().await;
    let admin = client(&sim, "admin_bridge");
    let start = admin.get_events(0, 1).await.expect("events").newestid;
    for shortname in ["CEV2", "CEV3", "CEV4"] {
        admin
            .create_courses(&[NewCourse::new(shortname, shortname, 1)])
            .await
            .expect("course made");
    }
    let first = admin.get_events(start, 2).await.expect("events");
    assert_eq!((first.events.len(), first.more), (2, true));
    let rest = admin.get_events(first.lastid, 2).await.expect("events");
    assert_eq!((rest.events.len(), rest.more), (1, false));
    assert_eq!(rest.newestid, rest.lastid);
    let names: Vec<String> = first
        .events
        .iter()
        .chain(&rest.events)
        .map(|e| match e.data() {
            EventData::Course { shortname, .. } => shortname,
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["CEV2", "CEV3", "CEV4"]);
}

#[tokio::test]
async fn a_limit_out_of_range_is_refused_before_any_request() {
    let sim = sim().await;
    let admin = client(&sim, "admin_bridge");
    for (after, limit) in [(0, 0), (0, MAX_LIMIT + 1), (-1, 10)] {
        let err = admin.get_events(after, limit).await.expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{err}");
        assert!(matches!(err, Error::InvalidRequest { .. }));
    }
    assert_eq!(sim.calls("local_bridge_get_events"), 0);
    let mobile = client(&sim, "student1_mobile");
    let refused = mobile
        .get_events(0, 10)
        .await
        .expect_err("not in the service");
    assert_eq!(refused.code(), Some("accessexception"));
}
