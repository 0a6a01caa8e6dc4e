//! The seeded site: the same users, categories, courses, modules, files, submissions,
//! notifications, services and tokens (with the same ids) as the recorded Moodle 4.5 site
//! that `../shared/real-moodle/seed.php` builds.
//!
//! The seed runs through the same operations the web-service functions use
//! (`State::create_course`, `State::enrol_user`, …), in the order `seed.php` runs them, so
//! the ids come out as they do on a freshly seeded real site. Its timestamps are those of
//! the recorded seeding, which some stored texts quote.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::functions::FunctionCatalog;
use crate::state::{
    Assign, ContextLevel, Course, Enrolment, FormatOptions, ModInstance, NewCourse, NewFile,
    NewModule, NewUser, Notification, Role, SYSTEM_CONTEXT, Sequences, Service, Site, State,
    Submission, SubmissionGrade, Token, User,
};

/// When the recorded site was seeded (2026-11-21 23:19:15 UTC).
pub const SEED_TIME: i64 = 1_795_303_155;
/// The recorded site's theme revision, part of every theme image URL.
pub const THEME_REV: i64 = 1_795_303_425;
/// The theme revision when the seed's assignment notifications were sent.
const SEED_THEME_REV: i64 = 1_795_303_102;
/// Start of the seeded courses (2026-09-01 00:00 UTC).
const COURSE_START: i64 = 1_788_220_800;

/// Seeded passwords.
pub const ADMIN_PASSWORD: &str = "Admin123!x";
/// Teacher password.
pub const TEACHER_PASSWORD: &str = "Teacher123!x";
/// Students' password.
pub const STUDENT_PASSWORD: &str = "Student123!x";

/// The permanent tokens the seed creates, by the transcripts' `token_role` names:
/// (role name, username, service shortname).
pub const SEEDED_TOKENS: [(&str, &str, &str); 8] = [
    ("admin_bridge", "admin", "bridge"),
    ("teacher1_bridge", "teacher1", "bridge"),
    ("student1_bridge", "student1", "bridge"),
    ("student2_bridge", "student2", "bridge"),
    ("admin_mobile", "admin", "moodle_mobile_app"),
    ("teacher1_mobile", "teacher1", "moodle_mobile_app"),
    ("student1_mobile", "student1", "moodle_mobile_app"),
    ("student2_mobile", "student2", "moodle_mobile_app"),
];

/// The functions of the custom service `bridge`, in the recorded site's order.
const BRIDGE_FUNCTIONS: [&str; 36] = [
    "core_webservice_get_site_info",
    "core_course_get_courses",
    "core_course_get_courses_by_field",
    "core_course_create_courses",
    "core_course_update_courses",
    "core_course_delete_courses",
    "core_course_get_categories",
    "core_course_create_categories",
    "core_course_get_contents",
    "core_user_get_users_by_field",
    "core_user_create_users",
    "enrol_manual_enrol_users",
    "core_enrol_get_enrolled_users",
    "message_popup_get_popup_notifications",
    "core_files_get_files",
    "core_files_upload",
    "core_user_add_user_private_files",
    "mod_assign_get_submissions",
    "mod_assign_get_assignments",
    "core_courseformat_new_module",
    "core_courseformat_create_module",
    "core_courseformat_update_course",
    "core_course_edit_module",
    "core_course_edit_section",
    "core_course_delete_modules",
    "core_course_get_course_module",
    "core_courseformat_get_state",
    "core_enrol_get_users_courses",
    "mod_assign_get_grades",
    "mod_assign_get_submission_status",
    "mod_assign_save_submission",
    "mod_assign_submit_for_grading",
    "core_user_get_users",
    "message_popup_get_unread_popup_notification_count",
    "core_message_get_unread_notification_count",
    "core_message_get_messages",
];

/// How tokens are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenMode {
    /// Random tokens, as Moodle makes them.
    Random,
    /// Tokens derived from the role name, the same at every start (for scripts).
    Fixed,
}

/// Builds the seeded site for a wwwroot.
pub fn seeded_state(wwwroot: &str, catalog: &FunctionCatalog, tokens: TokenMode) -> State {
    let mut s = installed_site(wwwroot);
    seed_courses(&mut s);
    seed_people(&mut s);
    seed_modules(&mut s);
    seed_submissions(&mut s);
    seed_notifications(&mut s);
    seed_private_files(&mut s);
    seed_services(&mut s, catalog, tokens);
    s
}

