//! The stand-in's event observers: the state calls [`State::emit`] with a [`Change`] where
//! Moodle triggers a catalogue event, and this module writes the outbox row
//! `local\events\catalogue::row()` would (event name, ids, context, the `other` data that goes
//! out), with the request's origin. Nothing is written unless `local_bridge` is installed and
//! `local_bridge/recordevents` is on.

use serde_json::json;

use super::grades::GradeItemRef;
use super::outbox::{EventRow, row};
use crate::plugins::moodle_5;
use crate::state::{ContextLevel, State, UserEnrolment, now};

/// A change Moodle reports with a catalogue event, as the state knows it where it happens.
#[derive(Debug, Clone)]
pub enum Change {
    /// `create_course()`: `course_created`.
    CourseCreated(i64),
    /// `update_course()`: `course_updated`.
    CourseUpdated(i64),
    /// `delete_course()`, before the course goes: its learners' unenrolments, then
    /// `course_deleted` (its activities go without events, as `remove_course_contents()` does).
    CourseDeleting(i64),
    /// `add_moduleinfo()`: `course_module_created`.
    ModuleCreated(i64),
    /// `update_moduleinfo()`, visibility and group mode changes: `course_module_updated`.
    ModuleUpdated(i64),
    /// `course_delete_module()`, before the module goes: `course_module_deleted`.
    ModuleDeleting(i64),
    /// `enrol_plugin::enrol_user()`: `user_enrolment_created`, or `user_enrolment_updated`
    /// when an existing enrolment's status or dates changed (`before`: the row before).
    Enrolled {
        /// Enrolment instance.
        enrolid: i64,
        /// The user.
        userid: i64,
        /// The user enrolment as it was, if it existed.
        before: Option<UserEnrolment>,
    },
    /// `enrol_plugin::unenrol_user()`, before the row goes: with the user's last enrolment in
    /// the course their roles there go (`role_unassigned`), then `user_enrolment_deleted`.
    Unenrolling {
        /// Enrolment instance.
        enrolid: i64,
        /// The user.
        userid: i64,
    },
    /// `role_assign()`: `role_assigned`.
    RoleAssigned {
        /// Role.
        roleid: i64,
        /// Context of the assignment.
        contextid: i64,
        /// The user.
        userid: i64,
    },
    /// `role_unassign()`: `role_unassigned`.
    RoleUnassigned {
        /// Role.
        roleid: i64,
        /// Context of the assignment.
        contextid: i64,
        /// The user.
        userid: i64,
    },
    /// `user_create_user()`: `user_created`.
    UserCreated(i64),
    /// `user_update_user()`: `user_updated`.
    UserUpdated(i64),
    /// `delete_user()`, after the user is marked deleted: `user_deleted`.
    UserDeleted(i64),
    /// `assign::submit_for_grading()` (`editable` false), or a save when the assignment does
    /// not require submitting (`editable` true): `assessable_submitted`.
    Submitted {
        /// `assign_submission.id`.
        submissionid: i64,
        /// The submission can still be edited.
        editable: bool,
    },
    /// A grade written to the gradebook: `user_graded` when it changed, and again for the
    /// course total by the system when that changed (natural aggregation: the sum).
    Graded {
        /// The grade item.
        item: GradeItemRef,
        /// The learner.
        userid: i64,
        /// The final grade before.
        old: Option<f64>,
        /// The final grade now.
        new: Option<f64>,
    },
    /// A quiz attempt is submitted, before it is graded (Moodle 5.0+: `attempt_submitted`).
    AttemptSubmitting(i64),
    /// A quiz attempt is finished and graded (4.x: `attempt_submitted`; 5.0+: `attempt_graded`).
    AttemptGraded(i64),
}

/// The plugin's component name.
const PLUGIN: &str = "local_bridge";

impl State {
    /// Records the events of a change in `local_bridge`'s outbox, as its observers do.
    pub fn emit(&mut self, change: Change) {
        if !self.plugins.installed.bridge || self.plugins.get_config(PLUGIN, "recordevents") == "0"
        {
            return;
        }
        for row in self.rows_of(change) {
            self.plugins.outbox.publish(row, now());
        }
    }

