//! `local_bridge_create_quiz`, `local_bridge_update_quiz` and `local_bridge_create_modules`
//! through the typed client against the stand-in: what they make, how refusals map to
//! statuses (`quizhasattempts` is 409), and the batch limits the client keeps.

use moodle_ws::functions::local_bridge::{
    Answer, BatchItem, ItemStatus, MAX_MODULES, NewPage, NewQuiz, NewUrl, Placement, Question,
    QuizFields, QuizSettings, batches,
};
use moodle_ws::{Error, ErrorKind};
use serde_json::{Value, json};

use crate::helpers::{client, sim};

fn quiz(idnumber: &str) -> NewQuiz {
    let mut placement = Placement::new(2, "Client quiz");
    placement.idnumber = Some(idnumber.to_owned());
    NewQuiz {
        placement,
        questions: vec![
            Question::multichoice("2 + 2?", vec![Answer::right("4"), Answer::wrong("5")])
                .with_points(2.0),
            Question::truefalse("The Moon is a planet.", false),
            Question::shortanswer("Symbol of gold?", vec![Answer::right("Au")]).with_points(3.0),
        ],
        settings: QuizSettings {
            shuffleanswers: Some(false),
            attempts: Some(1),
            ..QuizSettings::default()
        },
    }
}

fn page(idnumber: &str) -> BatchItem {
    let mut placement = Placement::new(2, format!("Page {idnumber}"));
    placement.idnumber = Some(idnumber.to_owned());
    BatchItem::page(&NewPage {
        placement,
        content: "<p>x</p>".to_owned(),
        contentformat: None,
    })
}

fn code(err: &Error) -> (ErrorKind, String) {
    (err.kind(), err.code().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn a_quiz_is_made_with_its_questions_and_updated() {
    let sim = sim().await;
    let teacher = client(&sim, "teacher1_bridge");
    let made = teacher
        .create_quiz(&quiz("c-quiz"))
        .await
        .expect("quiz made");
    assert_eq!(made.module.modname, "quiz");
    assert_eq!((made.grade, made.sumgrades), (6.0, 6.0));
    let kinds: Vec<(&str, f64)> = made
        .questions
        .iter()
        .map(|q| (q.kind.as_str(), q.maxmark))
        .collect();
    assert_eq!(
        kinds,
        [
            ("multichoice", 2.0),
            ("truefalse", 1.0),
            ("shortanswer", 3.0)
        ]
    );

    let fields = QuizFields {
        name: Some("Renamed".to_owned()),
        settings: QuizSettings {
            grade: Some(20.0),
            ..QuizSettings::default()
        },
        ..QuizFields::default()
    };
    let replaced = [Question::essay("Why?").with_points(4.0)];
    let updated = teacher
        .update_quiz(made.module.cmid, &fields, Some(&replaced))
        .await
        .expect("updated");
    assert_eq!(updated.module.name, "Renamed");
    assert_eq!((updated.grade, updated.sumgrades), (20.0, 4.0));
    assert_eq!(updated.questions.len(), 1);

    let bad = NewQuiz {
        questions: vec![Question::multichoice(
            "x",
            vec![Answer::wrong("a"), Answer::wrong("b")],
        )],
        ..quiz("c-bad")
    };
    let err = teacher.create_quiz(&bad).await.expect_err("refused");
    assert_eq!(
        code(&err),
        (ErrorKind::Invalid, "invalidquestion".to_owned()),
        "{err}"
    );
    let err = teacher
        .update_quiz(1, &QuizFields::default(), None)
        .await
        .expect_err("a page is not a quiz");
    assert_eq!(code(&err), (ErrorKind::Invalid, "notaquiz".to_owned()));
}

#[tokio::test]
async fn replacing_the_questions_after_an_attempt_is_409_quizhasattempts() {
    let sim = sim().await;
    let teacher = client(&sim, "teacher1_bridge");
    let made = teacher
        .create_quiz(&quiz("c-attempted"))
        .await
        .expect("quiz made");
    let learner = client(&sim, "student1_mobile");
    let started: Value = learner
        .call_raw(
            moodle_ws::Function::write("mod_quiz_start_attempt"),
            &json!({"quizid": made.module.instanceid}),
        )
        .await
        .expect("attempt started");
    assert_eq!(started["attempt"]["state"], "inprogress", "{started}");
    let err = teacher
        .update_quiz(
            made.module.cmid,
            &QuizFields::default(),
            Some(&quiz("x").questions),
        )
        .await
        .expect_err("locked");
    assert_eq!(
        code(&err),
        (ErrorKind::Conflict, "quizhasattempts".to_owned()),
        "{err}"
    );
}

#[tokio::test]
async fn a_batch_makes_each_item_once_and_reports_the_bad_one() {
    let sim = sim().await;
    let teacher = client(&sim, "teacher1_bridge");
    let mut bad_placement = Placement::new(2, "Bad link");
    bad_placement.idnumber = Some("c-bad-url".to_owned());
    let items = vec![
        page("c-p1"),
        BatchItem::url(&NewUrl {
            placement: bad_placement,
            externalurl: "javascript:alert(1)".to_owned(),
            display: None,
        }),
        BatchItem::quiz(&quiz("c-q1")),
        page("c-p2"),
    ];
    let first = teacher.create_modules(2, &items).await.expect("batch");
    let statuses: Vec<ItemStatus> = first.modules.iter().map(|m| m.status).collect();
    assert_eq!(
        statuses,
        [
            ItemStatus::Created,
            ItemStatus::Failed,
            ItemStatus::Created,
            ItemStatus::Created
        ]
    );
    assert_eq!(first.modules[1].errorcode, "invalidparameter");
    assert_eq!(first.warnings.len(), 1);
    let again = teacher
        .create_modules(2, &items)
        .await
        .expect("batch again");
    for (a, b) in first.modules.iter().zip(&again.modules) {
        if a.status == ItemStatus::Created {
            assert_eq!((b.status, b.cmid), (ItemStatus::Existed, a.cmid));
        }
    }
}

#[tokio::test]
async fn the_client_splits_and_refuses_oversized_batches() {
    let items: Vec<BatchItem> = (0..120).map(|i| page(&format!("p{i}"))).collect();
    let sizes: Vec<usize> = batches(&items).iter().map(|b| b.len()).collect();
    assert_eq!(sizes, [MAX_MODULES, MAX_MODULES, 20]);
    // Big quizzes are split by form fields long before fifty items.
    let quizzes: Vec<BatchItem> = (0..40)
        .map(|i| {
            let mut q = quiz(&format!("big-{i}"));
            q.questions = (0..20)
                .map(|n| {
                    Question::multichoice(
                        format!("Q{n}"),
                        (0..4).map(|a| Answer::right(format!("{a}"))).collect(),
                    )
                })
                .collect();
            BatchItem::quiz(&q)
        })
        .collect();
    let split = batches(&quizzes);
    assert!(
        split.len() > 1 && split.iter().all(|b| b.len() < 40),
        "{:?}",
        split.iter().map(|b| b.len()).collect::<Vec<_>>()
    );
    assert_eq!(split.iter().map(|b| b.len()).sum::<usize>(), 40);

    let sim = sim().await;
    let teacher = client(&sim, "teacher1_bridge");
    let err = teacher
        .create_modules(2, &items[..MAX_MODULES + 1])
        .await
        .expect_err("too many");
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err}");
    let err = teacher
        .create_modules(2, &quizzes)
        .await
        .expect_err("too many fields");
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err}");
}
