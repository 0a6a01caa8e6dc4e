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
 * Publishes staged events older than a minute: changes that committed in a request that ended
 * (a fatal error, a killed process) before it published their events.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class publish_staged_events extends \core\task\scheduled_task {
    /**
     * Name shown to administrators.
     *
     * @return string
     */
    public function get_name(): string {
        return get_string('taskpublishstaged', 'local_bridge');
    }

    /**
     * Publishes them.
     */
    public function execute(): void {
        $count = outbox::publish_stale(time());
        if ($count > 0) {
            mtrace("local_bridge: published {$count} staged events");
        }
    }
}
