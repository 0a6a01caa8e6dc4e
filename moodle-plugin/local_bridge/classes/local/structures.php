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

namespace local_bridge\local;

use core_external\external_format_value;
use core_external\external_single_structure;
use core_external\external_value;
use core_external\external_warnings;

/**
 * Parameter and result descriptions shared by the plugin's web service functions.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class structures {
    /**
     * Where a new activity goes and what it is called: the first parameters of every create function.
     *
     * @return array
     */
    public static function placement_parameters(): array {
        return [
            'courseid' => new external_value(PARAM_INT, 'Course id'),
            'section' => new external_value(PARAM_INT, 'Section number (0 = the general section); it must exist',
                VALUE_DEFAULT, 0),
            'name' => new external_value(PARAM_TEXT, 'Activity name, 1 to 255 characters'),
        ];
    }

    /**
     * Description, ID number and visibility: the last parameters of every create function.
     *
     * @return array
     */
    public static function common_parameters(): array {
        return [
            'intro' => new external_value(PARAM_RAW, 'Description', VALUE_DEFAULT, ''),
            'introformat' => new external_format_value('intro', VALUE_DEFAULT, FORMAT_HTML),
            'idnumber' => new external_value(PARAM_RAW,
                'ID number, unique among the course\'s activities, at most 100 characters; empty for none', VALUE_DEFAULT, ''),
            'visible' => new external_value(PARAM_BOOL, 'Shown to students', VALUE_DEFAULT, true),
        ];
    }

    /**
     * One activity, as every function of the plugin returns it.
     *
     * @return array
     */
    public static function module_fields(): array {
        return [
            'cmid' => new external_value(PARAM_INT, 'Course module id'),
            'instanceid' => new external_value(PARAM_INT, 'Instance id in the module\'s table'),
            'courseid' => new external_value(PARAM_INT, 'Course id'),
            'section' => new external_value(PARAM_INT, 'Section number'),
            'modname' => new external_value(PARAM_PLUGIN, 'Module name: page, resource, url, forum, …'),
            'name' => new external_value(PARAM_TEXT, 'Activity name'),
            'idnumber' => new external_value(PARAM_RAW, 'ID number, empty when none'),
            'visible' => new external_value(PARAM_BOOL, 'Shown to students'),
            'url' => new external_value(PARAM_URL, 'The activity\'s page'),
        ];
    }

    /**
     * The result of the create and update functions: the activity plus warnings.
     *
     * @return external_single_structure
     */
    public static function module_result(): external_single_structure {
        return new external_single_structure(self::module_fields() + ['warnings' => new external_warnings()]);
    }

    /**
     * One activity in a list.
     *
     * @return external_single_structure
     */
    public static function module(): external_single_structure {
        return new external_single_structure(self::module_fields());
    }
}
