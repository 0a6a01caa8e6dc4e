//! Courses and categories: list, find, search, create, update, delete.

use moodle_ws::functions::category::{CategoryCriterion, NewCategory};
use moodle_ws::functions::course::{CourseField, CourseUpdate, NewCourse, SearchCourses};
use moodle_ws::{Error, ErrorKind, ItemWarnings};

use crate::helpers::{client, sim};

#[tokio::test]
async fn courses_are_listed_all_or_by_id_for_those_allowed() {
    let sim = sim().await;
    let admin = client(&sim, "admin_bridge");
    let all = admin.get_courses(&[]).await.expect("courses");
    let mut names: Vec<&str> = all.iter().map(|c| c.shortname.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, vec!["CHEM201", "HIST110", "PHYS101", "moodlereal"]);
    let phys = admin.get_courses(&[2]).await.expect("one course");
    assert_eq!(phys.len(), 1);
    assert_eq!(
        (
            phys[0].fullname.as_str(),
            phys[0].idnumber.as_str(),
            phys[0].visible
        ),
        ("Physics 101", "PHYS101-2026", true)
    );
    assert!(
        phys[0]
            .courseformatoptions
            .iter()
            .any(|o| o.name == "hiddensections")
    );
    assert!(admin.get_courses(&[99999]).await.expect("empty").is_empty());
    let err = client(&sim, "student1_bridge")
        .get_courses(&[])
        .await
        .expect_err("students may not");
    assert_eq!(
        (err.kind(), err.moodle_errorcode()),
        (ErrorKind::Permission, Some("nopermissions"))
    );
}

#[tokio::test]
async fn courses_are_found_by_field() {
    let sim = sim().await;
    let admin = client(&sim, "admin_bridge");
    let chem = admin
        .get_courses_by_field(&CourseField::Shortname("CHEM201".into()))
        .await
        .expect("found");
    assert_eq!(chem.courses.len(), 1);
    assert_eq!(
        (chem.courses[0].id, chem.courses[0].categoryname.as_str()),
        (3, "Science")
    );
    assert_eq!(chem.courses[0].contacts[0].fullname, "Tina Teacher");
    let two = admin
        .get_courses_by_field(&CourseField::Ids(vec![2, 3]))
        .await
        .expect("found");
    assert_eq!(
        two.courses.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![2, 3]
    );
    let hist = admin
        .get_courses_by_field(&CourseField::Idnumber("HIST110-2026".into()))
        .await
        .expect("found");
    assert_eq!(hist.courses[0].shortname, "HIST110");
    let none = admin
        .get_courses_by_field(&CourseField::Id(99999))
        .await
        .expect("none");
    assert!(none.courses.is_empty() && none.warnings.is_empty());
    let all = admin
        .get_courses_by_field(&CourseField::All)
        .await
        .expect("all");
    assert_eq!(all.courses.len(), 4);
}

#[tokio::test]
async fn courses_are_searched_by_text() {
    let sim = sim().await;
    let found = client(&sim, "admin_mobile")
        .search_courses(&SearchCourses::text("Physics"))
        .await
        .expect("search");
    assert_eq!(found.total, 1);
    assert_eq!(found.courses[0].shortname, "PHYS101");
}

#[tokio::test]
async fn courses_are_created_updated_and_deleted_with_per_item_warnings() {
    let sim = sim().await;
    let admin = client(&sim, "admin_bridge");
    let mut course = NewCourse::new("Robotics 150", "ROBO150", 2);
    course.settings.idnumber = Some("ROBO150-2026".into());
    course.settings.visible = Some(true);
    course.settings.courseformatoptions = vec![moodle_ws::functions::course::FormatOption {
        name: "coursedisplay".into(),
        value: "0".into(),
    }];
    let created = admin
        .create_courses(&[course.clone()])
        .await
        .expect("created");
    assert_eq!(created[0].shortname, "ROBO150");
    let id = created[0].id;

    let err = admin.create_courses(&[course]).await.expect_err("taken");
    assert!(
        matches!(&err, Error::Exception { errorcode, .. } if errorcode == "shortnametaken"),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let err = admin
        .create_courses(&[NewCourse::new("X", "XX1", 99999)])
        .await
        .expect_err("no category");
    assert_eq!(err.moodle_errorcode(), Some("errorcatcontextnotvalid"));

    let mut update = CourseUpdate::new(id);
    update.fullname = Some("Robotics 150 (updated)".into());
    update.settings.visible = Some(false);
    admin
        .update_courses(&[update])
        .await
        .expect("updated")
        .fail_on_warnings()
        .expect("no warnings");
    let after = admin.get_courses(&[id]).await.expect("course");
    assert_eq!(
        (after[0].fullname.as_str(), after[0].visible),
        ("Robotics 150 (updated)", false)
    );

    let warned = admin
        .update_courses(&[CourseUpdate::new(99999)])
        .await
        .expect("answered");
    assert_eq!(warned.warnings[0].warningcode, "invalidrecord");
    let err = warned.fail_on_warnings().expect_err("as error");
    assert_eq!(err.kind(), ErrorKind::NotFound);

    let gone = admin.delete_courses(&[99999]).await.expect("answered");
    assert_eq!(gone.warnings[0].warningcode, "unknowncourseidnumber");
    admin
        .delete_courses(&[id])
        .await
        .expect("deleted")
        .fail_on_warnings()
        .expect("no warnings");
    assert!(admin.get_courses(&[id]).await.expect("empty").is_empty());
}

#[tokio::test]
async fn categories_are_listed_and_created() {
    let sim = sim().await;
    let admin = client(&sim, "admin_bridge");
    let all = admin.get_categories(&[], true).await.expect("categories");
    assert_eq!(
        all.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        vec!["Category 1", "Science", "Humanities"]
    );
    assert_eq!(all[0].idnumber, None);
    let hum = admin
        .get_categories(&[CategoryCriterion::Idnumber("CAT-HUM".into())], false)
        .await
        .expect("found");
    assert_eq!((hum.len(), hum[0].id), (1, 3));
    assert!(
        admin
            .get_categories(&[CategoryCriterion::Id(99999)], false)
            .await
            .expect("none")
            .is_empty()
    );

    let mut eng = NewCategory::new("Engineering");
    eng.idnumber = Some("CAT-ENG".into());
    eng.description = Some("<p>Engineering courses</p>".into());
    let created = admin
        .create_categories(&[eng.clone()])
        .await
        .expect("created");
    assert_eq!(
        (created[0].id, created[0].name.as_str()),
        (4, "Engineering")
    );
    let err = admin.create_categories(&[eng]).await.expect_err("taken");
    assert_eq!(
        (err.kind(), err.moodle_errorcode()),
        (ErrorKind::Conflict, Some("categoryidnumbertaken"))
    );
    let err = client(&sim, "student1_bridge")
        .create_categories(&[NewCategory::new("Nope")])
        .await
        .expect_err("student");
    assert_eq!(err.kind(), ErrorKind::Permission);
}
