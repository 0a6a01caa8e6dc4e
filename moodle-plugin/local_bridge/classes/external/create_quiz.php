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
use local_bridge\local\module_writer;
use local_bridge\local\question_writer;
use local_bridge\local\quiz_writer;
use local_bridge\local\structures;

/**
 * `local_bridge_create_quiz`: creates a Quiz activity with its questions.
 *
 * @package    local_bridge
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class create_quiz extends external_api {
    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters(structures::placement_parameters() + [
            'questions' => new external_multiple_structure(structures::question(), 'The questions, in order (1 to 100)'),
        ] + structures::quiz_settings(false) + structures::common_parameters());
    }

    /**
     * Creates the quiz and its questions.
     *
     * @param int $courseid course id
     * @param int $section section number
     * @param string $name activity name
     * @param array $questions the questions
     * @param float $grade maximum grade, 0 for the sum of points
     * @param int $attempts attempts allowed, 0 for unlimited
     * @param int $grademethod grading method
     * @param int $timeopen opening time
     * @param int $timeclose closing time
     * @param int $timelimit time limit in seconds
     * @param int $questionsperpage questions per page
     * @param bool $shuffleanswers shuffle choices
     * @param string $intro description
     * @param int $introformat description format
     * @param string $idnumber ID number, '' for none
     * @param bool $visible shown to students
     * @return array the quiz and warnings
     */
    public static function execute(int $courseid, int $section, string $name, array $questions, float $grade = 0.0,
            int $attempts = 0, int $grademethod = 1, int $timeopen = 0, int $timeclose = 0, int $timelimit = 0,
            int $questionsperpage = 1, bool $shuffleanswers = true, string $intro = '', int $introformat = FORMAT_HTML,
            string $idnumber = '', bool $visible = true): array {
        $params = self::validate_parameters(self::execute_parameters(), [
            'courseid' => $courseid,
            'section' => $section,
            'name' => $name,
            'questions' => $questions,
            'grade' => $grade,
            'attempts' => $attempts,
            'grademethod' => $grademethod,
            'timeopen' => $timeopen,
            'timeclose' => $timeclose,
            'timelimit' => $timelimit,
            'questionsperpage' => $questionsperpage,
            'shuffleanswers' => $shuffleanswers,
            'intro' => $intro,
            'introformat' => $introformat,
            'idnumber' => $idnumber,
            'visible' => $visible,
        ]);
        $writer = module_writer::for_course($params['courseid']);
        self::validate_context($writer->get_context());
        $writer->require_can_add('quiz');
        quiz_writer::require_can_add_questions($writer->get_context());

        module_writer::check_common($params['name'], $params['introformat'], $params['idnumber']);
        $settings = array_intersect_key($params, array_flip(quiz_writer::SETTINGS));
        quiz_writer::check_settings($settings);
        question_writer::check_all($params['questions']);
        $points = array_sum(array_column($params['questions'], 'points'));
        $fields = quiz_writer::instance_fields($settings, $settings['grade'] > 0 ? $settings['grade'] : $points);
        $result = $writer->create_checked('quiz', $params, $fields,
            fn(int $cmid) => quiz_writer::add_questions($cmid, $params['questions']));
        return $result + quiz_writer::export($result['cmid']);
    }

    /**
     * Result.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return structures::quiz_result();
    }
}
