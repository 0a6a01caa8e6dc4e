//! What Moodle's `course/lib.php`, `course/modlib.php` and `core_course_category` do to
//! the tables: creating categories, courses, sections and modules, and deleting them.

use crate::version::MoodleVersion;

use super::{
    Category, ContextLevel, Course, CourseModule, EnrolInstance, FormatOptions, ModInstance,
    SITE_ID, SYSTEM_CONTEXT, Section, State,
};

/// Site defaults for new courses (`moodlecourse` settings).
pub const DEFAULT_NUMSECTIONS: i64 = 4;
/// `moodlecourse | courseduration`: one year.
pub const DEFAULT_COURSE_DURATION: i64 = 31_536_000;
/// `moodlecourse | maxsections`.
pub const MAX_SECTIONS: i64 = 52;

/// The fields of a new course (`create_course($data)`), with Moodle's defaults.
#[derive(Debug, Clone)]
pub struct NewCourse {
    /// Full name.
    pub fullname: String,
    /// Short name.
    pub shortname: String,
    /// Category.
    pub category: i64,
    /// ID number.
    pub idnumber: String,
    /// Summary.
    pub summary: String,
    /// Summary format.
    pub summaryformat: i64,
    /// Format.
    pub format: String,
    /// Number of sections.
    pub numsections: i64,
    /// Start date.
    pub startdate: i64,
    /// End date (`None`: start + course duration).
    pub enddate: Option<i64>,
    /// Announcements shown.
    pub newsitems: i64,
    /// Visible.
    pub visible: bool,
    /// Completion tracking.
    pub enablecompletion: i64,
    /// Show activity dates.
    pub showactivitydates: bool,
    /// Show completion conditions.
    pub showcompletionconditions: bool,
    /// Hidden sections mode.
    pub hiddensections: i64,
    /// Course display.
    pub coursedisplay: i64,
    /// Show grades.
    pub showgrades: i64,
    /// Max bytes.
    pub maxbytes: i64,
    /// Show reports.
    pub showreports: i64,
    /// Group mode.
    pub groupmode: i64,
    /// Force group mode.
    pub groupmodeforce: i64,
    /// Default grouping.
    pub defaultgroupingid: i64,
    /// Completion notifications.
    pub completionnotify: i64,
    /// Forced language.
    pub lang: String,
    /// Forced theme.
    pub theme: String,
}

impl NewCourse {
    /// A course with the site's defaults.
    pub fn new(fullname: &str, shortname: &str, category: i64, now: i64) -> Self {
        NewCourse {
            fullname: fullname.to_owned(),
            shortname: shortname.to_owned(),
            category,
            idnumber: String::new(),
            summary: String::new(),
            summaryformat: 1,
            format: "topics".to_owned(),
            numsections: DEFAULT_NUMSECTIONS,
            // Moodle's default start is tomorrow at midnight.
            startdate: (now / 86_400 + 1) * 86_400,
            enddate: None,
            newsitems: 5,
            visible: true,
            enablecompletion: 1,
            showactivitydates: true,
            showcompletionconditions: true,
            hiddensections: 1,
            coursedisplay: 0,
            showgrades: 1,
            maxbytes: 0,
            showreports: 0,
            groupmode: 0,
            groupmodeforce: 0,
            defaultgroupingid: 0,
            completionnotify: 0,
            lang: String::new(),
            theme: String::new(),
        }
    }
}

/// The module-independent fields of a new course module.
#[derive(Debug, Clone)]
pub struct NewModule {
    /// Course id.
    pub course: i64,
    /// Section number to add it to.
    pub section: i64,
    /// Name.
    pub name: String,
    /// Intro.
    pub intro: String,
    /// ID number.
    pub idnumber: Option<String>,
    /// Visible.
    pub visible: bool,
    /// Show description on the course page.
    pub showdescription: bool,
    /// Module data.
    pub kind: ModInstance,
}

impl ModInstance {
    /// The module name (`page`, `forum`, …).
    pub fn modname(&self) -> &'static str {
        match self {
            ModInstance::Page { .. } => "page",
            ModInstance::Forum { .. } => "forum",
            ModInstance::Url { .. } => "url",
            ModInstance::Resource { .. } => "resource",
            ModInstance::Label => "label",
            ModInstance::Assign(_) => "assign",
            ModInstance::Subsection => "subsection",
            ModInstance::Lti => "lti",
            ModInstance::Quiz(_) => "quiz",
        }
    }
}

