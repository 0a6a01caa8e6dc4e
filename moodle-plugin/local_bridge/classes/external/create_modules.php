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
use core_external\external_format_value;
use core_external\external_function_parameters;
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;
use core_external\external_warnings;
use local_bridge\local\module_batch;
use local_bridge\local\module_writer;
use local_bridge\local\structures;

/**
 * `local_bridge_create_modules`: makes many Page, URL, Forum, File and Quiz activities of one
 * course in one call and one transaction; each item is idempotent by ID number and fails alone.
 *
 * @package    local_bridge
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class create_modules extends external_api {
    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        $item = [
            'modname' => new external_value(PARAM_ALPHA, 'page, url, forum, resource or quiz'),
            'idnumber' => new external_value(PARAM_RAW, 'ID number, required: unique in the course, at most 100 characters'),
            'name' => new external_value(PARAM_RAW, 'Activity name, 1 to 255 characters, no HTML'),
            'section' => new external_value(PARAM_INT, 'Section number; it must exist', VALUE_DEFAULT, 0),
            'intro' => new external_value(PARAM_RAW, 'Description', VALUE_DEFAULT, ''),
            'introformat' => new external_format_value('intro', VALUE_DEFAULT, FORMAT_HTML),
            'visible' => new external_value(PARAM_BOOL, 'Shown to students', VALUE_DEFAULT, true),
            'content' => new external_value(PARAM_RAW, 'page: content (required)', VALUE_OPTIONAL),
            'contentformat' => new external_value(PARAM_INT, 'page: content format', VALUE_OPTIONAL),
            'externalurl' => new external_value(PARAM_RAW, 'url: the URL (required)', VALUE_OPTIONAL),
            'display' => new external_value(PARAM_INT, 'url, resource: display mode', VALUE_OPTIONAL),
            'draftitemid' => new external_value(PARAM_INT, 'resource: draft item id of the caller\'s files (required)',
                VALUE_OPTIONAL),
            'type' => new external_value(PARAM_ALPHA, 'forum: forum type', VALUE_OPTIONAL),
            'questions' => new external_multiple_structure(structures::question(), 'quiz: the questions (required)',
                VALUE_OPTIONAL),
        ] + structures::quiz_settings(true);
        return new external_function_parameters([
            'courseid' => new external_value(PARAM_INT, 'Course id'),
            'modules' => new external_multiple_structure(new external_single_structure($item),
                'The activities to make, at most ' . module_batch::MAX_MODULES),
        ]);
    }

    /**
     * Makes the activities.
     *
     * @param int $courseid course id
     * @param array $modules the items
     * @return array one result per item and a warning per failed item
     */
    public static function execute(int $courseid, array $modules): array {
        $params = self::validate_parameters(self::execute_parameters(), [
            'courseid' => $courseid,
            'modules' => $modules,
        ]);
        $writer = module_writer::for_course($params['courseid']);
        self::validate_context($writer->get_context());
        require_capability('moodle/course:manageactivities', $writer->get_context());
        return (new module_batch($writer))->run($params['modules']);
    }

    /**
     * Result.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'modules' => new external_multiple_structure(new external_single_structure([
                'idnumber' => new external_value(PARAM_RAW, 'The item\'s ID number'),
                'status' => new external_value(PARAM_ALPHA, 'created, existed (an activity of this type already had the '
                    . 'ID number; returned, not made again) or failed'),
                'modname' => new external_value(PARAM_ALPHA, 'Module name'),
                'cmid' => new external_value(PARAM_INT, 'Course module id, 0 when failed'),
                'instanceid' => new external_value(PARAM_INT, 'Instance id, 0 when failed'),
                'section' => new external_value(PARAM_INT, 'Section number'),
                'name' => new external_value(PARAM_TEXT, 'Activity name'),
                'visible' => new external_value(PARAM_BOOL, 'Shown to students'),
                'url' => new external_value(PARAM_RAW, 'The activity\'s page, empty when failed'),
                'errorcode' => new external_value(PARAM_ALPHANUMEXT, 'Why it failed (the error code its create function '
                    . 'would give), empty otherwise'),
                'message' => new external_value(PARAM_RAW, 'Why it failed, in words, empty otherwise'),
            ]), 'One result per item, in order'),
            'warnings' => new external_warnings(),
        ]);
    }
}
