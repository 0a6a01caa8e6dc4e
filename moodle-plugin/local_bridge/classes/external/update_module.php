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

use context_module;
use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_single_structure;
use core_external\external_value;
use local_bridge\local\module_writer;
use local_bridge\local\structures;

/**
 * `local_bridge_update_module`: changes a Page, File, URL or Forum activity; fields left out stay
 * as they are.
 *
 * @package    local_bridge
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class update_module extends external_api {
    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'cmid' => new external_value(PARAM_INT, 'Course module id'),
            'fields' => new external_single_structure([
                'name' => new external_value(PARAM_TEXT, 'Activity name, 1 to 255 characters', VALUE_OPTIONAL),
                'intro' => new external_value(PARAM_RAW, 'Description', VALUE_OPTIONAL),
                'introformat' => new external_value(PARAM_INT, 'Description format', VALUE_OPTIONAL),
                'idnumber' => new external_value(PARAM_RAW, 'ID number, unique in the course; empty for none', VALUE_OPTIONAL),
                'visible' => new external_value(PARAM_BOOL, 'Shown to students', VALUE_OPTIONAL),
                'content' => new external_value(PARAM_RAW, 'Page only: content', VALUE_OPTIONAL),
                'contentformat' => new external_value(PARAM_INT, 'Page only: content format', VALUE_OPTIONAL),
                'externalurl' => new external_value(PARAM_URL, 'URL only: the URL', VALUE_OPTIONAL),
                'display' => new external_value(PARAM_INT, 'URL and File only: display mode', VALUE_OPTIONAL),
                'draftitemid' => new external_value(PARAM_INT, 'File only: draft item id whose files replace the activity\'s',
                    VALUE_OPTIONAL),
            ], 'Fields to change; those left out stay as they are', VALUE_DEFAULT, []),
        ]);
    }

    /**
     * Updates the activity.
     *
     * @param int $cmid course module id
     * @param array $fields field => new value
     * @return array the activity and warnings
     */
    public static function execute(int $cmid, array $fields = []): array {
        global $DB;

        ['cmid' => $cmid, 'fields' => $changes] = self::validate_parameters(self::execute_parameters(), [
            'cmid' => $cmid,
            'fields' => $fields,
        ]);
        // A clear "no such course module" before get_coursemodule_from_id()'s join query.
        $DB->get_record('course_modules', ['id' => $cmid], 'id', MUST_EXIST);
        $cm = get_coursemodule_from_id('', $cmid, 0, false, MUST_EXIST);
        $context = context_module::instance($cm->id);
        self::validate_context($context);
        require_capability('moodle/course:manageactivities', $context);

        if (!in_array($cm->modname, module_writer::MODULES, true)) {
            throw new \moodle_exception('unsupportedmodule', 'local_bridge', '', $cm->modname);
        }
        module_writer::check_fields_apply($cm->modname, $changes);
        module_writer::check_common($changes['name'] ?? null, $changes['introformat'] ?? null, $changes['idnumber'] ?? null);
        if (isset($changes['contentformat'])) {
            module_writer::check_format('contentformat', $changes['contentformat']);
        }
        if (isset($changes['display'])) {
            module_writer::check_display($cm->modname, $changes['display']);
        }
        if (isset($changes['visible']) && (int) $changes['visible'] !== (int) $cm->visible) {
            require_capability('moodle/course:activityvisibility', $context);
        }
        $writer = module_writer::for_course((int) $cm->course);
        return $writer->update_checked($cm, $changes);
    }

    /**
     * Result.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return structures::module_result();
    }
}