/// A fresh Moodle 4.5 install: system and front page contexts, "Category 1", the guest
/// and admin users, the standard roles.
fn installed_site(wwwroot: &str) -> State {
    let install = SEED_TIME - 208;
    let mut s = State {
        site: Site {
            wwwroot: wwwroot.to_owned(),
            fullname: "Moodle Real Test Site".to_owned(),
            shortname: "moodlereal".to_owned(),
            summary: "Local verification Moodle".to_owned(),
            release: "4.5.6 (Build: 20250811)".to_owned(),
            version: "2024100706".to_owned(),
            themerev: THEME_REV,
            userquota: 104_857_600,
            maxbytes: 0,
            php_upload_max: 67_108_864,
            debug: false,
            maintenance: false,
            webservices: true,
            mobile_webservices: true,
        },
        seq: Sequences::default(),
        contexts: BTreeMap::new(),
        users: BTreeMap::new(),
        preferences: indexmap::IndexMap::new(),
        roles: BTreeMap::new(),
        role_assignments: Vec::new(),
        categories: BTreeMap::new(),
        courses: BTreeMap::new(),
        sections: BTreeMap::new(),
        cms: BTreeMap::new(),
        enrol_instances: BTreeMap::new(),
        user_enrolments: BTreeMap::new(),
        files: BTreeMap::new(),
        submissions: BTreeMap::new(),
        grades: BTreeMap::new(),
        notifications: BTreeMap::new(),
        services: BTreeMap::new(),
        tokens: BTreeMap::new(),
        private_access_keys: BTreeMap::new(),
        login_keys: BTreeMap::new(),
    };
    for (id, shortname) in [
        "manager",
        "coursecreator",
        "editingteacher",
        "teacher",
        "student",
        "guest",
        "user",
        "frontpage",
    ]
    .iter()
    .enumerate()
    {
        let id = i64::try_from(id).unwrap_or_default() + 1;
        s.roles.insert(
            id,
            Role {
                id,
                name: String::new(),
                shortname: (*shortname).to_owned(),
                sortorder: id,
                archetype: (*shortname).to_owned(),
            },
        );
    }
    let system = s.create_context(ContextLevel::System, 0, 0);
    debug_assert_eq!(system, SYSTEM_CONTEXT);
    s.courses.insert(
        1,
        Course {
            id: 1,
            category: 0,
            sortorder: 1,
            fullname: s.site.fullname.clone(),
            shortname: s.site.shortname.clone(),
            idnumber: String::new(),
            summary: s.site.summary.clone(),
            summaryformat: 1,
            format: "site".to_owned(),
            showgrades: 1,
            newsitems: 3,
            startdate: 0,
            enddate: 0,
            maxbytes: 0,
            showreports: 0,
            visible: true,
            visibleold: true,
            groupmode: 0,
            groupmodeforce: 0,
            defaultgroupingid: 0,
            timecreated: install,
            timemodified: install + 78,
            enablecompletion: 0,
            completionnotify: 0,
            lang: String::new(),
            theme: String::new(),
            marker: 0,
            cacherev: THEME_REV,
            showactivitydates: false,
            showcompletionconditions: None,
            format_options: FormatOptions {
                numsections: 1,
                ..FormatOptions::default()
            },
        },
    );
    s.seq.reserve("course", 2);
    s.create_context(ContextLevel::Course, 1, SYSTEM_CONTEXT);
    s.create_category("Category 1", None, "", 1, 0, install);
    for (username, first, last, email, password) in [
        ("guest", "Guest user", " ", "root@localhost", ""),
        (
            "admin",
            "Admin",
            "User",
            "admin@example.com",
            ADMIN_PASSWORD,
        ),
    ] {
        let id = s.create_user(
            NewUser {
                username: username.to_owned(),
                password: password.to_owned(),
                firstname: first.to_owned(),
                lastname: last.to_owned(),
                email: email.to_owned(),
                idnumber: String::new(),
                auth: "manual".to_owned(),
                lang: "en".to_owned(),
            },
            install,
        );
        if let Some(u) = s.users.get_mut(&id) {
            u.siteadmin = username == "admin";
        }
    }
    // Install also makes five block contexts (ids 6-10).
    for block in 1..=5 {
        s.create_context(ContextLevel::Block, block, SYSTEM_CONTEXT);
    }
    s
}

