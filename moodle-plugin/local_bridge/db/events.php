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

/**
 * Event observers: the outbox of local_bridge_get_events (classes/local/events/outbox.php).
 * Each catalogue event has two: stage runs inside the change's transaction (internal), publish
 * after it commits (external). Stage runs first: higher priorities run first.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

// The catalogue (local\events\catalogue::EVENTS; a test checks the two lists are the same).
$catalogue = [
    '\core\event\course_created',
    '\core\event\course_updated',
    '\core\event\course_deleted',
    '\core\event\course_module_created',
    '\core\event\course_module_updated',
    '\core\event\course_module_deleted',
    '\core\event\user_enrolment_created',
    '\core\event\user_enrolment_updated',
    '\core\event\user_enrolment_deleted',
    '\core\event\role_assigned',
    '\core\event\role_unassigned',
    '\core\event\user_created',
    '\core\event\user_updated',
    '\core\event\user_deleted',
    '\mod_assign\event\assessable_submitted',
    '\core\event\user_graded',
    '\mod_quiz\event\attempt_submitted',
    '\mod_quiz\event\attempt_graded',
];

$observers = [];
foreach ($catalogue as $eventname) {
    $observers[] = [
        'eventname' => $eventname,
        'callback' => '\local_bridge\observer::stage',
        'internal' => true,
        'priority' => 9001,
    ];
    $observers[] = [
        'eventname' => $eventname,
        'callback' => '\local_bridge\observer::publish',
        'internal' => false,
        'priority' => 9000,
    ];
}
// The request's token, kept before the web-service function runs (local\events\origin).
$observers[] = [
    'eventname' => '\core\event\webservice_function_called',
    'callback' => '\local_bridge\observer::webservice_function_called',
    'internal' => true,
];
unset($catalogue, $eventname);
