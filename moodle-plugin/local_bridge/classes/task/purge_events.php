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

namespace local_bridge\task;

use local_bridge\local\events\outbox;

/**
 * Deletes the outbox's events older than the retention setting (local_bridge/eventretention,
 * 7 days by default).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class purge_events extends \core\task\scheduled_task {
    /** @var int the retention when the setting is missing or below a day (seconds) */
    public const DEFAULT_RETENTION = 7 * DAYSECS;

    /**
     * Name shown to administrators.
     *
     * @return string
     */
    public function get_name(): string {
        return get_string('taskpurgeevents', 'local_bridge');
    }

    /**
     * The retention in seconds: the setting, at least a day.
     *
     * @return int
     */
    public static function retention(): int {
        $value = (int) get_config('local_bridge', 'eventretention');
        return $value >= DAYSECS ? $value : self::DEFAULT_RETENTION;
    }

    /**
     * Purges.
     */
    public function execute(): void {
        $count = outbox::purge(time() - self::retention());
        mtrace("local_bridge: purged {$count} events");
    }
}
