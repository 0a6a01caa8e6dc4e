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

namespace local_bridge;

use local_bridge\local\events\origin;
use local_bridge\local\events\outbox;

/**
 * The event observers of db/events.php: each catalogue event is staged in the transaction of its
 * change (stage, internal) and published after that transaction commits (publish, external).
 *
 * Neither may break the change that triggered the event: any error is reported through
 * debugging() and swallowed (Moodle itself only catches \Exception, an \Error would reach the
 * user). One thing cannot be undone: on PostgreSQL a failed INSERT inside a transaction aborts
 * it, so the staged row only holds values that cannot fail (ints, short strings, JSON text).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class observer {
    /**
     * Stages the event's outbox row (internal observer: inside the change's transaction).
     *
     * @param \core\event\base $event
     */
    public static function stage(\core\event\base $event): void {
        try {
            if (outbox::enabled()) {
                outbox::stage($event);
            }
        } catch (\Throwable $e) {
            debugging('local_bridge could not stage ' . $event->eventname . ': ' . $e->getMessage(), DEBUG_DEVELOPER);
        }
    }

    /**
     * Keeps the token of a web-service request before its function runs (see origin::capture()).
     *
     * @param \core\event\webservice_function_called $event
     */
    public static function webservice_function_called(\core\event\webservice_function_called $event): void {
        try {
            origin::capture();
        } catch (\Throwable $e) {
            debugging('local_bridge could not read the request token: ' . $e->getMessage(), DEBUG_DEVELOPER);
        }
    }

    /**
     * Publishes the event's staged row (external observer: after the commit).
     *
     * @param \core\event\base $event
     */
    public static function publish(\core\event\base $event): void {
        try {
            outbox::publish($event);
        } catch (\Throwable $e) {
            // The staged row stays; the publish_staged_events task publishes it.
            debugging('local_bridge could not publish ' . $event->eventname . ': ' . $e->getMessage(), DEBUG_DEVELOPER);
        }
    }
}