fn seed_courses(s: &mut State) {
    let sci = s.create_category(
        "Science",
        Some("CAT-SCI"),
        "Natural sciences",
        1,
        0,
        SEED_TIME,
    );
    let hum = s.create_category(
        "Humanities",
        Some("CAT-HUM"),
        "History and languages",
        1,
        0,
        SEED_TIME,
    );
    for (fullname, shortname, category, summary, format, numsections, completion) in [
        (
            "Physics 101",
            "PHYS101",
            sci,
            "Introductory mechanics.",
            "topics",
            4,
            1,
        ),
        (
            "Chemistry 201",
            "CHEM201",
            sci,
            "Organic chemistry basics.",
            "topics",
            3,
            0,
        ),
        (
            "World History",
            "HIST110",
            hum,
            "From antiquity to the modern era.",
            "weeks",
            5,
            0,
        ),
    ] {
        let mut c = NewCourse::new(fullname, shortname, category, SEED_TIME);
        c.idnumber = format!("{shortname}-2026");
        c.summary = summary.to_owned();
        c.format = format.to_owned();
        c.numsections = numsections;
        c.startdate = COURSE_START;
        c.enddate = Some(0);
        c.enablecompletion = completion;
        c.newsitems = 0;
        c.showactivitydates = false;
        s.create_course(c, SEED_TIME);
    }
}

fn seed_people(s: &mut State) {
    let people = [
        ("teacher1", "Tina", "Teacher", "T001", TEACHER_PASSWORD),
        ("student1", "Alice", "Anderson", "S001", STUDENT_PASSWORD),
        ("student2", "Bob", "Brown", "S002", STUDENT_PASSWORD),
        ("student3", "Carol", "Clark", "S003", STUDENT_PASSWORD),
        ("student4", "Dave", "Davis", "S004", STUDENT_PASSWORD),
        ("student5", "Eve", "Evans", "S005", STUDENT_PASSWORD),
    ];
    for (username, first, last, idnumber, password) in people {
        s.create_user(
            NewUser {
                username: username.to_owned(),
                password: password.to_owned(),
                firstname: first.to_owned(),
                lastname: last.to_owned(),
                email: format!("{username}@example.com"),
                idnumber: idnumber.to_owned(),
                auth: "manual".to_owned(),
                lang: "en".to_owned(),
            },
            SEED_TIME,
        );
    }
    // teacher1 = 3, student1..5 = 4..8.
    for (course, students) in [
        (2, vec![4, 5, 6, 7, 8]),
        (3, vec![4, 5, 6]),
        (4, vec![7, 8]),
    ] {
        let Some(manual) = s.manual_instance(course) else {
            continue;
        };
        s.enrol_user(enrolment(manual, 3, 3), SEED_TIME + 1);
        for student in students {
            s.enrol_user(enrolment(manual, student, 5), SEED_TIME + 1);
        }
    }
}

/// An open-ended, active enrolment with a role.
fn enrolment(enrolid: i64, userid: i64, roleid: i64) -> Enrolment {
    Enrolment {
        enrolid,
        userid,
        roleid: Some(roleid),
        timestart: 0,
        timeend: 0,
        suspended: false,
    }
}