/// The `modules` table ids of a standard Moodle install: plugins are installed in name order,
/// so 5.0, without mod_chat and mod_survey and with mod_qbank, numbers them differently.
pub fn module_type_id(moodle: MoodleVersion, modname: &str) -> i64 {
    let installed: &[&str] = if moodle.at_least_5_0() {
        &MODULES_5_0
    } else {
        &MODULES_4_5
    };
    installed
        .iter()
        .position(|m| *m == modname)
        .and_then(|i| i64::try_from(i + 1).ok())
        .unwrap_or(0)
}

/// The module plugins of a stock Moodle 4.5, in `modules` id order.
const MODULES_4_5: [&str; 24] = [
    "assign",
    "bigbluebuttonbn",
    "book",
    "chat",
    "choice",
    "data",
    "feedback",
    "folder",
    "forum",
    "glossary",
    "h5pactivity",
    "imscp",
    "label",
    "lesson",
    "lti",
    "page",
    "quiz",
    "resource",
    "scorm",
    "subsection",
    "survey",
    "url",
    "wiki",
    "workshop",
];

/// The module plugins of a stock Moodle 5.0, in `modules` id order (5.0 removed mod_chat and
/// mod_survey from core and added mod_qbank).
const MODULES_5_0: [&str; 23] = [
    "assign",
    "bigbluebuttonbn",
    "book",
    "choice",
    "data",
    "feedback",
    "folder",
    "forum",
    "glossary",
    "h5pactivity",
    "imscp",
    "label",
    "lesson",
    "lti",
    "page",
    "qbank",
    "quiz",
    "resource",
    "scorm",
    "subsection",
    "url",
    "wiki",
    "workshop",
];

impl State {
    /// `core_course_category::create()` after its checks: the row (sort order 0, visible as
    /// its parent), its context, then `fix_course_sortorder()` puts it last among its siblings.
    pub fn create_category(
        &mut self,
        name: &str,
        idnumber: Option<&str>,
        description: &str,
        descriptionformat: i64,
        parent: i64,
        now: i64,
    ) -> i64 {
        let id = self.seq.next("course_categories");
        let (depth, parent_path, parent_ctx, visible) = match self.categories.get(&parent) {
            Some(p) => (
                p.depth + 1,
                p.path.clone(),
                self.context_id(ContextLevel::Category, parent)
                    .unwrap_or(SYSTEM_CONTEXT),
                p.visible,
            ),
            None => (1, String::new(), SYSTEM_CONTEXT, true),
        };
        self.categories.insert(
            id,
            Category {
                id,
                name: name.to_owned(),
                idnumber: idnumber.map(str::to_owned),
                description: description.to_owned(),
                descriptionformat,
                parent,
                sortorder: 0,
                visible,
                visibleold: true,
                timemodified: now,
                depth,
                path: format!("{parent_path}/{id}"),
                theme: String::new(),
                coursecount: 0,
            },
        );
        self.fix_course_sortorder();
        self.create_context(ContextLevel::Category, id, parent_ctx);
        id
    }

    /// Courses in a category, including the site course for category 0.
    pub fn course_count(&self, category: i64) -> i64 {
        let count = self
            .courses
            .values()
            .filter(|c| c.category == category && c.id != SITE_ID)
            .count();
        i64::try_from(count).unwrap_or(i64::MAX)
    }

