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
use core_external\external_single_structure;
use core_external\external_value;
use local_bridge\local\module_writer;
use local_bridge\local\structures;

/**
 * `local_bridge_create_resource`: creates a File activity from the files of one of the caller's draft
 * areas (`webservice/upload.php` answers the draft item id). With several files, Moodle shows the first
 * one uploaded.
 *
 * @package    local_bridge
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class create_resource extends external_api {
    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters(structures::placement_parameters() + [
            'draftitemid' => new external_value(PARAM_INT, 'Draft item id of the caller\'s uploaded files'),
            'display' => new external_value(PARAM_INT, 'Display mode (RESOURCELIB_DISPLAY_*), one of the site\'s allowed ones',
                VALUE_DEFAULT, 0),
        ] + structures::common_parameters());
    }

    /**
     * Creates the activity.
     *
     * @param int $courseid course id
     * @param int $section section number
     * @param string $name activity name
     * @param int $draftitemid draft item id of the files
     * @param int $display display mode
     * @param string $intro description
     * @param int $introformat description format
     * @param string $idnumber ID number, '' for none
     * @param bool $visible shown to students
     * @return array the activity and warnings
     */
    public static function execute(int $courseid, int $section, string $name, int $draftitemid, int $display = 0,
            string $intro = '', int $introformat = FORMAT_HTML, string $idnumber = '', bool $visible = true): array {
        $params = self::validate_parameters(self::execute_parameters(), [
            'courseid' => $courseid,
            'section' => $section,
            'name' => $name,
            'draftitemid' => $draftitemid,
            'display' => $display,
            'intro' => $intro,
            'introformat' => $introformat,
            'idnumber' => $idnumber,
            'visible' => $visible,
        ]);
        $writer = module_writer::for_course($params['courseid']);
        self::validate_context($writer->get_context());
        $writer->require_can_add('resource');

        module_writer::check_common($params['name'], $params['introformat'], $params['idnumber']);
        module_writer::check_display('resource', $params['display']);
        return $writer->create_checked('resource', $params, [
            'files' => $params['draftitemid'],
            'display' => $params['display'],
        ]);
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