fn seed_modules(s: &mut State) {
    let t = SEED_TIME + 1;
    let module = |course, section, name: &str, intro: &str, kind| NewModule {
        course,
        section,
        name: name.to_owned(),
        intro: intro.to_owned(),
        idnumber: Some(String::new()),
        visible: true,
        showdescription: false,
        kind,
    };
    s.add_module(
        module(
            2,
            0,
            "Course overview",
            "<p>What this course covers.</p>",
            ModInstance::Page {
                content: "<p>Mechanics: kinematics, dynamics, oscillations.</p>".to_owned(),
            },
        ),
        t,
    );
    s.add_module(
        module(
            2,
            1,
            "Kinematics discussion",
            "<p>Questions about kinematics.</p>",
            ModInstance::Forum {
                forumtype: "general".to_owned(),
                trackingtype: 1,
            },
        ),
        t,
    );
    s.add_module(
        module(
            2,
            1,
            "PhET simulations",
            "Test url 1",
            ModInstance::Url {
                externalurl: "https://phet.colorado.edu/".to_owned(),
                display: 0,
            },
        ),
        t,
    );
    let syllabus = s.add_module(
        module(
            2,
            1,
            "Syllabus",
            "Test resource 1",
            ModInstance::Resource { display: 0 },
        ),
        t,
    );
    if let Some(ctx) = s.context_id(ContextLevel::Module, syllabus) {
        let id = s.create_file(
            NewFile {
                contextid: ctx,
                component: "mod_resource",
                filearea: "content",
                itemid: 0,
                filepath: "/",
                filename: "syllabus.txt",
                userid: None,
                author: None,
                license: None,
                source: None,
            },
            Arc::from(b"Test resource seedfiles/syllabus.txt file".as_slice()),
        );
        if let Some(f) = s.files.get_mut(&id) {
            f.sortorder = 1;
        }
    }
    let mut label = module(
        2,
        2,
        "Week 2: Dynamics",
        "<p>Week 2: Dynamics</p>",
        ModInstance::Label,
    );
    label.showdescription = true;
    s.add_module(label, t);
    let config = |plugin: &str, subtype: &str, name: &str, value: &str| {
        (
            plugin.to_owned(),
            subtype.to_owned(),
            name.to_owned(),
            value.to_owned(),
        )
    };
    s.add_module(
        module(
            2,
            2,
            "Lab report 1",
            "<p>Upload your pendulum lab report (PDF) and raw data.</p>",
            ModInstance::Assign(Box::new(Assign {
                nosubmissions: 0,
                submissiondrafts: 1,
                sendnotifications: 1,
                sendlatenotifications: 0,
                sendstudentnotifications: 1,
                duedate: SEED_TIME + 1 + 14 * 86_400,
                allowsubmissionsfromdate: SEED_TIME + 1 - 86_400,
                grade: 100,
                cutoffdate: 0,
                gradingduedate: 0,
                configs: vec![
                    config("onlinetext", "assignsubmission", "enabled", "1"),
                    config("onlinetext", "assignsubmission", "wordlimit", "0"),
                    config("onlinetext", "assignsubmission", "wordlimitenabled", "0"),
                    config("file", "assignsubmission", "enabled", "1"),
                    config("file", "assignsubmission", "maxfilesubmissions", "3"),
                    config(
                        "file",
                        "assignsubmission",
                        "maxsubmissionsizebytes",
                        "1048576",
                    ),
                    config("file", "assignsubmission", "filetypeslist", ""),
                    config("comments", "assignsubmission", "enabled", "0"),
                    config("comments", "assignfeedback", "enabled", "1"),
                    config("comments", "assignfeedback", "commentinline", "0"),
                    config("editpdf", "assignfeedback", "enabled", "0"),
                    config("offline", "assignfeedback", "enabled", "0"),
                    config("file", "assignfeedback", "enabled", "0"),
                ],
            })),
        ),
        t,
    );
    s.add_module(
        module(
            3,
            1,
            "Essay: reaction mechanisms",
            "<p>Submit a 2 page essay.</p>",
            ModInstance::Assign(Box::new(Assign {
                nosubmissions: 0,
                submissiondrafts: 1,
                sendnotifications: 0,
                sendlatenotifications: 0,
                sendstudentnotifications: 1,
                duedate: SEED_TIME + 1 + 21 * 86_400,
                allowsubmissionsfromdate: 0,
                grade: 100,
                cutoffdate: 0,
                gradingduedate: 0,
                configs: vec![
                    config("file", "assignsubmission", "enabled", "1"),
                    config("file", "assignsubmission", "maxfilesubmissions", "1"),
                    config(
                        "file",
                        "assignsubmission",
                        "maxsubmissionsizebytes",
                        "67108864",
                    ),
                    config("file", "assignsubmission", "filetypeslist", ""),
                    config("comments", "assignsubmission", "enabled", "0"),
                    config("editpdf", "assignfeedback", "enabled", "0"),
                    config("offline", "assignfeedback", "enabled", "0"),
                    config("file", "assignfeedback", "enabled", "0"),
                ],
            })),
        ),
        t,
    );
    // The recorded site's LTI activity took course module 8 (context 29) and is not part of
    // the REST recordings' course contents; keep its ids taken so later ids match.
    s.seq.reserve("course_modules", 9);
    s.seq.reserve("context", 30);
    s.seq.reserve("lti", 2);
}

