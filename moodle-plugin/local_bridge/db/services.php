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
 * Web service functions of the Moodle Bridge companion plugin. Add them to the external service
 * the bridge's token belongs to (Site administration > Server > Web services > External services).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$functions = [
    'local_bridge_create_page' => [
        'classname' => 'local_bridge\external\create_page',
        'methodname' => 'execute',
        'description' => 'Creates a Page activity in a course section.',
        'type' => 'write',
        'capabilities' => 'moodle/course:manageactivities, mod/page:addinstance',
    ],
    'local_bridge_create_resource' => [
        'classname' => 'local_bridge\external\create_resource',
        'methodname' => 'execute',
        'description' => 'Creates a File activity from the files of one of the caller\'s draft areas.',
        'type' => 'write',
        'capabilities' => 'moodle/course:manageactivities, mod/resource:addinstance',
    ],
    'local_bridge_create_url' => [
        'classname' => 'local_bridge\external\create_url',
        'methodname' => 'execute',
        'description' => 'Creates a URL activity in a course section.',
        'type' => 'write',
        'capabilities' => 'moodle/course:manageactivities, mod/url:addinstance',
    ],
    'local_bridge_create_forum' => [
        'classname' => 'local_bridge\external\create_forum',
        'methodname' => 'execute',
        'description' => 'Creates a Forum activity in a course section.',
        'type' => 'write',
        'capabilities' => 'moodle/course:manageactivities, mod/forum:addinstance',
    ],
    'local_bridge_create_quiz' => [
        'classname' => 'local_bridge\external\create_quiz',
        'methodname' => 'execute',
        'description' => 'Creates a Quiz activity with its multiple-choice, true/false, short-answer and essay questions.',
        'type' => 'write',
        'capabilities' => 'moodle/course:manageactivities, mod/quiz:addinstance, moodle/question:add, moodle/question:usemine',
    ],
    'local_bridge_update_quiz' => [
        'classname' => 'local_bridge\external\update_quiz',
        'methodname' => 'execute',
        'description' => 'Updates a quiz\'s settings and, while it has no attempts, replaces its questions.',
        'type' => 'write',
        'capabilities' => 'moodle/course:manageactivities, mod/quiz:manage, moodle/question:add, moodle/question:usemine',
    ],
    'local_bridge_create_modules' => [
        'classname' => 'local_bridge\external\create_modules',
        'methodname' => 'execute',
        'description' => 'Creates many Page, URL, Forum, File and Quiz activities of one course in one call; each item is '
            . 'idempotent by ID number and fails alone.',
        'type' => 'write',
        'capabilities' => 'moodle/course:manageactivities',
    ],
    'local_bridge_update_module' => [
        'classname' => 'local_bridge\external\update_module',
        'methodname' => 'execute',
        'description' => 'Updates a Page, File, URL, Forum or Quiz activity; fields left out stay as they are.',
        'type' => 'write',
        'capabilities' => 'moodle/course:manageactivities',
    ],
    'local_bridge_find_modules_by_idnumber' => [
        'classname' => 'local_bridge\external\find_modules_by_idnumber',
        'methodname' => 'execute',
        'description' => 'Finds a course\'s activities by their ID numbers.',
        'type' => 'read',
        'capabilities' => 'moodle/course:manageactivities',
    ],
    'local_bridge_list_user_files' => [
        'classname' => 'local_bridge\external\list_user_files',
        'methodname' => 'execute',
        'description' => 'Lists a course participant\'s private files and assignment submission files in the course.',
        'type' => 'read',
        'capabilities' => 'local/bridge:viewuserfiles',
    ],
    'local_bridge_get_events' => [
        'classname' => 'local_bridge\external\get_events',
        'methodname' => 'execute',
        'description' => 'Returns the recorded Moodle events (courses, activities, enrolments, roles, users, submissions, '
            . 'grades, quiz attempts) after a cursor, in order, that the caller may see.',
        'type' => 'read',
    ],
];
