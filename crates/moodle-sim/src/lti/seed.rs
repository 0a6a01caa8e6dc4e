//! The recorded site's LTI set-up (`../shared/real-moodle/lti_seed.php`): the site-level
//! LTI 1.3 tool type "Bridge LTI tool" (type 1, so deployment id "1") and, when asked, the
//! activity "Bridge tool activity" in PHYS101 section 3 with the ids the recording shows
//! (lti 1, cm 8, context 29, grade item 5), which the REST fixture keeps free.

use super::LtiConfig;
use super::data::{
    CONTAINER_DEFAULT, CONTAINER_EMBED_NO_BLOCKS, Gbs, GradeItem, Instance, SETTING_ALWAYS,
    STATE_CONFIGURED, ToolType, TypeConfig, VERSION_1P3, domain_of,
};
use super::http::random_string;
use crate::state::{Context, ContextLevel, CourseModule, ModInstance, SITE_ID, State};

/// When `lti_seed.php` ran on the recorded site (its theme revision in the LTI recording).
const LTI_SEED_TIME: i64 = 1_795_305_872;
/// PHYS101.
const COURSE: i64 = 2;
/// The activity's ids on the recorded site.
const CMID: i64 = 8;
const CONTEXT: i64 = 29;
const INSTANCE: i64 = 1;
const GRADE_ITEM: i64 = 5;

/// Adds the tool type (and the activity when `config.activity`) to a seeded site.
pub fn install(config: &LtiConfig, s: &mut State) {
    s.lti.storage_target = config.storage_target;
    let baseurl = config.url(&config.launch_path);
    let deeplink = config.url(&config.deeplink_path);
    let typeid = s.seq.next("lti_types");
    s.lti.types.insert(
        typeid,
        ToolType {
            id: typeid,
            name: "Bridge LTI tool".to_owned(),
            tooldomain: domain_of(&baseurl).unwrap_or_default(),
            baseurl: baseurl.clone(),
            state: STATE_CONFIGURED,
            course: SITE_ID,
            clientid: config.client_id.clone(),
            ltiversion: VERSION_1P3.to_owned(),
            description: "Moodle Bridge LTI 1.3 tool (loopback test)".to_owned(),
            icon: String::new(),
            config: TypeConfig {
                initiatelogin: config.url(&config.login_path),
                redirectionuris: vec![baseurl, deeplink.clone()],
                publickeyset: config.url(&config.jwks_path),
                contentitem: true,
                contentitem_url: deeplink,
                customparameters: vec!["course_shortname=$Context.title".to_owned()],
                launchcontainer: CONTAINER_EMBED_NO_BLOCKS,
                sendname: SETTING_ALWAYS,
                sendemailaddr: SETTING_ALWAYS,
                acceptgrades: SETTING_ALWAYS,
                gradesync: 2,
                memberships: 1,
                toolsettings: 0,
            },
        },
    );
    // Grade items 1-4 are the courses' and assignments' items on the recorded site.
    s.seq.reserve("grade_items", GRADE_ITEM + 1);
    if config.activity {
        add_activity(s, typeid);
    }
}

/// "Bridge tool activity": created as the testing generator creates it (accept grades, name
/// and email shared, default launch container, no per-activity key).
fn add_activity(s: &mut State, typeid: i64) {
    let Some(section) = s.section_by_number(COURSE, 3).map(|sec| sec.id) else {
        return;
    };
    let name = "Bridge tool activity";
    s.cms.insert(
        CMID,
        CourseModule {
            id: CMID,
            course: COURSE,
            modname: "lti".to_owned(),
            instance: INSTANCE,
            section,
            idnumber: Some(String::new()),
            added: LTI_SEED_TIME,
            indent: 0,
            visible: true,
            visibleoncoursepage: true,
            visibleold: true,
            groupmode: 0,
            completion: 0,
            showdescription: false,
            name: name.to_owned(),
            intro: "<p>Launches the Moodle Bridge LTI tool.</p>".to_owned(),
            introformat: 1,
            timemodified: LTI_SEED_TIME,
            kind: ModInstance::Lti,
        },
    );
    let mut path = s
        .context_of(ContextLevel::Course, COURSE)
        .map(|c| c.path.clone())
        .unwrap_or_default();
    path.push(CONTEXT);
    s.contexts.insert(
        CONTEXT,
        Context {
            id: CONTEXT,
            level: ContextLevel::Module,
            instanceid: CMID,
            path,
        },
    );
    if let Some(sec) = s.sections.get_mut(&section) {
        sec.sequence.push(CMID);
    }
    s.lti.instances.insert(
        INSTANCE,
        Instance {
            id: INSTANCE,
            course: COURSE,
            typeid,
            toolurl: String::new(),
            grade: 100.0,
            customparameters: Vec::new(),
            launchcontainer: CONTAINER_DEFAULT,
            acceptgrades: SETTING_ALWAYS,
            servicesalt: random_string(23),
        },
    );
    s.lti.grade_items.insert(
        GRADE_ITEM,
        GradeItem {
            id: GRADE_ITEM,
            courseid: COURSE,
            itemtype: "mod".to_owned(),
            iteminstance: Some(INSTANCE),
            itemname: name.to_owned(),
            grademax: 100.0,
        },
    );
    s.lti.gbs.insert(
        GRADE_ITEM,
        Gbs {
            gradeitemid: GRADE_ITEM,
            courseid: COURSE,
            typeid,
            ltilinkid: Some(INSTANCE),
            resourceid: None,
            tag: None,
        },
    );
}