/// The files the seed attaches (`seed.php $files`).
pub fn seed_file(name: &str) -> Vec<u8> {
    match name {
        "study_notes.txt" => {
            b"Physics 101 study notes\n- Newton's laws\n- Simple harmonic motion\n".to_vec()
        }
        "formulae.txt" => b"v = u + at\ns = ut + at^2/2\n".to_vec(),
        "diagram.png" => png(DIAGRAM_PNG),
        "setup_photo_bob.png" => png(SETUP_PHOTO_PNG),
        "lab_report_alice.pdf" => {
            pdf_bytes("Lab report 1 - Alice Anderson - pendulum period measurements")
        }
        "lab_report_bob.pdf" => pdf_bytes("Lab report 1 - Bob Brown - setup and procedure"),
        "pendulum_data_alice.csv" => {
            b"length_m,period_s\n0.25,1.00\n0.50,1.42\n0.75,1.74\n1.00,2.01\n".to_vec()
        }
        _ => Vec::new(),
    }
}

const DIAGRAM_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAIAAAD8GO2jAAAAKUlEQVR4nO3NsQkAAAgDsB7W//Esr3AQAtmTaU9FIBAIBAKBQCAQfAkWAwwATMGYEdYAAAAASUVORK5CYII=";
const SETUP_PHOTO_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAEAAAAAwCAIAAAAuKetIAAAAZElEQVR4nO3PUQkAIBTAwBfHiEY0liH8OITBAtxm7fN1wwUNaEEDWtCAFjSgBQ1oQQNa0IAWNKAFDWhBA1rQgBY0oAUNaEEDWtCAFjSgBQ1oQQNa0IAWNKAFDWhBA1rQgBY8dgGIweDx+vacjQAAAABJRU5ErkJggg==";

fn png(b64: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap_or_default()
}

/// The one-page PDF `seed.php` writes (`pdf_bytes()`), byte for byte.
fn pdf_bytes(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 14 Tf 72 720 Td ({text}) Tj ET");
    let objs = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{o}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objs.len() + 1
    ));
    for off in offsets {
        out.push_str(&format!("{off:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objs.len() + 1
    ));
    out.into_bytes()
}

fn seed_submissions(s: &mut State) {
    let lab_ctx = s.context_id(ContextLevel::Module, 6).unwrap_or_default();
    let submissions = [
        (
            4,
            "<p>My period measurements agree with T = 2π√(L/g).</p>",
            vec!["lab_report_alice.pdf", "pendulum_data_alice.csv"],
            true,
        ),
        (
            5,
            "<p>Photo of the setup attached.</p>",
            vec!["lab_report_bob.pdf", "setup_photo_bob.png"],
            true,
        ),
        (6, "<p>Draft: still collecting data.</p>", vec![], false),
    ];
    for (userid, text, files, submitted) in submissions {
        let id = s.seq.next("assign_submission");
        let created = SEED_TIME + 2;
        s.submissions.insert(
            id,
            Submission {
                id,
                assignment: 1,
                userid,
                attemptnumber: 0,
                timecreated: if submitted { created } else { SEED_TIME + 22 },
                timemodified: SEED_TIME + 22,
                status: if submitted { "submitted" } else { "draft" }.to_owned(),
                onlinetext: Some(text.to_owned()),
            },
        );
        for name in files {
            s.create_file(
                NewFile {
                    contextid: lab_ctx,
                    component: "assignsubmission_file",
                    filearea: "submission_files",
                    itemid: id,
                    filepath: "/",
                    filename: name,
                    userid: None,
                    author: None,
                    license: None,
                    source: None,
                },
                Arc::from(seed_file(name)),
            );
        }
    }
    let id = s.seq.next("assign_grades");
    s.grades.insert(
        id,
        SubmissionGrade {
            id,
            assignment: 1,
            userid: 4,
            attemptnumber: 0,
            timecreated: SEED_TIME + 22,
            timemodified: SEED_TIME + 22,
            grader: 3,
            grade: 87.5,
            feedback: Some("<p>Good analysis; include uncertainty.</p>".to_owned()),
        },
    );
}

