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
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;
use local_bridge\local\module_writer;
use local_bridge\local\question_writer;
use local_bridge\local\quiz_writer;
use local_bridge\local\structures;

/**
 * `local_bridge_update_quiz`: changes a quiz's settings and, while no learner has attempted it,
 * replaces its questions; fields left out stay as they are.
 *
 * @package    local_bridge
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class update_quiz extends external_api {
    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'cmid' => new external_value(PARAM_INT, 'Course module id of the quiz'),
            'fields' => new external_single_structure([
                'name' => new external_value(PARAM_TEXT, 'Activity name, 1 to 255 characters', VALUE_OPTIONAL),
                'intro' => new external_value(PARAM_RAW, 'Description', VALUE_OPTIONAL),
                'introformat' => new external_value(PARAM_INT, 'Description format', VALUE_OPTIONAL),
                'idnumber' => new external_value(PARAM_RAW, 'ID number, unique in the course; empty for none', VALUE_OPTIONAL),
                'visible' => new external_value(PARAM_BOOL, 'Shown to students', VALUE_OPTIONAL),
            ] + structures::quiz_settings(true), 'Fields to change; those left out stay as they are', VALUE_DEFAULT, []),
            'questions' => new external_multiple_structure(structures::question(),
                'When given, the quiz\'s new questions in order, replacing all of its questions (refused once learners '
                . 'have attempted it)', VALUE_OPTIONAL),
        ]);
    }

    /**
     * Updates the quiz.
     *
     * @param int $cmid course module id
     * @param array $fields field => new value
     * @param array|null $questions the new questions, null to keep them
     * @return array the quiz and warnings
     */
    public static function execute(int $cmid, array $fields = [], ?array $questions = null): array {
        global $DB;
        $args = ['cmid' => $cmid, 'fields' => $fields];
        if ($questions !== null) {
            $args['questions'] = $questions;
        }
        $params = self::validate_parameters(self::execute_parameters(), $args);
        $changes = $params['fields'];
        $questions = $params['questions'] ?? null;

        // A clear "no such course module" before get_coursemodule_from_id()'s join query.
        $DB->get_record('course_modules', ['id' => $params['cmid']], 'id', MUST_EXIST);
        $cm = get_coursemodule_from_id('', $params['cmid'], 0, false, MUST_EXIST);
        $context = context_module::instance($cm->id);
        self::validate_context($context);
        require_capability('moodle/course:manageactivities', $context);
        if ($cm->modname !== 'quiz') {
            throw new \moodle_exception('notaquiz', 'local_bridge', '', $cm->id);
        }
        require_capability('mod/quiz:manage', $context);
        if ($questions !== null) {
            quiz_writer::require_can_add_questions($context);
        }

        module_writer::check_common($changes['name'] ?? null, $changes['introformat'] ?? null, $changes['idnumber'] ?? null);
        $quiz = $DB->get_record('quiz', ['id' => $cm->instance], '*', MUST_EXIST);
        quiz_writer::check_settings(array_intersect_key($changes, array_flip(quiz_writer::SETTINGS)), $quiz);
        if ($questions !== null) {
            question_writer::check_all($questions);
            quiz_writer::require_no_attempts($cm);
        }
        if (isset($changes['visible']) && (int) $changes['visible'] !== (int) $cm->visible) {
            require_capability('moodle/course:activityvisibility', $context);
        }

        $writer = module_writer::for_course((int) $cm->course);
        $result = $writer->update_checked($cm, array_diff_key($changes, ['grade' => true]),
            function() use ($cm, $changes, $questions) {
                if ($questions !== null) {
                    quiz_writer::remove_questions((int) $cm->id);
                    quiz_writer::add_questions((int) $cm->id, $questions);
                }
                if (isset($changes['grade'])) {
                    quiz_writer::set_grade((int) $cm->id, $changes['grade']);
                } else if ($questions !== null) {
                    quiz_writer::set_grade((int) $cm->id, 0);
                }
            });
        return $result + quiz_writer::export((int) $cm->id);
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
