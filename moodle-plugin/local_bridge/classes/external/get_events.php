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

namespace local_bridge\external;

use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;
use core_external\external_warnings;
use local_bridge\local\events\access;
use local_bridge\local\events\origin;
use local_bridge\local\events\outbox;

/**
 * `local_bridge_get_events`: the outbox's events after a cursor, in order, those the token's user
 * may see, with the cursor to ask from next.
 *
 * @package    local_bridge
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class get_events extends external_api {
    /** @var int the most events one call returns */
    public const MAX_LIMIT = 500;
    /** @var int the most outbox rows one call reads (visible or not) */
    public const SCAN = 1000;

    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'afterid' => new external_value(PARAM_INT, 'Return events with an id above this one (the cursor)', VALUE_DEFAULT, 0),
            'limit' => new external_value(PARAM_INT, 'At most this many events (1-' . self::MAX_LIMIT . ')', VALUE_DEFAULT, 100),
        ]);
    }

    /**
     * Reads the events.
     *
     * @param int $afterid the cursor
     * @param int $limit at most this many events
     * @return array events, the next cursor, whether more are waiting, the newest id, warnings
     */
    public static function execute(int $afterid = 0, int $limit = 100): array {
        global $USER;
        ['afterid' => $afterid, 'limit' => $limit] = self::validate_parameters(self::execute_parameters(), [
            'afterid' => $afterid,
            'limit' => $limit,
        ]);
        self::validate_context(\context_system::instance());
        if ($afterid < 0) {
            throw new \invalid_parameter_exception('afterid: must be 0 or more');
        }
        if ($limit < 1 || $limit > self::MAX_LIMIT) {
            throw new \invalid_parameter_exception('limit: must be between 1 and ' . self::MAX_LIMIT);
        }

        $access = new access((int) $USER->id);
        $callertoken = origin::caller_tokenid();
        [$rows, $held] = outbox::settled_after($afterid, self::SCAN, time());
        $events = [];
        $lastid = $afterid;
        $more = false;
        foreach ($rows as $row) {
            if (count($events) >= $limit) {
                $more = true;
                break;
            }
            $lastid = (int) $row->id;
            if ($access->visible($row)) {
                $events[] = self::export($row, $callertoken);
            }
        }
        if (!$more && !$held && count($rows) === self::SCAN) {
            $more = true;
        }
        $warnings = [];
        $purged = outbox::purged_through();
        if ($afterid > 0 && $afterid < $purged) {
            $warnings[] = [
                'item' => 'events',
                'itemid' => $purged,
                'warningcode' => 'eventspurged',
                'message' => get_string('eventspurged', 'local_bridge', $purged),
            ];
        }
        return [
            'events' => $events,
            'lastid' => $lastid,
            'more' => $more,
            'newestid' => outbox::newest_id(),
            'warnings' => $warnings,
        ];
    }

    /**
     * An outbox row as the function returns it.
     *
     * @param \stdClass $row
     * @param int $callertoken id of the token calling, 0 when none
     * @return array
     */
    private static function export(\stdClass $row, int $callertoken): array {
        return [
            'id' => (int) $row->id,
            'eventname' => $row->eventname,
            'objectid' => (int) $row->objectid,
            'courseid' => (int) $row->courseid,
            'contextid' => (int) $row->contextid,
            'contextlevel' => (int) $row->contextlevel,
            'contextinstanceid' => (int) $row->contextinstanceid,
            'userid' => (int) $row->userid,
            'relateduserid' => (int) $row->relateduserid,
            'timecreated' => (int) $row->timecreated,
            'origin' => $row->origin,
            'service' => (string) $row->service,
            'viacallertoken' => (int) $row->tokenid !== 0 && (int) $row->tokenid === $callertoken,
            'other' => (string) $row->other,
        ];
    }

    /**
     * Result.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'events' => new external_multiple_structure(new external_single_structure([
                'id' => new external_value(PARAM_INT, 'Event id, increasing: the cursor'),
                'eventname' => new external_value(PARAM_RAW, 'Moodle event class, e.g. \core\event\course_created'),
                'objectid' => new external_value(PARAM_INT, 'Id of the object in its table (0 when none)'),
                'courseid' => new external_value(PARAM_INT, 'Course id (0 above course level)'),
                'contextid' => new external_value(PARAM_INT, 'Context id (the context may be gone)'),
                'contextlevel' => new external_value(PARAM_INT, 'Context level: 10 system, 30 user, 40 category, 50 course, 70 module'),
                'contextinstanceid' => new external_value(PARAM_INT, 'Id of the context\'s object (course, course module, user...)'),
                'userid' => new external_value(PARAM_INT, 'The user who acted (0 none, -1 the system)'),
                'relateduserid' => new external_value(PARAM_INT, 'The user it concerns (0 when none)'),
                'timecreated' => new external_value(PARAM_INT, 'When it happened'),
                'origin' => new external_value(PARAM_ALPHA, 'ws, web, cli or restore'),
                'service' => new external_value(PARAM_RAW, 'Short name of the web service the change came through ("" when none)'),
                'viacallertoken' => new external_value(PARAM_BOOL, 'The change came through the token making this call'),
                'other' => new external_value(PARAM_RAW, 'JSON object: the event\'s data (see the README)'),
            ]), 'Events after the cursor the caller may see, in id order'),
            'lastid' => new external_value(PARAM_INT, 'The cursor to ask from next (the last id read, visible or not)'),
            'more' => new external_value(PARAM_BOOL, 'More events are waiting after lastid: ask again now'),
            'newestid' => new external_value(PARAM_INT, 'The highest id recorded so far'),
            'warnings' => new external_warnings(),
        ]);
    }
}
