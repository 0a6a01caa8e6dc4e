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
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;
use core_external\external_warnings;
use local_bridge\local\module_writer;
use local_bridge\local\structures;

/**
 * `local_bridge_find_modules_by_idnumber`: a course's activities with the given ID numbers, so a
 * caller can find what an earlier, interrupted attempt made.
 *
 * @package    local_bridge
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class find_modules_by_idnumber extends external_api {
    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'courseid' => new external_value(PARAM_INT, 'Course id'),
            'idnumbers' => new external_multiple_structure(
                new external_value(PARAM_RAW, 'An ID number (not empty)'),
                'The ID numbers to look for'
            ),
        ]);
    }

    /**
     * Looks the ID numbers up.
     *
     * @param int $courseid course id
     * @param string[] $idnumbers ID numbers
     * @return array the activities found and a warning per ID number not found
     */
    public static function execute(int $courseid, array $idnumbers): array {
        ['courseid' => $courseid, 'idnumbers' => $idnumbers] = self::validate_parameters(self::execute_parameters(), [
            'courseid' => $courseid,
            'idnumbers' => $idnumbers,
        ]);
        $writer = module_writer::for_course($courseid);
        self::validate_context($writer->get_context());
        require_capability('moodle/course:manageactivities', $writer->get_context());

        $wanted = array_values(array_unique($idnumbers));
        if (in_array('', $wanted, true)) {
            throw new \invalid_parameter_exception('idnumbers: an ID number cannot be empty');
        }
        $modules = [];
        $found = [];
        foreach (get_fast_modinfo($courseid)->get_cms() as $cm) {
            if ($cm->idnumber !== '' && in_array($cm->idnumber, $wanted, true)) {
                $modules[(int) $cm->id] = module_writer::export_cm($cm);
                $found[$cm->idnumber] = true;
            }
        }
        ksort($modules);
        $warnings = [];
        foreach ($wanted as $idnumber) {
            if (!isset($found[$idnumber])) {
                $warnings[] = [
                    'item' => $idnumber,
                    'warningcode' => 'idnumbernotfound',
                    'message' => get_string('idnumbernotfound', 'local_bridge', $idnumber),
                ];
            }
        }
        return ['modules' => array_values($modules), 'warnings' => $warnings];
    }

    /**
     * Result.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'modules' => new external_multiple_structure(structures::module(), 'Activities found, by course module id'),
            'warnings' => new external_warnings(),
        ]);
    }
}