fn seed_notifications(s: &mut State) {
    let root = s.site.wwwroot.clone();
    let esc = root.replace('/', "\\/");
    let lab = format!("{root}/mod/assign/view.php?id=6");
    let header = format!(
        "<p><font face=\"sans-serif\"><a href=\"{root}/course/view.php?id=2\">PHYS101</a> -><a href=\"{root}/mod/assign/index.php?id=2\">Assignment</a> -><a href=\"{lab}\">Lab report 1</a></font></p><hr />"
    );
    let rule = "---------------------------------------------------------------------";
    let graded = |from: i64, name: &str, unique: &str| {
        (
            from,
            3,
            format!("{name} has updated their submission for assignment Lab report 1."),
            format!(
                "PHYS101 -> Assignment -> Lab report 1\n{rule}\n{name} has updated their assignment submission\nfor 'Lab report 1' at Sat, 21 Nov 2026, 11:19 PM\n\nIt is available here:\n\n    {lab}\n\n{rule}\n"
            ),
            format!(
                "{header}<font face=\"sans-serif\"><p>{name} has updated their assignment submission\nfor <i>'Lab report 1'  at Sat, 21 Nov 2026, 11:19 PM</i><br /><br />\nIt is <a href=\"{lab}\">available on the web site</a>.</p></font><hr />"
            ),
            Some(format!(
                "{{\"cmid\":\"6\",\"instance\":\"1\",\"messagetype\":\"gradersubmissionupdated\",\"blindmarking\":false,\"uniqueidforuser\":\"{unique}\",\"notificationiconurl\":\"{esc}\\/theme\\/image.php\\/boost\\/core\\/{SEED_THEME_REV}\\/u\\/f1\",\"courseid\":\"2\"}}"
            )),
        )
    };
    let receipt = |to: i64, unique: &str| {
        (
            -10,
            to,
            "You have submitted your assignment submission for Lab report 1".to_owned(),
            format!(
                "PHYS101 -> Assignment -> Lab report 1\n{rule}\nYou have submitted an\nassignment submission for 'Lab report 1'\n\nYou can see the status of your assignment submission:\n\n    {lab}\n\n{rule}\n"
            ),
            format!(
                "{header}<font face=\"sans-serif\"><p><p>You have submitted an assignment submission for '<i>Lab report 1</i>'.</p>\n<p>You can see the status of your <a href=\"{lab}\">assignment submission</a>.</p></p></font><hr />"
            ),
            Some(format!(
                "{{\"cmid\":\"6\",\"instance\":\"1\",\"messagetype\":\"submissionreceipt\",\"blindmarking\":false,\"uniqueidforuser\":\"{unique}\",\"courseid\":\"2\"}}"
            )),
        )
    };
    let plain = |from: i64, to: i64, subject: &str, full: &str| {
        (
            from,
            to,
            subject.to_owned(),
            full.to_owned(),
            format!("<p>{full}</p>"),
            None,
        )
    };
    let mut list = vec![
        graded(4, "Alice Anderson", "2"),
        receipt(4, "2"),
        graded(5, "Bob Brown", "4"),
        receipt(5, "4"),
        plain(
            3,
            4,
            "Lab report 1 is due in two weeks",
            "Reminder: Lab report 1 in Physics 101 is due soon.",
        ),
        plain(
            3,
            4,
            "Forum: new post in Kinematics discussion",
            "Tina Teacher posted a new topic in Kinematics discussion.",
        ),
    ];
    let maintenance = plain(
        -10,
        2,
        "Site maintenance tonight",
        "The site will be read-only from 22:00 to 23:00.",
    );
    for (from, to, subject, full, html, customdata) in list.drain(..) {
        let id = s.seq.next("notifications");
        s.notifications.insert(
            id,
            Notification {
                id,
                useridfrom: from,
                useridto: to,
                smallmessage: Some(subject.clone()),
                subject,
                fullmessage: full,
                fullmessageformat: 2,
                fullmessagehtml: html,
                component: "mod_assign".to_owned(),
                eventtype: "assign_notification".to_owned(),
                contexturl: lab.clone(),
                contexturlname: "Lab report 1".to_owned(),
                timecreated: SEED_TIME + 22,
                timeread: None,
                customdata,
            },
        );
    }
    let (from, to, subject, full, html, _) = maintenance;
    let id = s.seq.next("notifications");
    s.notifications.insert(
        id,
        Notification {
            id,
            useridfrom: from,
            useridto: to,
            smallmessage: Some(subject.clone()),
            subject,
            fullmessage: full,
            fullmessageformat: 2,
            fullmessagehtml: html,
            component: "moodle".to_owned(),
            eventtype: "notices".to_owned(),
            contexturl: root.clone(),
            contexturlname: "Site".to_owned(),
            timecreated: SEED_TIME + 22,
            timeread: None,
            customdata: None,
        },
    );
}

