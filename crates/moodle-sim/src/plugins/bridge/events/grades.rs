//! The gradebook as the outbox sees it: the grade item a grade belongs to (`grade_items`: the
//! quiz's and LTI's own, an id taken on first use for assignments and course totals), the
//! `grade_grades` ids, and the course total Moodle recomputes after a grade changes. The
//! stand-in keeps no gradebook of its own, so the total is the natural aggregation of the
//! grades it knows: the sum of the learner's assignment, quiz and LTI grades in the course.

use serde_json::json;

use super::outbox::{EventRow, row};
use crate::state::{ContextLevel, State};

/// The grade item of a grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GradeItemRef {
    /// An assignment's item, by `assign.id`.
    Assign(i64),
    /// A quiz's item, by `quiz.id`.
    Quiz(i64),
    /// An LTI line item (an activity's or a tool's own), by `grade_items.id`.
    Lti(i64),
}

/// A grade item as `user_graded`'s `other` describes it.
struct Item {
    id: i64,
    courseid: i64,
    itemtype: &'static str,
    itemmodule: &'static str,
    iteminstance: i64,
}

/// Grades closer than this are the same (`grade_floats_different()`).
const EPSILON: f64 = 0.000_01;

fn different(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() > EPSILON,
        (None, None) => false,
        _ => true,
    }
}

impl State {
    /// `user_graded` for a changed grade, then for the course total when it changed.
    pub(super) fn grade_rows(
        &mut self,
        item: GradeItemRef,
        userid: i64,
        old: Option<f64>,
        new: Option<f64>,
        actor: i64,
    ) -> Vec<EventRow> {
        if !different(old, new) {
            return Vec::new();
        }
        let Some(item) = self.grade_item(item) else {
            return Vec::new();
        };
        let mut rows = vec![self.graded_row(&item, userid, new, actor)];
        let (total, count) = self.course_total(item.courseid, userid);
        let before_count = count - usize::from(new.is_some()) + usize::from(old.is_some());
        let before = (before_count > 0).then(|| total - new.unwrap_or(0.0) + old.unwrap_or(0.0));
        let after = (count > 0).then_some(total);
        if different(before, after) {
            let key = ("course", "", item.courseid);
            let id = self.item_id(key);
            let course = Item {
                id,
                courseid: item.courseid,
                itemtype: "course",
                itemmodule: "",
                iteminstance: item.courseid,
            };
            // Aggregation runs as the system (base::USER_OTHER).
            rows.push(self.graded_row(&course, userid, after, -1));
        }
        rows
    }

    fn graded_row(&mut self, item: &Item, userid: i64, grade: Option<f64>, actor: i64) -> EventRow {
        let gradeid = match self.plugins.outbox.grade_grades.get(&(item.id, userid)) {
            Some(id) => *id,
            None => {
                let id = self.seq.next("grade_grades");
                self.plugins
                    .outbox
                    .grade_grades
                    .insert((item.id, userid), id);
                id
            }
        };
        let ctx = self
            .context_id(ContextLevel::Course, item.courseid)
            .unwrap_or(0);
        let other = json!({"itemid": item.id, "itemtype": item.itemtype, "itemmodule": item.itemmodule,
            "iteminstance": item.iteminstance, "finalgrade": grade});
        let at = (item.courseid, ctx, ContextLevel::Course, item.courseid);
        row(
            "\\core\\event\\user_graded",
            gradeid,
            at,
            actor,
            userid,
            other,
        )
    }

    fn grade_item(&mut self, item: GradeItemRef) -> Option<Item> {
        match item {
            GradeItemRef::Assign(instance) => {
                let courseid = self
                    .cms
                    .values()
                    .find(|cm| cm.modname == "assign" && cm.instance == instance)?
                    .course;
                let id = self.item_id(("mod", "assign", instance));
                Some(Item {
                    id,
                    courseid,
                    itemtype: "mod",
                    itemmodule: "assign",
                    iteminstance: instance,
                })
            }
            GradeItemRef::Quiz(quizid) => {
                let courseid = self.quiz(quizid)?.0.course;
                let id = self.quiz_grade_item(quizid);
                Some(Item {
                    id,
                    courseid,
                    itemtype: "mod",
                    itemmodule: "quiz",
                    iteminstance: quizid,
                })
            }
            GradeItemRef::Lti(itemid) => {
                let item = self.lti.grade_items.get(&itemid)?;
                let module = item.itemtype == "mod";
                Some(Item {
                    id: item.id,
                    courseid: item.courseid,
                    itemtype: if module { "mod" } else { "manual" },
                    itemmodule: if module { "lti" } else { "" },
                    iteminstance: item.iteminstance.unwrap_or(0),
                })
            }
        }
    }

    /// The id of an item the stand-in keeps no row for, taken on first use.
    fn item_id(&mut self, key: (&'static str, &'static str, i64)) -> i64 {
        if let Some(id) = self.plugins.outbox.grade_items.get(&key) {
            return *id;
        }
        let id = self.seq.next("grade_items");
        self.plugins.outbox.grade_items.insert(key, id);
        id
    }

    /// The learner's grades in a course the stand-in knows: their sum and how many.
    fn course_total(&self, courseid: i64, userid: i64) -> (f64, usize) {
        let mut grades = Vec::new();
        for cm in self.cms.values().filter(|cm| cm.course == courseid) {
            match cm.modname.as_str() {
                "assign" => grades.extend(
                    self.grades
                        .values()
                        .filter(|g| {
                            g.assignment == cm.instance && g.userid == userid && g.grade >= 0.0
                        })
                        .map(|g| g.grade),
                ),
                "quiz" => grades.extend(
                    self.quiz
                        .grades
                        .get(&(cm.instance, userid))
                        .map(|g| g.grade),
                ),
                _ => {}
            }
        }
        for item in self
            .lti
            .grade_items
            .values()
            .filter(|i| i.courseid == courseid)
        {
            grades.extend(
                self.lti
                    .grades
                    .get(&(item.id, userid))
                    .and_then(|g| g.finalgrade),
            );
        }
        (grades.iter().sum(), grades.len())
    }
}
