//! What `mod/assign/locallib.php`'s `assign` class does to its tables: submissions, grades
//! and user flags made on first use, grades checked against the maximum, submissions opened
//! and closed by dates, locks and drafts. The web-service functions (`ws/assign/`) add the
//! checks of their external API around these.

use super::{State, Submission, SubmissionGrade, UserFlags};
use crate::errors::WsError;

/// `ASSIGN_SUBMISSION_STATUS_*`.
pub const STATUS_NEW: &str = "new";
/// A saved draft.
pub const STATUS_DRAFT: &str = "draft";
/// Submitted for grading.
pub const STATUS_SUBMITTED: &str = "submitted";

impl State {
    /// `get_user_submission($userid, $create)`: the latest attempt of a user, made (status
    /// `new`, attempt 0) when asked to.
    pub fn assign_user_submission(
        &mut self,
        assignment: i64,
        userid: i64,
        create: bool,
        now: i64,
    ) -> Option<i64> {
        let found = self
            .submissions
            .values()
            .filter(|s| s.assignment == assignment && s.userid == userid)
            .max_by_key(|s| s.attemptnumber)
            .map(|s| s.id);
        if found.is_some() || !create {
            return found;
        }
        let id = self.seq.next("assign_submission");
        self.submissions.insert(
            id,
            Submission {
                id,
                assignment,
                userid,
                attemptnumber: 0,
                timecreated: now,
                timemodified: now,
                status: STATUS_NEW.to_owned(),
                onlinetext: None,
            },
        );
        Some(id)
    }

    /// `get_user_grade($userid, $create)`: the grade of the latest attempt, made (grade -1,
    /// grader -1) when asked to; making it also makes the submission.
    pub fn assign_user_grade(
        &mut self,
        assignment: i64,
        userid: i64,
        create: bool,
        now: i64,
    ) -> Option<i64> {
        let submission = if create {
            self.assign_user_submission(assignment, userid, true, now)
        } else {
            self.assign_user_submission(assignment, userid, false, now)
        };
        let attempt = submission
            .and_then(|id| self.submissions.get(&id))
            .map(|s| s.attemptnumber);
        let found = self
            .grades
            .values()
            .filter(|g| g.assignment == assignment && g.userid == userid)
            .filter(|g| attempt.is_none_or(|a| g.attemptnumber == a))
            .max_by_key(|g| g.attemptnumber)
            .map(|g| g.id);
        if found.is_some() || !create {
            return found;
        }
        let timemodified = submission
            .and_then(|id| self.submissions.get(&id))
            .map_or(now, |s| s.timemodified);
        let id = self.seq.next("assign_grades");
        self.grades.insert(
            id,
            SubmissionGrade {
                id,
                assignment,
                userid,
                attemptnumber: attempt.unwrap_or(0),
                timecreated: now,
                timemodified,
                grader: -1,
                grade: -1.0,
                feedback: None,
            },
        );
        Some(id)
    }

    /// `get_user_flags($userid, $create)`: made unlocked, `mailed` 2, when asked to.
    pub fn assign_user_flags(&mut self, assignment: i64, userid: i64, create: bool) -> Option<i64> {
        let found = self
            .user_flags
            .values()
            .find(|f| f.assignment == assignment && f.userid == userid)
            .map(|f| f.id);
        if found.is_some() || !create {
            return found;
        }
        let id = self.seq.next("assign_user_flags");
        self.user_flags.insert(
            id,
            UserFlags {
                id,
                assignment,
                userid,
                locked: 0,
                mailed: 2,
                extensionduedate: 0,
                workflowstate: String::new(),
                allocatedmarker: 0,
            },
        );
        Some(id)
    }

    /// `update_grade($grade)`: refused (false) for a grade above the maximum or below 0;
    /// otherwise written with the time.
    pub fn assign_update_grade(&mut self, grade: SubmissionGrade, max: i64, now: i64) -> bool {
        if grade.grade != 0.0 && grade.grade != -1.0 && max > 0 {
            #[allow(clippy::cast_precision_loss)]
            let max = max as f64;
            if grade.grade > max || grade.grade < 0.0 {
                return false;
            }
        }
        let mut grade = grade;
        grade.timemodified = now;
        let (old, new) = (self.grades.get(&grade.id).map(|g| g.grade), grade.grade);
        let (item, userid) = (
            crate::plugins::GradeItemRef::Assign(grade.assignment),
            grade.userid,
        );
        self.grades.insert(grade.id, grade);
        self.emit(crate::plugins::Change::Graded {
            item,
            userid,
            old: old.filter(|g| *g >= 0.0),
            new: Some(new).filter(|g| *g >= 0.0),
        });
        true
    }

    /// `notify_grade_modified($grade, true)`: the user's flags say a notice is due.
    pub fn assign_notify_grade_modified(&mut self, assignment: i64, userid: i64) {
        if let Some(id) = self.assign_user_flags(assignment, userid, true)
            && let Some(f) = self.user_flags.get_mut(&id)
        {
            f.mailed = 0;
        }
    }

    /// `submissions_open($userid)`: not locked, inside the dates (an extension moves the
    /// cut-off), enrolled, and not already submitted when drafts are required.
    pub fn assign_submissions_open(
        &self,
        assignment: i64,
        course: i64,
        userid: i64,
        dates: AssignDates,
        now: i64,
    ) -> bool {
        let flags = self
            .user_flags
            .values()
            .find(|f| f.assignment == assignment && f.userid == userid);
        if flags.is_some_and(|f| f.locked != 0) {
            return false;
        }
        let mut finaldate = dates.cutoffdate;
        if finaldate != 0
            && let Some(ext) = flags.map(|f| f.extensionduedate).filter(|e| *e > finaldate)
        {
            finaldate = ext;
        }
        let open = dates.allowsubmissionsfromdate <= now && (finaldate == 0 || now <= finaldate);
        if !open || !self.is_enrolled(userid, course, now) {
            return false;
        }
        let submission = self
            .submissions
            .values()
            .filter(|s| s.assignment == assignment && s.userid == userid)
            .max_by_key(|s| s.attemptnumber);
        !(dates.submissiondrafts && submission.is_some_and(|s| s.status == STATUS_SUBMITTED))
    }

    /// `$DB->get_record('user', ['id' => $userid], '*', MUST_EXIST)`.
    ///
    /// # Errors
    /// `invaliduser`, the code Moodle gives a missing user record (`invalidrecordunknown` on
    /// 5.0 without debugging: `Site::missing_record`).
    pub fn must_exist_user(&self, userid: i64) -> Result<(), WsError> {
        if self.users.contains_key(&userid) {
            Ok(())
        } else {
            Err(self.site.missing_record_by_id("user", userid))
        }
    }
}

/// The dates and settings `submissions_open()` reads from the instance.
#[derive(Debug, Clone, Copy)]
pub struct AssignDates {
    /// Allow submissions from.
    pub allowsubmissionsfromdate: i64,
    /// Cut-off date (0: none).
    pub cutoffdate: i64,
    /// Students must press submit.
    pub submissiondrafts: bool,
}
