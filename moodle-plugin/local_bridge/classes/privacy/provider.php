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

namespace local_bridge\privacy;

use core_privacy\local\metadata\collection;
use core_privacy\local\request\approved_contextlist;
use core_privacy\local\request\approved_userlist;
use core_privacy\local\request\contextlist;
use core_privacy\local\request\transform;
use core_privacy\local\request\userlist;
use core_privacy\local\request\writer;

/**
 * Privacy provider: the event outbox (local_bridge_events and its stage) holds the ids of the user
 * who acted and of the user an event concerns, and sends them to applications through
 * local_bridge_get_events. The activities and files the other functions create and list belong
 * to Moodle core and the activity modules.
 *
 * A row belongs to its user(s) in the event's context, or in the user's own context once that
 * context is gone (a deleted course or activity); deleting a user's data deletes every row naming
 * them.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class provider implements
    \core_privacy\local\metadata\provider,
    \core_privacy\local\request\plugin\provider,
    \core_privacy\local\request\core_userlist_provider {

    /** @var string[] the outbox tables */
    private const TABLES = ['local_bridge_events', 'local_bridge_event_stage'];

    /**
     * What the plugin stores and where it sends it.
     *
     * @param collection $collection
     * @return collection
     */
    public static function get_metadata(collection $collection): collection {
        $fields = [
            'userid' => 'privacy:metadata:events:userid',
            'relateduserid' => 'privacy:metadata:events:relateduserid',
            'eventname' => 'privacy:metadata:events:eventname',
            'objectid' => 'privacy:metadata:events:objectid',
            'contextid' => 'privacy:metadata:events:contextid',
            'other' => 'privacy:metadata:events:other',
            'timecreated' => 'privacy:metadata:events:timecreated',
        ];
        $collection->add_database_table('local_bridge_events', $fields, 'privacy:metadata:events');
        $collection->add_database_table('local_bridge_event_stage', $fields, 'privacy:metadata:eventstage');
        $collection->add_external_location_link('local_bridge_get_events', [
            'userid' => 'privacy:metadata:external:userid',
            'relateduserid' => 'privacy:metadata:external:relateduserid',
            'eventname' => 'privacy:metadata:external:eventname',
            'other' => 'privacy:metadata:external:other',
        ], 'privacy:metadata:external');
        return $collection;
    }

    /**
     * The contexts of the events naming a user, and their user context.
     *
     * @param int $userid
     * @return contextlist
     */
    public static function get_contexts_for_userid(int $userid): contextlist {
        $contextlist = new contextlist();
        foreach (self::TABLES as $table) {
            $contextlist->add_from_sql(
                "SELECT ctx.id FROM {context} ctx JOIN {{$table}} e ON e.contextid = ctx.id
                  WHERE e.userid = :u1 OR e.relateduserid = :u2",
                ['u1' => $userid, 'u2' => $userid]
            );
            $contextlist->add_from_sql(
                "SELECT ctx.id FROM {context} ctx
                  WHERE ctx.contextlevel = :level AND ctx.instanceid = :userid
                    AND EXISTS (SELECT 1 FROM {{$table}} e WHERE e.userid = :u1 OR e.relateduserid = :u2)",
                ['level' => CONTEXT_USER, 'userid' => $userid, 'u1' => $userid, 'u2' => $userid]
            );
        }
        return $contextlist;
    }

    /**
     * Exports a user's events, per context.
     *
     * @param approved_contextlist $contextlist
     */
    public static function export_user_data(approved_contextlist $contextlist): void {
        global $DB;
        $userid = (int) $contextlist->get_user()->id;
        foreach ($contextlist->get_contexts() as $context) {
            [$where, $params] = self::user_rows_in($context, $userid, false);
            $events = [];
            foreach (self::TABLES as $table) {
                foreach ($DB->get_records_select($table, $where, $params, 'id') as $row) {
                    $events[] = (object) [
                        'event' => $row->eventname,
                        'objectid' => $row->objectid,
                        'youacted' => transform::yesno((int) $row->userid === $userid),
                        'aboutyou' => transform::yesno((int) $row->relateduserid === $userid),
                        'details' => $row->other,
                        'time' => transform::datetime($row->timecreated),
                    ];
                }
            }
            if ($events) {
                writer::with_context($context)->export_data([get_string('privacy:path:events', 'local_bridge')],
                    (object) ['events' => $events]);
            }
        }
    }

    /**
     * Deletes every event of a context; for a user context, every event naming that user.
     *
     * @param \context $context
     */
    public static function delete_data_for_all_users_in_context(\context $context): void {
        global $DB;
        foreach (self::TABLES as $table) {
            $DB->delete_records($table, ['contextid' => $context->id]);
            if ($context->contextlevel == CONTEXT_USER) {
                $DB->delete_records_select($table, 'userid = ? OR relateduserid = ?',
                    [$context->instanceid, $context->instanceid]);
            }
        }
    }

    /**
     * Deletes a user's events in the approved contexts (all of them for their user context).
     *
     * @param approved_contextlist $contextlist
     */
    public static function delete_data_for_user(approved_contextlist $contextlist): void {
        global $DB;
        $userid = (int) $contextlist->get_user()->id;
        foreach ($contextlist->get_contexts() as $context) {
            [$where, $params] = self::user_rows_in($context, $userid, true);
            foreach (self::TABLES as $table) {
                $DB->delete_records_select($table, $where, $params);
            }
        }
    }

    /**
     * The users named by the events of a context (and a user context's user).
     *
     * @param userlist $userlist
     */
    public static function get_users_in_context(userlist $userlist): void {
        $context = $userlist->get_context();
        foreach (self::TABLES as $table) {
            foreach (['userid', 'relateduserid'] as $field) {
                $userlist->add_from_sql($field, "SELECT {$field} FROM {{$table}} WHERE contextid = :contextid AND {$field} > 0",
                    ['contextid' => $context->id]);
            }
            if ($context->contextlevel == CONTEXT_USER) {
                $userlist->add_from_sql('id',
                    "SELECT u.id FROM {user} u
                      WHERE u.id = :userid
                        AND EXISTS (SELECT 1 FROM {{$table}} e WHERE e.userid = :u1 OR e.relateduserid = :u2)",
                    ['userid' => $context->instanceid, 'u1' => $context->instanceid, 'u2' => $context->instanceid]);
            }
        }
    }

    /**
     * Deletes the events of a context that name the approved users.
     *
     * @param approved_userlist $userlist
     */
    public static function delete_data_for_users(approved_userlist $userlist): void {
        foreach ($userlist->get_userids() as $userid) {
            $contextlist = new approved_contextlist(\core_user::get_user($userid) ?: (object) ['id' => $userid],
                'local_bridge', [$userlist->get_context()->id]);
            self::delete_data_for_user($contextlist);
        }
    }

    /**
     * The condition for a user's rows in a context: those naming them there. In their own user
     * context also those whose context is gone, or (to delete) all of them.
     *
     * @param \context $context
     * @param int $userid
     * @param bool $all in their own user context: every row naming them
     * @return array [where, params]
     */
    private static function user_rows_in(\context $context, int $userid, bool $all): array {
        if ($context->contextlevel == CONTEXT_USER && (int) $context->instanceid === $userid) {
            if ($all) {
                return ['(userid = ? OR relateduserid = ?)', [$userid, $userid]];
            }
            return ['(userid = ? OR relateduserid = ?)
                     AND (contextid = ? OR NOT EXISTS (SELECT 1 FROM {context} ctx WHERE ctx.id = contextid))',
                [$userid, $userid, $context->id]];
        }
        return ['contextid = ? AND (userid = ? OR relateduserid = ?)', [$context->id, $userid, $userid]];
    }
}
