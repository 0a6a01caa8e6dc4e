//! Enrolments and role assignments as `lib/enrollib.php`, `lib/accesslib.php` and the
//! manual enrolment plugin keep them, including the course welcome message.

use super::{ContextLevel, Notification, RoleAssignment, State, UserEnrolment};

/// One user enrolment to make or update.
#[derive(Debug, Clone, Copy)]
pub struct Enrolment {
    /// The enrolment instance.
    pub enrolid: i64,
    /// The user.
    pub userid: i64,
    /// The role to assign in the course, if any.
    pub roleid: Option<i64>,
    /// Start (0 = none).
    pub timestart: i64,
    /// End (0 = none).
    pub timeend: i64,
    /// Suspended enrolment.
    pub suspended: bool,
}

/// `$CFG->coursecontact`: editing teachers are course contacts.
pub const COURSE_CONTACT_ROLE: i64 = 3;

impl State {
    /// `enrol_plugin::enrol_user()` for a manual instance: adds or updates the user
    /// enrolment, assigns the role in the course context and sends the welcome message.
    pub fn enrol_user(&mut self, e: Enrolment, now: i64) {
        let Enrolment {
            enrolid,
            userid,
            roleid,
            timestart,
            timeend,
            suspended,
        } = e;
        let Some(instance) = self.enrol_instances.get(&enrolid).cloned() else {
            return;
        };
        let status = i64::from(suspended);
        let before = self
            .user_enrolments
            .values()
            .find(|ue| ue.enrolid == enrolid && ue.userid == userid)
            .cloned();
        let existing = self
            .user_enrolments
            .values_mut()
            .find(|ue| ue.enrolid == enrolid && ue.userid == userid);
        let newly_enrolled = match existing {
            Some(ue) => {
                ue.timestart = timestart;
                ue.timeend = timeend;
                ue.status = status;
                false
            }
            None => {
                let id = self.seq.next("user_enrolments");
                self.user_enrolments.insert(
                    id,
                    UserEnrolment {
                        id,
                        enrolid,
                        userid,
                        status,
                        timestart,
                        timeend,
                    },
                );
                true
            }
        };
        self.emit(crate::plugins::Change::Enrolled {
            enrolid,
            userid,
            before,
        });
        let Some(ctx) = self.context_id(ContextLevel::Course, instance.courseid) else {
            return;
        };
        if newly_enrolled && instance.enrol == "manual" {
            self.send_welcome_message(instance.courseid, ctx, userid, now);
        }
        if let Some(roleid) = roleid {
            self.assign_role(roleid, ctx, userid);
        }
    }

    /// `role_assign()`, once per (role, context, user).
    pub fn assign_role(&mut self, roleid: i64, contextid: i64, userid: i64) {
        let ra = RoleAssignment {
            roleid,
            contextid,
            userid,
        };
        if !self.role_assignments.contains(&ra) {
            self.role_assignments.push(ra);
            self.emit(crate::plugins::Change::RoleAssigned {
                roleid,
                contextid,
                userid,
            });
        }
    }

    fn send_welcome_message(&mut self, courseid: i64, contextid: i64, userid: i64, now: i64) {
        // The first course contact assigned in the course sends it; with none, nothing is sent.
        let Some(contact) = self
            .role_assignments
            .iter()
            .find(|ra| {
                ra.contextid == contextid && ra.roleid == COURSE_CONTACT_ROLE && ra.userid != userid
            })
            .map(|ra| ra.userid)
        else {
            return;
        };
        let (Some(user), Some(course)) = (self.users.get(&userid), self.courses.get(&courseid))
        else {
            return;
        };
        let text = format!(
            "Hi {}, you are enrolled in the course {}.",
            user.firstname, course.fullname
        );
        let id = self.seq.next("notifications");
        let notification = Notification {
            id,
            useridfrom: contact,
            useridto: userid,
            subject: format!("Welcome to {}", course.fullname),
            fullmessage: text.clone(),
            fullmessageformat: 4,
            fullmessagehtml: text,
            smallmessage: None,
            component: "moodle".to_owned(),
            eventtype: "enrolcoursewelcomemessage".to_owned(),
            contexturl: format!(
                "{}/user/view.php?id={userid}&amp;course={courseid}",
                self.site.wwwroot
            ),
            contexturlname: course.fullname.clone(),
            timecreated: now,
            timeread: None,
            customdata: None,
        };
        self.notifications.insert(id, notification);
    }

    /// Active enrolment of a user in a course (`is_enrolled(..., onlyactive)`).
    pub fn is_enrolled(&self, userid: i64, courseid: i64, now: i64) -> bool {
        self.user_enrolments.values().any(|ue| {
            ue.userid == userid
                && ue.status == 0
                && (ue.timestart == 0 || ue.timestart <= now)
                && (ue.timeend == 0 || ue.timeend > now)
                && self
                    .enrol_instances
                    .get(&ue.enrolid)
                    .is_some_and(|e| e.courseid == courseid && e.status == 0)
        })
    }

    /// Any enrolment of a user in a course, active or not.
    pub fn has_enrolment(&self, userid: i64, courseid: i64) -> bool {
        self.user_enrolments.values().any(|ue| {
            ue.userid == userid
                && self
                    .enrol_instances
                    .get(&ue.enrolid)
                    .is_some_and(|e| e.courseid == courseid)
        })
    }

    /// Courses a user is enrolled in (any status), by course id.
    pub fn enrolled_course_ids(&self, userid: i64) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .user_enrolments
            .values()
            .filter(|ue| ue.userid == userid)
            .filter_map(|ue| self.enrol_instances.get(&ue.enrolid).map(|e| e.courseid))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Role ids a user holds in a context or any parent context.
    pub fn roles_in_context(&self, userid: i64, contextid: i64) -> Vec<i64> {
        let path = self
            .contexts
            .get(&contextid)
            .map(|c| c.path.clone())
            .unwrap_or_default();
        self.role_assignments
            .iter()
            .filter(|ra| ra.userid == userid && path.contains(&ra.contextid))
            .map(|ra| ra.roleid)
            .collect()
    }

    /// The manual enrolment instance of a course.
    pub fn manual_instance(&self, courseid: i64) -> Option<i64> {
        self.enrol_instances
            .values()
            .find(|e| e.courseid == courseid && e.enrol == "manual")
            .map(|e| e.id)
    }
}
