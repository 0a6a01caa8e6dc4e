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
use core_external\external_multiple_structure;
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

    /**
     * One question of a quiz, as the bridge sends it.
     *
     * @return external_single_structure
     */
    public static function question(): external_single_structure {
        return new external_single_structure([
            'type' => new external_value(PARAM_ALPHA, 'multichoice, truefalse, shortanswer or essay'),
            'text' => new external_value(PARAM_RAW, 'Question text'),
            'textformat' => new external_format_value('text', VALUE_DEFAULT, FORMAT_HTML),
            'name' => new external_value(PARAM_RAW, 'Name in the question bank, no HTML, at most 255 characters; empty for '
                . '"Q<n>: <start of the text>"', VALUE_DEFAULT, ''),
            'points' => new external_value(PARAM_FLOAT, 'Marks the question is worth in the quiz, above 0', VALUE_DEFAULT, 1.0),
            'generalfeedback' => new external_value(PARAM_RAW, 'Feedback shown in review whatever the answer',
                VALUE_DEFAULT, ''),
            'answers' => new external_multiple_structure(new external_single_structure([
                'text' => new external_value(PARAM_RAW, 'Choice text (multichoice) or accepted answer (shortanswer, * is a '
                    . 'wildcard)'),
                'correct' => new external_value(PARAM_BOOL, 'A right answer', VALUE_DEFAULT, false),
                'feedback' => new external_value(PARAM_RAW, 'Feedback for this answer', VALUE_DEFAULT, ''),
            ]), 'multichoice (2 or more) and shortanswer (1 or more) only', VALUE_DEFAULT, []),
            'multipleanswers' => new external_value(PARAM_BOOL,
                'multichoice only: learners may choose several; default: when more than one answer is right', VALUE_OPTIONAL),
            'correctanswer' => new external_value(PARAM_BOOL, 'truefalse only (required there): the right answer',
                VALUE_OPTIONAL),
            'feedbacktrue' => new external_value(PARAM_RAW, 'truefalse only: feedback for the answer True', VALUE_OPTIONAL),
            'feedbackfalse' => new external_value(PARAM_RAW, 'truefalse only: feedback for the answer False', VALUE_OPTIONAL),
            'usecase' => new external_value(PARAM_BOOL, 'shortanswer only: answers are case-sensitive (default 0)',
                VALUE_OPTIONAL),
            'responseformat' => new external_value(PARAM_ALPHA, 'essay only: editor (default), plain or monospaced',
                VALUE_OPTIONAL),
            'graderinfo' => new external_value(PARAM_RAW, 'essay only: information for graders', VALUE_OPTIONAL),
        ]);
    }

    /**
     * The quiz's own settings as create_quiz parameters (with defaults) or update_quiz fields
     * (optional).
     *
     * @param bool $optional fields of an update: no defaults
     * @return array
     */
    public static function quiz_settings(bool $optional): array {
        $descriptions = [
            'grade' => [PARAM_FLOAT, 'Maximum grade, at most 10000; 0 for the sum of the questions\' points', 0.0],
            'attempts' => [PARAM_INT, 'Attempts allowed per learner, 0 for unlimited, at most 100', 0],
            'grademethod' => [PARAM_INT, 'Grade from several attempts: 1 highest, 2 average, 3 first, 4 last', 1],
            'timeopen' => [PARAM_INT, 'Opens at (Unix time), 0 for always open', 0],
            'timeclose' => [PARAM_INT, 'Closes at (Unix time), 0 for never; after timeopen', 0],
            'timelimit' => [PARAM_INT, 'Time limit in seconds, 0 for none', 0],
            'questionsperpage' => [PARAM_INT, 'Questions per page, 0 for all on one page, at most 50', 1],
            'shuffleanswers' => [PARAM_BOOL, 'Shuffle the choices of multiple-choice questions', true],
        ];
        $params = [];
        foreach ($descriptions as $name => [$type, $description, $default]) {
            $params[$name] = $optional ? new external_value($type, $description, VALUE_OPTIONAL)
                : new external_value($type, $description, VALUE_DEFAULT, $default);
        }
        return $params;
    }

    /**
     * What the quiz functions return: the activity, its grade and questions, and warnings.
     *
     * @return external_single_structure
     */
    public static function quiz_result(): external_single_structure {
        return new external_single_structure(self::module_fields() + [
            'grade' => new external_value(PARAM_FLOAT, 'Maximum grade'),
            'sumgrades' => new external_value(PARAM_FLOAT, 'Total of the questions\' marks'),
            'questions' => new external_multiple_structure(new external_single_structure([
                'slot' => new external_value(PARAM_INT, 'Slot number, from 1'),
                'page' => new external_value(PARAM_INT, 'Page number, from 1'),
                'questionid' => new external_value(PARAM_INT, 'Question id (latest version)'),
                'type' => new external_value(PARAM_PLUGIN, 'Question type'),
                'name' => new external_value(PARAM_TEXT, 'Question name'),
                'maxmark' => new external_value(PARAM_FLOAT, 'Marks it is worth'),
            ]), 'The quiz\'s questions in order'),
            'warnings' => new external_warnings(),
        ]);
    }
}
