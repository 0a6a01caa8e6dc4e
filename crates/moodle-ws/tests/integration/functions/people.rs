//! Users, enrolments and notifications.

use moodle_ws::ErrorKind;
use moodle_ws::Secret;
use moodle_ws::functions::enrol::{EnrolledUsersOption, Enrolment};
use moodle_ws::functions::message::NotificationsQuery;
use moodle_ws::functions::user::{NewUser, UserField};

use crate::helpers::{client, sim};

#[tokio::test]
async fn users_are_found_created_and_enrolled() {
    let sim = sim().await;
    let admin = client(&sim, "admin_bridge");
    let users = admin
        .get_users_by_field(UserField::Username, &["student1", "teacher1"])
        .await
        .expect("users");
    let mut ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![3, 4]);
    assert!(
        admin
            .get_users_by_field(UserField::Email, &["nobody@example.com"])
            .await
            .expect("none")
            .is_empty()
    );

    let frank = NewUser {
        username: "student6".into(),
        password: Some(Secret::new("Student123!x")),
        firstname: "Frank".into(),
        lastname: "Foster".into(),
        email: "student6@example.com".into(),
        ..NewUser::default()
    };
    let created = admin
        .create_users(std::slice::from_ref(&frank))
        .await
        .expect("created");
    assert_eq!(created[0].username, "student6");
    let err = admin.create_users(&[frank]).await.expect_err("taken");
    assert_eq!(
        (err.kind(), err.moodle_errorcode()),
        (ErrorKind::Invalid, Some("invalidparameter"))
    );

    admin
        .enrol_users(&[Enrolment::new(5, created[0].id, 2)])
        .await
        .expect("enrolled");
    let enrolled = admin
        .get_enrolled_users(2, &[])
        .await
        .expect("enrolled users");
    let frank = enrolled
        .iter()
        .find(|u| u.id == created[0].id)
        .expect("frank enrolled");
    assert_eq!(frank.roles[0].shortname, "student");
    let slim = admin
        .get_enrolled_users(
            2,
            &[
                EnrolledUsersOption::UserFields(vec!["id".into(), "fullname".into()]),
                EnrolledUsersOption::LimitNumber(2),
            ],
        )
        .await
        .expect("paged");
    assert_eq!(slim.len(), 2);
    assert!(slim.iter().all(|u| u.email.is_none()));

    let err = admin
        .enrol_users(&[Enrolment::new(5, 99999, 2)])
        .await
        .expect_err("no user");
    assert_eq!(
        (err.kind(), err.moodle_errorcode()),
        (ErrorKind::NotFound, Some("invaliduser"))
    );
    let err = admin
        .get_enrolled_users(99999, &[])
        .await
        .expect_err("no course");
    assert_eq!(err.code(), Some("invalidrecord"));
}

#[tokio::test]
async fn notifications_and_their_unread_count_are_the_users_own() {
    let sim = sim().await;
    let student = client(&sim, "student1_bridge");
    let mine = student
        .get_popup_notifications(&NotificationsQuery::for_user(0))
        .await
        .expect("notifications");
    assert_eq!(mine.unreadcount, 5);
    assert!(!mine.notifications.is_empty() && mine.notifications.iter().all(|n| n.useridto == 4));
    assert_eq!(
        student
            .get_unread_popup_notification_count(4)
            .await
            .expect("count"),
        5
    );
    let err = student
        .get_popup_notifications(&NotificationsQuery::for_user(2))
        .await
        .expect_err("another user's");
    assert_eq!(
        (err.kind(), err.moodle_errorcode()),
        (ErrorKind::Permission, Some("accessdenied"))
    );
}