    fn rows_of(&mut self, change: Change) -> Vec<EventRow> {
        let actor = self.plugins.outbox.request.userid;
        match change {
            Change::CourseCreated(id) => {
                self.course_row("\\core\\event\\course_created", id, actor)
            }
            Change::CourseUpdated(id) => {
                self.course_row("\\core\\event\\course_updated", id, actor)
            }
            Change::CourseDeleting(id) => {
                let mut rows = Vec::new();
                let enrolments: Vec<(i64, i64)> = self
                    .user_enrolments
                    .values()
                    .filter(|ue| {
                        self.enrol_instances
                            .get(&ue.enrolid)
                            .is_some_and(|e| e.courseid == id)
                    })
                    .map(|ue| (ue.enrolid, ue.userid))
                    .collect();
                for (enrolid, userid) in enrolments {
                    rows.extend(self.rows_of(Change::Unenrolling { enrolid, userid }));
                }
                rows.extend(self.course_row("\\core\\event\\course_deleted", id, actor));
                rows
            }
            Change::ModuleCreated(cmid) => {
                self.module_row("\\core\\event\\course_module_created", cmid, actor)
            }
            Change::ModuleUpdated(cmid) => {
                self.module_row("\\core\\event\\course_module_updated", cmid, actor)
            }
            Change::ModuleDeleting(cmid) => {
                self.module_row("\\core\\event\\course_module_deleted", cmid, actor)
            }
            Change::Enrolled {
                enrolid,
                userid,
                before,
            } => self.enrolment_row(enrolid, userid, before.as_ref(), actor),
            Change::Unenrolling { enrolid, userid } => {
                self.unenrolment_rows(enrolid, userid, actor)
            }
            Change::RoleAssigned {
                roleid,
                contextid,
                userid,
            } => self.role_row(
                "\\core\\event\\role_assigned",
                roleid,
                contextid,
                userid,
                actor,
            ),
            Change::RoleUnassigned {
                roleid,
                contextid,
                userid,
            } => self.role_row(
                "\\core\\event\\role_unassigned",
                roleid,
                contextid,
                userid,
                actor,
            ),
            Change::UserCreated(id) => self.user_row("\\core\\event\\user_created", id, actor),
            Change::UserUpdated(id) => self.user_row("\\core\\event\\user_updated", id, actor),
            Change::UserDeleted(id) => self.user_row("\\core\\event\\user_deleted", id, actor),
            Change::Submitted {
                submissionid,
                editable,
            } => self.submission_row(submissionid, editable, actor),
            Change::Graded {
                item,
                userid,
                old,
                new,
            } => self.grade_rows(item, userid, old, new, actor),
            Change::AttemptSubmitting(id) if moodle_5(self) => {
                self.attempt_row("\\mod_quiz\\event\\attempt_submitted", id, actor)
            }
            Change::AttemptSubmitting(_) => Vec::new(),
            Change::AttemptGraded(id) => {
                let name = if moodle_5(self) {
                    "\\mod_quiz\\event\\attempt_graded"
                } else {
                    "\\mod_quiz\\event\\attempt_submitted"
                };
                self.attempt_row(name, id, actor)
            }
        }
    }

    fn course_row(&self, event: &'static str, id: i64, actor: i64) -> Vec<EventRow> {
        let Some(course) = self.courses.get(&id) else {
            return Vec::new();
        };
        let other = json!({"fullname": course.fullname, "shortname": course.shortname});
        let ctx = self.context_id(ContextLevel::Course, id).unwrap_or(0);
        vec![row(
            event,
            id,
            (id, ctx, ContextLevel::Course, id),
            actor,
            0,
            other,
        )]
    }

    fn module_row(&self, event: &'static str, cmid: i64, actor: i64) -> Vec<EventRow> {
        let Some(cm) = self.cms.get(&cmid) else {
            return Vec::new();
        };
        let mut other =
            json!({"modulename": cm.modname, "instanceid": cm.instance, "name": cm.name});
        if event == "\\core\\event\\course_module_deleted"
            && let Some(o) = other.as_object_mut()
        {
            o.remove("name");
        }
        let ctx = self.context_id(ContextLevel::Module, cmid).unwrap_or(0);
        let at = (cm.course, ctx, ContextLevel::Module, cmid);
        vec![row(event, cmid, at, actor, 0, other)]
    }

    fn enrolment_row(
        &self,
        enrolid: i64,
        userid: i64,
        before: Option<&UserEnrolment>,
        actor: i64,
    ) -> Vec<EventRow> {
        let Some(ue) = self
            .user_enrolments
            .values()
            .find(|ue| ue.enrolid == enrolid && ue.userid == userid)
        else {
            return Vec::new();
        };
        let event = match before {
            None => "\\core\\event\\user_enrolment_created",
            Some(b)
                if (b.status, b.timestart, b.timeend) != (ue.status, ue.timestart, ue.timeend) =>
            {
                "\\core\\event\\user_enrolment_updated"
            }
            Some(_) => return Vec::new(),
        };
        self.enrolment_event(event, ue.id, enrolid, userid, actor)
    }

