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
 * The event outbox: rows are staged in the change's own transaction, then published in id order
 * once it has committed.
 *
 * 1. `stage()` (an internal observer) writes the row to `local_bridge_event_stage` inside the
 *    transaction that makes the change, so it commits or rolls back with it.
 * 2. `publish()` (an external observer, called by Moodle after the outermost commit) copies it to
 *    `local_bridge_events`, whose id is the order readers follow, and removes the staged row. The
 *    copy is one auto-committed INSERT, so ids become visible almost in the order they are taken;
 *    readers wait briefly at a missing id (`settled_after()`).
 * 3. A process that dies between the commit and step 2 leaves a committed staged row:
 *    `publish_stale()` (the publish_staged_events task, every minute) publishes it. The unique
 *    `stageid` makes sure a row is published once, whoever gets there first.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class outbox {
    /** @var string the published events, read by local_bridge_get_events */
    public const TABLE = 'local_bridge_events';
    /** @var string rows of changes not yet known to have committed */
    public const STAGE = 'local_bridge_event_stage';
    /** @var int seconds a reader waits at a missing id before passing it (a rolled-back publish) */
    public const HOLD = 10;
    /** @var int staged rows older than this (seconds) are published by the task */
    public const STALE = 60;

    /** @var int rows a request remembers for publishing */
    private const MAXSTAGED = 5000;

    /** @var \SplObjectStorage|null the rows staged in this request, by event */
    private static $staged = null;

    /**
     * Whether the site records events (setting local_bridge/recordevents, on by default).
     *
     * @return bool
     */
    public static function enabled(): bool {
        $value = get_config('local_bridge', 'recordevents');
        return $value === false || (bool) $value;
    }

    /**
     * Stages the row of a catalogue event, in the caller's transaction if one is open.
     *
     * @param \core\event\base $event
     */
    public static function stage(\core\event\base $event): void {
        global $DB;
        $row = catalogue::row($event);
        if ($row === null) {
            return;
        }
        $row += origin::current();
        $row['id'] = (int) $DB->insert_record(self::STAGE, (object) $row);
        if (self::staged()->count() >= self::MAXSTAGED) {
            // Rows of rolled-back transactions are never published by the request; a long cron run
            // must not keep them all. Committed ones among them go out through the task.
            self::$staged = null;
        }
        self::staged()->attach($event, $row);
    }

    /**
     * Publishes the staged row of an event whose change has committed.
     *
     * @param \core\event\base $event
     */
    public static function publish(\core\event\base $event): void {
        $staged = self::staged();
        if (!$staged->contains($event)) {
            return;
        }
        $row = $staged[$event];
        $staged->detach($event);
        self::publish_row($row);
    }

    /**
     * Copies a staged row to the published events and removes it from the stage.
     *
     * @param array $row the staged row, with its id
     * @return bool whether this call published it (false: it already was)
     */
    private static function publish_row(array $row): bool {
        global $DB;
        $stageid = (int) $row['id'];
        unset($row['id']);
        $row['stageid'] = $stageid;
        $row['timeadded'] = time();
        $published = true;
        try {
            $DB->insert_record(self::TABLE, (object) $row, false);
        } catch (\dml_write_exception $e) {
            // The unique stageid: the task (or the request) got there first.
            $published = false;
        }
        $DB->delete_records(self::STAGE, ['id' => $stageid]);
        return $published;
    }

    /**
     * Publishes committed staged rows older than STALE seconds, oldest first: those of requests
     * that ended between their commit and the publish.
     *
     * @param int $now current time
     * @param int $max at most this many rows
     * @return int how many were published
     */
    public static function publish_stale(int $now, int $max = 1000): int {
        global $DB;
        $count = 0;
        $rows = $DB->get_records_select(self::STAGE, 'timecreated < ?', [$now - self::STALE], 'id', '*', 0, $max);
        foreach ($rows as $row) {
            $count += self::publish_row((array) $row) ? 1 : 0;
        }
        return $count;
    }

    /**
     * Deletes the published events added before a time, and remembers the highest id deleted
     * (local_bridge/purgedthrough) so readers learn that a cursor fell behind.
     *
     * @param int $before events added before this time go
     * @return int how many were deleted
     */
    public static function purge(int $before): int {
        global $DB;
        $maxid = (int) $DB->get_field_select(self::TABLE, 'MAX(id)', 'timeadded < ?', [$before]);
        if ($maxid === 0) {
            return 0;
        }
        $count = $DB->count_records_select(self::TABLE, 'id <= ?', [$maxid]);
        $DB->delete_records_select(self::TABLE, 'id <= ?', [$maxid]);
        set_config('purgedthrough', max($maxid, self::purged_through()), 'local_bridge');
        return $count;
    }

    /**
     * The highest id the purge has deleted (0 when none).
     *
     * @return int
     */
    public static function purged_through(): int {
        return (int) get_config('local_bridge', 'purgedthrough');
    }

    /**
     * The highest id of an event recorded so far, purged ones included (0 when none).
     *
     * @return int
     */
    public static function newest_id(): int {
        global $DB;
        return max((int) $DB->get_field_sql('SELECT MAX(id) FROM {' . self::TABLE . '}'), self::purged_through());
    }

    /**
     * The published rows after a cursor that a reader may pass, in id order: it stops before a
     * missing id when the row after it was added less than HOLD seconds ago (the missing one may
     * be committing still), unless the purge removed it. A reader starting from 0 does not wait
     * for ids before the first row (a sequence need not start at 1).
     *
     * @param int $afterid the cursor
     * @param int $max at most this many rows
     * @param int $now current time
     * @return array [rows, whether it stopped at a missing id]
     */
    public static function settled_after(int $afterid, int $max, int $now): array {
        global $DB;
        $rows = $DB->get_records_select(self::TABLE, 'id > ?', [$afterid], 'id', '*', 0, $max);
        $purged = self::purged_through();
        $previous = $afterid;
        $settled = [];
        foreach ($rows as $row) {
            $id = (int) $row->id;
            $missing = $id > $previous + 1 && !($previous === 0 && !$settled);
            if ($missing && $id - 1 > $purged && (int) $row->timeadded > $now - self::HOLD) {
                return [$settled, true];
            }
            $settled[] = $row;
            $previous = $id;
        }
        return [$settled, false];
    }

    /**
     * The rows staged by this request.
     *
     * @return \SplObjectStorage
     */
    private static function staged(): \SplObjectStorage {
        if (self::$staged === null) {
            self::$staged = new \SplObjectStorage();
        }
        return self::$staged;
    }
}