fn seed_private_files(s: &mut State) {
    let ctx = s.context_id(ContextLevel::User, 4).unwrap_or_default();
    for (path, name) in [
        ("/", "study_notes.txt"),
        ("/", "diagram.png"),
        ("/physics/", "formulae.txt"),
    ] {
        s.create_file(
            NewFile {
                contextid: ctx,
                component: "user",
                filearea: "private",
                itemid: 0,
                filepath: path,
                filename: name,
                userid: None,
                author: None,
                license: None,
                source: None,
            },
            Arc::from(seed_file(name)),
        );
    }
}

fn seed_services(s: &mut State, catalog: &FunctionCatalog, mode: TokenMode) {
    let mobile = Service {
        id: 1,
        name: "Moodle mobile web service".to_owned(),
        shortname: "moodle_mobile_app".to_owned(),
        enabled: true,
        restrictedusers: false,
        downloadfiles: true,
        uploadfiles: true,
        functions: catalog.mobile_service_functions(),
    };
    let bridge = Service {
        id: 2,
        name: "bridge".to_owned(),
        shortname: "bridge".to_owned(),
        enabled: true,
        restrictedusers: false,
        downloadfiles: true,
        uploadfiles: true,
        functions: BRIDGE_FUNCTIONS.iter().map(|f| (*f).to_owned()).collect(),
    };
    s.services.insert(1, mobile);
    s.services.insert(2, bridge);
    s.seq.reserve("external_services", 3);
    for (role, username, service) in SEEDED_TOKENS {
        let Some(user) = find_user(s, username) else {
            continue;
        };
        let Some(serviceid) = s
            .services
            .values()
            .find(|sv| sv.shortname == service)
            .map(|sv| sv.id)
        else {
            continue;
        };
        let token = match mode {
            TokenMode::Random => random_token(),
            TokenMode::Fixed => fixed_token(role),
        };
        s.tokens.insert(
            token.clone(),
            Token {
                token,
                userid: user,
                serviceid,
                contextid: SYSTEM_CONTEXT,
                validuntil: 0,
                iprestriction: String::new(),
                privatetoken: None,
                timecreated: SEED_TIME + 23,
                lastaccess: 0,
                name: format!("moodle-real {role}"),
            },
        );
    }
    let user_ids: Vec<i64> = s.users.keys().copied().collect();
    for id in user_ids {
        let key = match mode {
            TokenMode::Random => random_token(),
            TokenMode::Fixed => fixed_token(&format!("privatekey-{id}")),
        };
        s.private_access_keys.insert(id, key);
    }
}

fn find_user(s: &State, username: &str) -> Option<i64> {
    s.users
        .values()
        .find(|u: &&User| u.username == username)
        .map(|u| u.id)
}

/// A random 32-character hex token, as `md5(uniqid(rand(), 1))` makes them.
pub fn random_token() -> String {
    use rand::Rng as _;
    let mut rng = rand::rng();
    (0..32)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}

/// The token a role gets in fixed-token mode: 32 hex characters derived from its name.
pub fn fixed_token(role: &str) -> String {
    crate::state::sha1_hex(format!("moodle-sim fixed token {role}").as_bytes())[..32].to_owned()
}
