//! Changes an administrator makes outside web services (an admin page, a command-line script),
//! which the stand-in has no web-service function for, with the events Moodle records for them:
//! renaming a course (`update_course()`), unenrolling a user and changing an enrolment's status
//! (`enrol_plugin::unenrol_user()`, `update_user_enrol()`), unassigning a role
//! (`role_unassign()`), updating and deleting a user (`user_update_user()`, `delete_user()`).
//! The checks' fixture `cli-changes` and tests reach them through `POST /__sim/plugins/changes`
//! or [`State::admin_change`].

use serde::Deserialize;

use super::emit::Change;
use crate::state::{ContextLevel, State};

/// One change.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AdminChange {
    /// `update_course()` with a new full name.
    RenameCourse {
        /// Course.
        courseid: i64,
        /// New full name.
        fullname: String,
    },
    /// `unenrol_user()` from the course's manual enrolment.
    Unenrol {
        /// Course.
        courseid: i64,
        /// User.
        userid: i64,
    },
    /// `update_user_enrol()` on the course's manual enrolment.
    SuspendEnrolment {
        /// Course.
        courseid: i64,
        /// User.
        userid: i64,
        /// Suspended or active.
        suspended: bool,
    },
    /// `role_unassign()`.
    UnassignRole {
        /// Role.
        roleid: i64,
        /// Context of the assignment.
        contextid: i64,
        /// User.
        userid: i64,
    },
    /// `user_update_user()` with new names.
    UpdateUser {
        /// User.
        userid: i64,
        /// New first name.
        firstname: Option<String>,
        /// New last name.
        lastname: Option<String>,
    },
    /// `delete_user()`: unenrolled everywhere, roles unassigned, marked deleted.
    DeleteUser {
        /// User.
        userid: i64,
    },
}

impl State {
    /// Applies a change with its events, as the acting user and origin of the request.
    ///
    /// # Errors
    /// A short reason when what it names does not exist.
    pub fn admin_change(&mut self, change: &AdminChange) -> Result<(), String> {
        match change {
            AdminChange::RenameCourse { courseid, fullname } => {
                let course = self
                    .courses
                    .get_mut(courseid)
                    .ok_or_else(|| format!("no course {courseid}"))?;
                course.fullname.clone_from(fullname);
                self.emit(Change::CourseUpdated(*courseid));
            }
            AdminChange::Unenrol { courseid, userid } => {
                let enrolid = self.manual_enrolment(*courseid, *userid)?;
                self.unenrol(enrolid, *userid);
            }
            AdminChange::SuspendEnrolment {
                courseid,
                userid,
                suspended,
            } => {
                let enrolid = self.manual_enrolment(*courseid, *userid)?;
                let before = self
                    .user_enrolments
                    .values()
                    .find(|ue| ue.enrolid == enrolid && ue.userid == *userid)
                    .cloned();
                if let Some(ue) = self
                    .user_enrolments
                    .values_mut()
                    .find(|ue| ue.enrolid == enrolid && ue.userid == *userid)
                {
                    ue.status = i64::from(*suspended);
                }
                let userid = *userid;
                self.emit(Change::Enrolled {
                    enrolid,
                    userid,
                    before,
                });
            }
            AdminChange::UnassignRole {
                roleid,
                contextid,
                userid,
            } => {
                let before = self.role_assignments.len();
                self.role_assignments.retain(|ra| {
                    !(ra.roleid == *roleid && ra.contextid == *contextid && ra.userid == *userid)
                });
                if self.role_assignments.len() == before {
                    return Err(format!(
                        "user {userid} has no role {roleid} in context {contextid}"
                    ));
                }
                let (roleid, contextid, userid) = (*roleid, *contextid, *userid);
                self.emit(Change::RoleUnassigned {
                    roleid,
                    contextid,
                    userid,
                });
            }
            AdminChange::UpdateUser {
                userid,
                firstname,
                lastname,
            } => {
                let user = self
                    .users
                    .get_mut(userid)
                    .filter(|u| !u.deleted)
                    .ok_or_else(|| format!("no user {userid}"))?;
                if let Some(f) = firstname {
                    user.firstname.clone_from(f);
                }
                if let Some(l) = lastname {
                    user.lastname.clone_from(l);
                }
                self.emit(Change::UserUpdated(*userid));
            }
            AdminChange::DeleteUser { userid } => self.delete_user(*userid)?,
        }
        Ok(())
    }

    /// The manual enrolment instance of a course where the user is enrolled.
    fn manual_enrolment(&self, courseid: i64, userid: i64) -> Result<i64, String> {
        let enrolid = self
            .manual_instance(courseid)
            .ok_or_else(|| format!("course {courseid} has no manual enrolment"))?;
        if self
            .user_enrolments
            .values()
            .any(|ue| ue.enrolid == enrolid && ue.userid == userid)
        {
            Ok(enrolid)
        } else {
            Err(format!(
                "user {userid} is not enrolled in course {courseid}"
            ))
        }
    }

    /// `unenrol_user()`: the events, then the enrolment and (with the last one) the roles go.
    fn unenrol(&mut self, enrolid: i64, userid: i64) {
        self.emit(Change::Unenrolling { enrolid, userid });
        let course = self.enrol_instances.get(&enrolid).map(|e| e.courseid);
        self.user_enrolments
            .retain(|_, ue| !(ue.enrolid == enrolid && ue.userid == userid));
        let still = course.is_some_and(|c| self.has_enrolment(userid, c));
        if let Some(ctx) = course
            .and_then(|c| self.context_id(ContextLevel::Course, c))
            .filter(|_| !still)
        {
            self.role_assignments
                .retain(|ra| !(ra.contextid == ctx && ra.userid == userid));
        }
    }

    /// `delete_user()`.
    fn delete_user(&mut self, userid: i64) -> Result<(), String> {
        if self.live_user(userid).is_none() {
            return Err(format!("no user {userid}"));
        }
        let enrolments: Vec<i64> = self
            .user_enrolments
            .values()
            .filter(|ue| ue.userid == userid)
            .map(|ue| ue.enrolid)
            .collect();
        for enrolid in enrolments {
            self.unenrol(enrolid, userid);
        }
        let roles: Vec<(i64, i64)> = self
            .role_assignments
            .iter()
            .filter(|ra| ra.userid == userid)
            .map(|ra| (ra.roleid, ra.contextid))
            .collect();
        for (roleid, contextid) in roles {
            self.emit(Change::RoleUnassigned {
                roleid,
                contextid,
                userid,
            });
        }
        self.role_assignments.retain(|ra| ra.userid != userid);
        self.tokens.retain(|_, t| t.userid != userid);
        if let Some(user) = self.users.get_mut(&userid) {
            user.deleted = true;
        }
        self.emit(Change::UserDeleted(userid));
        Ok(())
    }
}