    /// `create_course()`: the course, its context, sections 0..numsections, the default
    /// enrolment methods and (with announcements) the news forum. Returns the course id.
    pub fn create_course(&mut self, data: NewCourse, now: i64) -> i64 {
        let id = self.seq.next("course");
        let cat_ctx = self
            .context_id(ContextLevel::Category, data.category)
            .unwrap_or(SYSTEM_CONTEXT);
        let enddate = data
            .enddate
            .unwrap_or(data.startdate + DEFAULT_COURSE_DURATION);
        let automaticenddate = (data.format == "weeks").then_some(1);
        let enddate = if automaticenddate.is_some() {
            // format_weeks: the end of the last weekly section.
            data.startdate + data.numsections * 7 * 86_400
        } else {
            enddate
        };
        self.courses.insert(
            id,
            Course {
                id,
                category: data.category,
                // Placed at the beginning of its category by fix_course_sortorder().
                sortorder: 0,
                fullname: data.fullname,
                shortname: data.shortname,
                idnumber: data.idnumber,
                summary: data.summary,
                summaryformat: data.summaryformat,
                format: data.format,
                showgrades: data.showgrades,
                newsitems: data.newsitems,
                startdate: data.startdate,
                enddate,
                maxbytes: data.maxbytes,
                showreports: data.showreports,
                visible: data.visible,
                visibleold: data.visible,
                groupmode: data.groupmode,
                groupmodeforce: data.groupmodeforce,
                defaultgroupingid: data.defaultgroupingid,
                timecreated: now,
                timemodified: now,
                enablecompletion: data.enablecompletion,
                completionnotify: data.completionnotify,
                lang: data.lang,
                theme: data.theme,
                marker: 0,
                cacherev: now,
                showactivitydates: data.showactivitydates,
                showcompletionconditions: Some(data.showcompletionconditions),
                format_options: FormatOptions {
                    numsections: data.numsections,
                    hiddensections: data.hiddensections,
                    coursedisplay: data.coursedisplay,
                    automaticenddate,
                },
            },
        );
        self.create_context(ContextLevel::Course, id, cat_ctx);
        self.fix_course_sortorder();
        for number in 0..=data.numsections {
            self.create_section(id, number, now);
        }
        for (enrol, status, roleid) in [("manual", 0, 5), ("guest", 1, 0), ("self", 1, 5)] {
            let eid = self.seq.next("enrol");
            self.enrol_instances.insert(
                eid,
                EnrolInstance {
                    id: eid,
                    enrol: enrol.to_owned(),
                    status,
                    courseid: id,
                    roleid,
                },
            );
        }
        // mod_forum's course_created observer makes the news forum when announcements are on.
        if data.newsitems > 0 {
            self.add_news_forum(id, now);
        }
        self.emit(crate::plugins::Change::CourseCreated(id));
        id
    }

    /// `forum_get_course_forum($courseid, 'news')`: the course's announcements forum, added
    /// with `add_course_module()`, which makes no context; the context appears when the
    /// course's modinfo is next built (`ensure_module_contexts`).
    pub fn add_news_forum(&mut self, course: i64, now: i64) -> i64 {
        self.insert_module(
            NewModule {
                course,
                section: 0,
                name: "Announcements".to_owned(),
                intro: "General news and announcements".to_owned(),
                idnumber: None,
                visible: true,
                showdescription: false,
                kind: ModInstance::Forum {
                    forumtype: "news".to_owned(),
                    trackingtype: 1,
                },
            },
            now,
            false,
        )
    }

    /// `get_fast_modinfo($course)` building the course cache: `get_array_of_activities()`
    /// makes the module contexts still missing, section by section in display order.
    pub fn ensure_module_contexts(&mut self, course: i64) {
        let Some(course_ctx) = self.context_id(ContextLevel::Course, course) else {
            return;
        };
        let missing: Vec<i64> = self
            .course_sections(course)
            .iter()
            .flat_map(|s| s.sequence.iter().copied())
            .filter(|cmid| self.cms.contains_key(cmid))
            .filter(|cmid| self.context_id(ContextLevel::Module, *cmid).is_none())
            .collect();
        for cmid in missing {
            self.create_context(ContextLevel::Module, cmid, course_ctx);
        }
    }

    /// Adds a section row at a number (`course_create_section`).
    pub fn create_section(&mut self, course: i64, number: i64, now: i64) -> i64 {
        let id = self.seq.next("course_sections");
        self.sections.insert(
            id,
            Section {
                id,
                course,
                section: number,
                name: None,
                summary: String::new(),
                summaryformat: 1,
                visible: true,
                sequence: Vec::new(),
                component: None,
                itemid: None,
                timemodified: now,
            },
        );
        id
    }

