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
use core_external\external_single_structure;
use core_external\external_value;
use local_bridge\local\module_writer;
use local_bridge\local\structures;

/**
 * `local_bridge_create_page`: creates a Page activity.
 *
 * @package    local_bridge
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class create_page extends external_api {
    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters(structures::placement_parameters() + [
            'content' => new external_value(PARAM_RAW, 'Page content'),
            'contentformat' => new external_format_value('content', VALUE_DEFAULT, FORMAT_HTML),
        ] + structures::common_parameters());
    }

    /**
     * Creates the activity.
     *
     * @param int $courseid course id
     * @param int $section section number
     * @param string $name activity name
     * @param string $content page content
     * @param int $contentformat content format
     * @param string $intro description
     * @param int $introformat description format
     * @param string $idnumber ID number, '' for none
     * @param bool $visible shown to students
     * @return array the activity and warnings
     */
    public static function execute(int $courseid, int $section, string $name, string $content, int $contentformat = FORMAT_HTML,
            string $intro = '', int $introformat = FORMAT_HTML, string $idnumber = '', bool $visible = true): array {
        $params = self::validate_parameters(self::execute_parameters(), [
            'courseid' => $courseid,
            'section' => $section,
            'name' => $name,
            'content' => $content,
            'contentformat' => $contentformat,
            'intro' => $intro,
            'introformat' => $introformat,
            'idnumber' => $idnumber,
            'visible' => $visible,
        ]);
        $writer = module_writer::for_course($params['courseid']);
        self::validate_context($writer->get_context());
        $writer->require_can_add('page');

        module_writer::check_common($params['name'], $params['introformat'], $params['idnumber']);
        module_writer::check_format('contentformat', $params['contentformat']);
        return $writer->create_checked('page', $params, [
            'content' => $params['content'],
            'contentformat' => $params['contentformat'],
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
