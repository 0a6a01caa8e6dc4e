<?php
// This file is part of Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.

namespace local_bridge\local\events;

/**
 * Which outbox events a user may read (README, "Who sees which event"). Capabilities are checked
 * now, at reading time, against the objects as they are now; an object deleted since leaves the
 * capability of its course (or the system context when the course is gone too).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class access {
    /** @var array rule => [capability, checked in the event's context (else the course's), own events visible] */
    private const RULES = [
        'moduledeleted' => ['moodle/course:manageactivities', false, false],
        'enrolment' => ['moodle/course:enrolreview', false, true],
        'role' => ['moodle/role:review', true, true],
        'submission' => ['mod/assign:grade', true, true],
        'grade' => ['moodle/grade:viewall', false, false],
        'quizattempt' => ['mod/quiz:viewreports', true, true],
    ];

    /** @var int the reader */
    private $userid;

    /** @var array course id => whether the reader sees it (null: no such course) */
    private $courses = [];

    /** @var array capability => whether the reader holds it in the system context */
    private $system = [];

    /**
     * A reader.
     *
     * @param int $userid the token's user
     */
    public function __construct(int $userid) {
        $this->userid = $userid;
    }

    /**
     * Whether the reader may see an outbox row.
     *
     * @param \stdClass $row a local_bridge_events row
     * @return bool
     */
    public function visible(\stdClass $row): bool {
        $rule = catalogue::EVENTS[$row->eventname] ?? null;
        $own = (int) $row->relateduserid !== 0 && (int) $row->relateduserid === $this->userid;
        if ($rule === null) {
            return false;
        }
        if ($rule === 'user') {
            return $own || $this->system('moodle/user:viewalldetails');
        }
        if ($rule === 'coursedeleted') {
            return $this->system('moodle/course:view');
        }
        [$capability, $incontext, $ownvisible] = self::RULES[$rule] ?? [null, false, false];
        if ($ownvisible && $own) {
            return true;
        }
        $courseid = (int) $row->courseid;
        if ($courseid === 0) {
            // Only role assignments happen outside courses (system, category, user contexts).
            return $capability !== null && $this->system($capability);
        }
        $sees = $this->sees_course($courseid);
        if ($sees === null) {
            return $this->system('moodle/course:view');
        }
        if (!$sees) {
            return false;
        }
        $coursecontext = \context_course::instance($courseid);
        if ($rule === 'course') {
            return true;
        }
        if ($rule === 'module') {
            return has_capability('moodle/course:manageactivities', $coursecontext, $this->userid)
                || $this->module_visible((int) $row->contextinstanceid);
        }
        $context = $incontext ? (\context::instance_by_id((int) $row->contextid, IGNORE_MISSING) ?: $coursecontext)
            : $coursecontext;
        return has_capability($capability, $context, $this->userid);
    }

    /**
     * Whether the reader sees a course: the front page, or a course shown to them (or they may see
     * hidden ones) where they hold an active enrolment or moodle/course:view.
     *
     * @param int $courseid
     * @return bool|null null when the course no longer exists
     */
    private function sees_course(int $courseid): ?bool {
        global $DB;
        if (!array_key_exists($courseid, $this->courses)) {
            $course = $DB->get_record('course', ['id' => $courseid], 'id, visible');
            if (!$course) {
                $this->courses[$courseid] = null;
            } else if ($courseid === (int) SITEID) {
                $this->courses[$courseid] = true;
            } else {
                $context = \context_course::instance($courseid);
                $this->courses[$courseid] = ($course->visible
                        || has_capability('moodle/course:viewhiddencourses', $context, $this->userid))
                    && (has_capability('moodle/course:view', $context, $this->userid)
                        || is_enrolled($context, $this->userid, '', true));
            }
        }
        return $this->courses[$courseid];
    }

    /**
     * Whether an activity exists and is shown to the reader (or they may see hidden activities).
     *
     * @param int $cmid course module id
     * @return bool
     */
    private function module_visible(int $cmid): bool {
        global $DB;
        $visible = $DB->get_field('course_modules', 'visible', ['id' => $cmid]);
        if ($visible === false) {
            return false;
        }
        return (bool) $visible
            || has_capability('moodle/course:viewhiddenactivities', \context_module::instance($cmid), $this->userid);
    }

    /**
     * Whether the reader holds a capability in the system context.
     *
     * @param string $capability
     * @return bool
     */
    private function system(string $capability): bool {
        if (!isset($this->system[$capability])) {
            $this->system[$capability] = has_capability($capability, \context_system::instance(), $this->userid);
        }
        return $this->system[$capability];
    }
}