    /// The sections of a course by number.
    pub fn course_sections(&self, course: i64) -> Vec<&Section> {
        let mut list: Vec<&Section> = self
            .sections
            .values()
            .filter(|s| s.course == course)
            .collect();
        list.sort_by_key(|s| s.section);
        list
    }

    /// A course's section by number.
    pub fn section_by_number(&self, course: i64, number: i64) -> Option<&Section> {
        self.sections
            .values()
            .find(|s| s.course == course && s.section == number)
    }

    /// `add_moduleinfo()`: the course module, its instance and context, appended to a
    /// section's sequence. Returns the course module id.
    pub fn add_module(&mut self, new: NewModule, now: i64) -> i64 {
        let cmid = self.insert_module(new, now, true);
        self.emit(crate::plugins::Change::ModuleCreated(cmid));
        cmid
    }

    /// `add_course_module()` and `course_add_cm_to_section()`, with the module's context
    /// (`context_module::instance()`) or without it.
    fn insert_module(&mut self, new: NewModule, now: i64, with_context: bool) -> i64 {
        let modname = new.kind.modname();
        let cmid = self.seq.next("course_modules");
        let instance = self.seq.next(instance_table(modname));
        let course_ctx = self
            .context_id(ContextLevel::Course, new.course)
            .unwrap_or(SYSTEM_CONTEXT);
        let section_id = match self.section_by_number(new.course, new.section) {
            Some(s) => s.id,
            None => self.create_section(new.course, new.section, now),
        };
        self.cms.insert(
            cmid,
            CourseModule {
                id: cmid,
                course: new.course,
                modname: modname.to_owned(),
                instance,
                section: section_id,
                idnumber: new.idnumber,
                added: now,
                indent: 0,
                visible: new.visible,
                visibleoncoursepage: true,
                visibleold: new.visible,
                groupmode: 0,
                completion: 0,
                showdescription: new.showdescription,
                name: new.name,
                intro: new.intro,
                introformat: 1,
                timemodified: now,
                kind: new.kind,
            },
        );
        if with_context {
            self.create_context(ContextLevel::Module, cmid, course_ctx);
        }
        if let Some(section) = self.sections.get_mut(&section_id) {
            section.sequence.push(cmid);
        }
        cmid
    }

    /// `course_delete_module()`: removes the module, its context and its files.
    pub fn delete_module(&mut self, cmid: i64) {
        let Some(cm) = self.cms.remove(&cmid) else {
            return;
        };
        if let Some(section) = self.sections.get_mut(&cm.section) {
            section.sequence.retain(|&id| id != cmid);
        }
        if let Some(ctx) = self.context_id(ContextLevel::Module, cmid) {
            self.files.retain(|_, f| f.contextid != ctx);
            self.contexts.remove(&ctx);
        }
        self.delete_delegated_section(&cm);
    }

    /// `delete_course()`: the course with its modules, sections, enrolments and context.
    pub fn delete_course(&mut self, course: i64) {
        self.emit(crate::plugins::Change::CourseDeleting(course));
        let cmids: Vec<i64> = self
            .cms
            .values()
            .filter(|cm| cm.course == course)
            .map(|cm| cm.id)
            .collect();
        for cmid in cmids {
            self.delete_module(cmid);
        }
        self.sections.retain(|_, s| s.course != course);
        let enrol_ids: Vec<i64> = self
            .enrol_instances
            .values()
            .filter(|e| e.courseid == course)
            .map(|e| e.id)
            .collect();
        self.user_enrolments
            .retain(|_, ue| !enrol_ids.contains(&ue.enrolid));
        self.enrol_instances.retain(|_, e| e.courseid != course);
        if let Some(ctx) = self.context_id(ContextLevel::Course, course) {
            self.role_assignments.retain(|ra| ra.contextid != ctx);
            self.files.retain(|_, f| f.contextid != ctx);
            self.contexts.remove(&ctx);
        }
        self.courses.remove(&course);
    }
}

/// The table holding a module type's instances.
fn instance_table(modname: &str) -> &'static str {
    match modname {
        "page" => "page",
        "forum" => "forum",
        "url" => "url",
        "resource" => "resource",
        "label" => "label",
        "assign" => "assign",
        "subsection" => "subsection",
        "lti" => "lti",
        "quiz" => "quiz",
        _ => "other_instance",
    }
}
