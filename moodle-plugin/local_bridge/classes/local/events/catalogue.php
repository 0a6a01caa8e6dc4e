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
 * The events the outbox records, who may read each kind (see access), and the part of each
 * event's `other` data that goes out: names and ids a receiver needs, never e-mail addresses or
 * usernames (user_deleted carries both in Moodle).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class catalogue {
    /** @var string[] event class => access rule (access::visible()) */
    public const EVENTS = [
        '\core\event\course_created' => 'course',
        '\core\event\course_updated' => 'course',
        '\core\event\course_deleted' => 'coursedeleted',
        '\core\event\course_module_created' => 'module',
        '\core\event\course_module_updated' => 'module',
        '\core\event\course_module_deleted' => 'moduledeleted',
        '\core\event\user_enrolment_created' => 'enrolment',
        '\core\event\user_enrolment_updated' => 'enrolment',
        '\core\event\user_enrolment_deleted' => 'enrolment',
        '\core\event\role_assigned' => 'role',
        '\core\event\role_unassigned' => 'role',
        '\core\event\user_created' => 'user',
        '\core\event\user_updated' => 'user',
        '\core\event\user_deleted' => 'user',
        '\mod_assign\event\assessable_submitted' => 'submission',
        '\core\event\user_graded' => 'grade',
        '\mod_quiz\event\attempt_submitted' => 'quizattempt',
        // Moodle 5.0+ only (MDL-68806): the attempt is graded after attempt_submitted.
        '\mod_quiz\event\attempt_graded' => 'quizattempt',
    ];

    /**
     * The outbox row of an event (without origin and times).
     *
     * @param \core\event\base $event
     * @return array|null the row's fields, null for an event not in the catalogue
     */
    public static function row(\core\event\base $event): ?array {
        $name = $event->eventname;
        if (!isset(self::EVENTS[$name])) {
            return null;
        }
        $relateduserid = (int) $event->relateduserid;
        if ($name === '\mod_assign\event\assessable_submitted' && $relateduserid === 0) {
            // Moodle names the learner only when someone else submits for them.
            $relateduserid = (int) $event->userid;
        }
        return [
            'eventname' => $name,
            'objectid' => (int) $event->objectid,
            'courseid' => (int) $event->courseid,
            'contextid' => (int) $event->contextid,
            'contextlevel' => (int) $event->contextlevel,
            'contextinstanceid' => (int) $event->contextinstanceid,
            'userid' => (int) $event->userid,
            'relateduserid' => $relateduserid,
            'other' => json_encode((object) self::other($event), JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR)
                ?: '{}',
            'timecreated' => (int) $event->timecreated,
        ];
    }

    /**
     * The part of `other` a receiver gets.
     *
     * @param \core\event\base $event
     * @return array
     */
    private static function other(\core\event\base $event): array {
        global $DB;
        $other = (array) $event->other;
        $pick = function (array $keys) use ($other): array {
            $out = [];
            foreach ($keys as $key => $type) {
                $value = $other[$key] ?? null;
                $out[$key] = $value === null ? null : ($type === 'int' ? (int) $value : ($type === 'bool'
                    ? (bool) $value : (string) $value));
            }
            return $out;
        };
        switch ($event->eventname) {
            case '\core\event\course_created':
            case '\core\event\course_updated':
            case '\core\event\course_deleted':
                return $pick(['fullname' => 'string', 'shortname' => 'string']);
            case '\core\event\course_module_created':
            case '\core\event\course_module_updated':
                return $pick(['modulename' => 'string', 'instanceid' => 'int', 'name' => 'string']);
            case '\core\event\course_module_deleted':
                return $pick(['modulename' => 'string', 'instanceid' => 'int']);
            case '\core\event\user_enrolment_created':
            case '\core\event\user_enrolment_updated':
            case '\core\event\user_enrolment_deleted':
                return $pick(['enrol' => 'string']);
            case '\core\event\role_assigned':
            case '\core\event\role_unassigned':
                $out = $pick(['id' => 'int', 'component' => 'string', 'itemid' => 'int']);
                $out['roleshortname'] = (string) $DB->get_field('role', 'shortname', ['id' => $event->objectid]);
                return $out;
            case '\mod_assign\event\assessable_submitted':
                return $pick(['submission_editable' => 'bool']);
            case '\core\event\user_graded':
                $out = $pick(['itemid' => 'int']);
                $finalgrade = $other['finalgrade'] ?? null;
                $item = $DB->get_record('grade_items', ['id' => $out['itemid']], 'itemtype, itemmodule, iteminstance');
                $out['itemtype'] = $item ? (string) $item->itemtype : '';
                $out['itemmodule'] = $item ? (string) ($item->itemmodule ?? '') : '';
                $out['iteminstance'] = $item ? (int) $item->iteminstance : 0;
                $out['finalgrade'] = $finalgrade === null ? null : (float) $finalgrade;
                return $out;
            case '\mod_quiz\event\attempt_submitted':
            case '\mod_quiz\event\attempt_graded':
                return $pick(['quizid' => 'int']);
            default:
                return [];
        }
    }
}