    fn enrolment_event(
        &self,
        event: &'static str,
        ueid: i64,
        enrolid: i64,
        userid: i64,
        actor: i64,
    ) -> Vec<EventRow> {
        let Some(instance) = self.enrol_instances.get(&enrolid) else {
            return Vec::new();
        };
        let course = instance.courseid;
        let ctx = self.context_id(ContextLevel::Course, course).unwrap_or(0);
        let other = json!({"enrol": instance.enrol});
        let at = (course, ctx, ContextLevel::Course, course);
        vec![row(event, ueid, at, actor, userid, other)]
    }

    fn unenrolment_rows(&mut self, enrolid: i64, userid: i64, actor: i64) -> Vec<EventRow> {
        let Some(ueid) = self
            .user_enrolments
            .values()
            .find(|ue| ue.enrolid == enrolid && ue.userid == userid)
            .map(|ue| ue.id)
        else {
            return Vec::new();
        };
        let Some(course) = self.enrol_instances.get(&enrolid).map(|e| e.courseid) else {
            return Vec::new();
        };
        let mut rows = Vec::new();
        // With the last enrolment in the course, role_unassign_all() in the course context.
        let last = !self.user_enrolments.values().any(|other| {
            other.id != ueid
                && other.userid == userid
                && self
                    .enrol_instances
                    .get(&other.enrolid)
                    .is_some_and(|e| e.courseid == course)
        });
        if let Some(ctx) = self
            .context_id(ContextLevel::Course, course)
            .filter(|_| last)
        {
            let roles: Vec<i64> = self
                .role_assignments
                .iter()
                .filter(|ra| ra.contextid == ctx && ra.userid == userid)
                .map(|ra| ra.roleid)
                .collect();
            for roleid in roles {
                rows.extend(self.role_row(
                    "\\core\\event\\role_unassigned",
                    roleid,
                    ctx,
                    userid,
                    actor,
                ));
            }
        }
        rows.extend(self.enrolment_event(
            "\\core\\event\\user_enrolment_deleted",
            ueid,
            enrolid,
            userid,
            actor,
        ));
        rows
    }

    fn role_row(
        &mut self,
        event: &'static str,
        roleid: i64,
        contextid: i64,
        userid: i64,
        actor: i64,
    ) -> Vec<EventRow> {
        let Some(ctx) = self.contexts.get(&contextid) else {
            return Vec::new();
        };
        let courseid = match ctx.level {
            ContextLevel::Course => ctx.instanceid,
            ContextLevel::Module => self.cms.get(&ctx.instanceid).map_or(0, |cm| cm.course),
            _ => 0,
        };
        let (level, instanceid) = (ctx.level, ctx.instanceid);
        let shortname = self.roles.get(&roleid).map(|r| r.shortname.clone());
        // The stand-in keeps no role_assignments.id: the event takes one from its sequence.
        let raid = self.seq.next("role_assignments");
        let other = json!({"id": raid, "component": "", "itemid": 0,
            "roleshortname": shortname.unwrap_or_default()});
        let at = (courseid, contextid, level, instanceid);
        vec![row(event, roleid, at, actor, userid, other)]
    }

    fn user_row(&self, event: &'static str, userid: i64, actor: i64) -> Vec<EventRow> {
        let ctx = self.context_id(ContextLevel::User, userid).unwrap_or(0);
        let at = (0, ctx, ContextLevel::User, userid);
        vec![row(event, userid, at, actor, userid, json!({}))]
    }

    fn submission_row(&self, submissionid: i64, editable: bool, actor: i64) -> Vec<EventRow> {
        let Some(sub) = self.submissions.get(&submissionid) else {
            return Vec::new();
        };
        let Some(cm) = self
            .cms
            .values()
            .find(|cm| cm.modname == "assign" && cm.instance == sub.assignment)
        else {
            return Vec::new();
        };
        let ctx = self.context_id(ContextLevel::Module, cm.id).unwrap_or(0);
        // Moodle names the learner only when someone else submits; the outbox always does.
        let owner = if sub.userid != 0 { sub.userid } else { actor };
        let at = (cm.course, ctx, ContextLevel::Module, cm.id);
        let other = json!({"submission_editable": editable});
        vec![row(
            "\\mod_assign\\event\\assessable_submitted",
            submissionid,
            at,
            actor,
            owner,
            other,
        )]
    }

    fn attempt_row(&self, event: &'static str, attemptid: i64, actor: i64) -> Vec<EventRow> {
        let Some(attempt) = self.quiz.attempts.get(&attemptid) else {
            return Vec::new();
        };
        let Some((cm, _)) = self.quiz(attempt.quiz) else {
            return Vec::new();
        };
        let ctx = self.context_id(ContextLevel::Module, cm.id).unwrap_or(0);
        let at = (cm.course, ctx, ContextLevel::Module, cm.id);
        let other = json!({"quizid": attempt.quiz});
        vec![row(event, attemptid, at, actor, attempt.userid, other)]
    }
}
