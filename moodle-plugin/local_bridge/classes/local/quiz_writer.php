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

use context;
use context_course;
use context_module;
use invalid_parameter_exception;
use moodle_exception;
use stdClass;

/**
 * The quiz side of the plugin: a quiz's settings and review options, the question bank its
 * questions go to, and its questions added, replaced and listed through Moodle's quiz API
 * (`quiz_add_quiz_question()`, `structure::remove_slot()`, `grade_calculator`).
 *
 * Where the questions live: on Moodle 4.x the course's default question category ("Default for
 * <course>", `question_make_default_categories()`), as the quiz editing page picks it; on
 * Moodle 5.0+, where question banks are module contexts, the quiz's own bank
 * (`question_get_default_category($quizcontext, true)`).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class quiz_writer {
    /** @var string[] The quiz's own settings (parameters of create_quiz and fields of update_quiz). */
    const SETTINGS = ['grade', 'attempts', 'grademethod', 'timeopen', 'timeclose', 'timelimit', 'questionsperpage',
        'shuffleanswers'];

    /** @var float Highest maximum grade (`quiz.grade` is NUMBER(10,5)). */
    const MAX_GRADE = 10000;

    /** @var int Most attempts a quiz may allow (0 = unlimited). */
    const MAX_ATTEMPTS = 100;

    /** @var int Most questions per page the quiz form offers (0 = all on one page). */
    const MAX_PER_PAGE = 50;

    /** @var string[] The review items of `quiz_process_options()`. */
    const REVIEW_ITEMS = ['attempt', 'correctness', 'maxmarks', 'marks', 'specificfeedback', 'generalfeedback',
        'rightanswer', 'overallfeedback'];

    /** @var string[] The review times of `quiz_process_options()`. */
    const REVIEW_TIMES = ['during', 'immediately', 'open', 'closed'];

    /**
     * Checks the quiz's own settings.
     *
     * @param array $settings setting => value (some or all of SETTINGS)
     * @param stdClass|null $current the quiz record when updating, for the open/close order
     * @throws invalid_parameter_exception
     */
    public static function check_settings(array $settings, ?stdClass $current = null): void {
        self::require_lib();
        $ranges = [
            'grade' => [0, self::MAX_GRADE],
            'attempts' => [0, self::MAX_ATTEMPTS],
            'grademethod' => [(int) QUIZ_GRADEHIGHEST, (int) QUIZ_ATTEMPTLAST],
            'timeopen' => [0, PHP_INT_MAX],
            'timeclose' => [0, PHP_INT_MAX],
            'timelimit' => [0, PHP_INT_MAX],
            'questionsperpage' => [0, self::MAX_PER_PAGE],
        ];
        foreach ($ranges as $name => [$min, $max]) {
            if (isset($settings[$name]) && (!is_finite((float) $settings[$name]) || $settings[$name] < $min
                    || $settings[$name] > $max)) {
                $range = $max === PHP_INT_MAX ? "at least {$min}" : "between {$min} and {$max}";
                throw new invalid_parameter_exception("{$name}: must be {$range}");
            }
        }
        $open = $settings['timeopen'] ?? ($current->timeopen ?? 0);
        $close = $settings['timeclose'] ?? ($current->timeclose ?? 0);
        if ($open > 0 && $close > 0 && $close <= $open) {
            throw new invalid_parameter_exception('timeclose: must be after timeopen');
        }
    }

    /**
     * The review options the plugin gives a quiz, as the form's 32 checkboxes: learners see their
     * attempt, marks, correctness and feedback once it is submitted, and the right answers only
     * after the quiz closes, or straight away when they cannot try again (one attempt allowed).
     * Nothing is revealed during an attempt but the marks each question is worth.
     *
     * @param int $attempts attempts allowed, 0 for unlimited
     * @return array field => 0|1
     */
    public static function review_fields(int $attempts): array {
        $fields = [];
        foreach (self::REVIEW_ITEMS as $item) {
            foreach (self::REVIEW_TIMES as $when) {
                if ($when === 'during') {
                    $show = $item === 'attempt' || $item === 'maxmarks';
                } else if ($item === 'rightanswer') {
                    $show = $when === 'closed' || $attempts === 1;
                } else {
                    $show = true;
                }
                $fields[$item . $when] = (int) $show;
            }
        }
        return $fields;
    }

    /**
     * The instance fields of a new quiz, as the quiz form submits them (mod_quiz's generator
     * template and the site's quiz defaults), with the caller's settings.
     *
     * @param array $settings the create function's quiz settings
     * @param float $grade the maximum grade
     * @return array
     */
    public static function instance_fields(array $settings, float $grade): array {
        self::require_lib();
        $config = get_config('quiz');
        return [
            'timeopen' => $settings['timeopen'],
            'timeclose' => $settings['timeclose'],
            'timelimit' => $settings['timelimit'],
            'preferredbehaviour' => 'deferredfeedback',
            'attempts' => $settings['attempts'],
            'attemptonlast' => 0,
            'grademethod' => $settings['grademethod'],
            'decimalpoints' => $config->decimalpoints ?? 2,
            'questiondecimalpoints' => $config->questiondecimalpoints ?? -1,
            'questionsperpage' => $settings['questionsperpage'],
            'navmethod' => QUIZ_NAVMETHOD_FREE,
            'shuffleanswers' => (int) $settings['shuffleanswers'],
            'sumgrades' => 0,
            'grade' => $grade,
            'overduehandling' => $config->overduehandling ?? 'autosubmit',
            'graceperiod' => $config->graceperiod ?? 86400,
            'canredoquestions' => 0,
            'quizpassword' => '',
            'subnet' => '',
            'browsersecurity' => '-',
            'delay1' => 0,
            'delay2' => 0,
            'showuserpicture' => 0,
            'showblocks' => 0,
            'completionattemptsexhausted' => 0,
            'completionminattempts' => 0,
        ] + self::review_fields($settings['attempts']);
    }

    /**
     * Turns a quiz's settings as `get_moduleinfo_data()` loads them back into form fields, as
     * `mod_quiz_mod_form::data_preprocessing()` does, so `update_module()` keeps what is not
     * changed (`quiz_process_options()` rebuilds the review columns, the password and the overall
     * feedback from form fields, and would reset them otherwise); then applies changed settings.
     *
     * @param stdClass $data the quiz as get_moduleinfo_data() returns it
     * @param array $changes setting => new value (grade is left to set_grade())
     */
    public static function prepare_update(stdClass $data, array $changes): void {
        global $DB;
        $times = [
            'during' => \mod_quiz\question\display_options::DURING,
            'immediately' => \mod_quiz\question\display_options::IMMEDIATELY_AFTER,
            'open' => \mod_quiz\question\display_options::LATER_WHILE_OPEN,
            'closed' => \mod_quiz\question\display_options::AFTER_CLOSE,
        ];
        foreach (self::REVIEW_ITEMS as $item) {
            foreach ($times as $when => $bit) {
                $data->{$item . $when} = ((int) $data->{'review' . $item} & $bit) ? 1 : 0;
            }
        }
        $data->quizpassword = $data->password;
        foreach (\mod_quiz\access_manager::load_settings((int) $data->instance) as $name => $value) {
            $data->$name = $value;
        }
        // The overall feedback, highest band first, with absolute boundaries.
        $feedbacks = $DB->get_records('quiz_feedback', ['quizid' => $data->instance], 'mingrade DESC');
        if ($feedbacks) {
            $data->feedbacktext = [];
            $data->feedbackboundaries = [];
            foreach (array_values($feedbacks) as $i => $feedback) {
                $data->feedbacktext[$i] = ['text' => $feedback->feedbacktext, 'format' => $feedback->feedbacktextformat,
                    'itemid' => 0];
                if ($feedback->mingrade > 0) {
                    $data->feedbackboundaries[$i] = $feedback->mingrade;
                }
            }
        }
        foreach (self::SETTINGS as $name) {
            if ($name !== 'grade' && isset($changes[$name])) {
                $data->$name = is_bool($changes[$name]) ? (int) $changes[$name] : $changes[$name];
            }
        }
        if (isset($changes['attempts'])) {
            foreach (self::review_fields($changes['attempts']) as $field => $value) {
                $data->$field = $value;
            }
        }
    }

    /**
     * Where a quiz's questions are checked for capabilities before it exists: the course (on
     * Moodle 5.0+ the quiz's own bank will sit below it, and inherits its permissions).
     *
     * @param context $context the course's or the quiz's context
     * @throws \required_capability_exception
     */
    public static function require_can_add_questions(context $context): void {
        global $CFG;
        if ($context instanceof context_module && (int) $CFG->branch < 500) {
            // Moodle 4.x: the questions go to the course's bank.
            $context = $context->get_course_context();
        }
        require_capability('moodle/question:add', $context);
        require_capability('moodle/question:usemine', $context);
    }

    /**
     * The question category a quiz's questions go to (made when missing).
     *
     * @param int $cmid the quiz's course module id
     * @return stdClass the category (`id`, `contextid`, …)
     */
    public static function bank_category(int $cmid): stdClass {
        global $CFG;
        require_once($CFG->libdir . '/questionlib.php');
        $context = context_module::instance($cmid);
        if ((int) $CFG->branch >= 500) {
            // Moodle 5.0+: the quiz's own bank (add_moduleinfo() has usually made it already).
            return question_get_default_category($context->id, true);
        }
        return question_make_default_categories([$context->get_course_context()]);
    }

    /**
     * Saves the questions and puts them in the quiz in order (the page from the quiz's questions
     * per page), each worth its points, then sets the quiz's total of marks.
     *
     * @param int $cmid the quiz's course module id
     * @param array $questions the checked questions
     */
    public static function add_questions(int $cmid, array $questions): void {
        global $CFG, $DB;
        require_once($CFG->dirroot . '/mod/quiz/locallib.php');
        $cm = get_coursemodule_from_id('quiz', $cmid, 0, false, MUST_EXIST);
        $quiz = $DB->get_record('quiz', ['id' => $cm->instance], '*', MUST_EXIST);
        $quiz->cmid = $cm->id;
        $category = self::bank_category($cmid);
        foreach (array_values($questions) as $i => $q) {
            $question = question_writer::save($q, $category, $i + 1);
            quiz_add_quiz_question($question->id, $quiz, 0, round($q['points'], 7));
        }
        \mod_quiz\quiz_settings::create($quiz->id)->get_grade_calculator()->recompute_quiz_sumgrades();
    }

    /**
     * Refuses to change the questions of a quiz learners have attempted (previews do not count).
     *
     * @param stdClass $cm the quiz's course module
     * @throws moodle_exception `quizhasattempts`
     */
    public static function require_no_attempts(stdClass $cm): void {
        global $CFG;
        require_once($CFG->dirroot . '/mod/quiz/locallib.php');
        if (quiz_has_attempts($cm->instance)) {
            throw new moodle_exception('quizhasattempts', 'local_bridge', '', $cm->id);
        }
    }

    /**
     * Takes every question out of a quiz without attempts (`structure::remove_slot()`, as the quiz
     * editing page does), then deletes those that came from the quiz's bank category and that the
     * user may delete and nothing else uses (`question_delete_question()`).
     *
     * @param int $cmid the quiz's course module id
     */
    public static function remove_questions(int $cmid): void {
        global $CFG, $DB;
        require_once($CFG->dirroot . '/mod/quiz/locallib.php');
        require_once($CFG->libdir . '/questionlib.php');
        $cm = get_coursemodule_from_id('quiz', $cmid, 0, false, MUST_EXIST);
        $quizobj = \mod_quiz\quiz_settings::create($cm->instance);
        quiz_delete_previews($quizobj->get_quiz());
        $category = self::bank_category($cmid);
        $entries = [];
        foreach (\mod_quiz\question\bank\qbank_helper::get_question_structure($cm->instance, $quizobj->get_context())
                as $slot) {
            if (!empty($slot->questionbankentryid) && (int) $slot->category === (int) $category->id) {
                $entries[] = (int) $slot->questionbankentryid;
            }
        }
        $structure = $quizobj->get_structure();
        foreach ($structure->get_sections() as $section) {
            if ((int) $section->firstslot > 1) {
                $structure->remove_section_heading($section->id);
            }
        }
        // One structure per removal, as edit_rest.php has: a structure object does not stay
        // consistent across several remove_slot() calls.
        $count = count(\mod_quiz\quiz_settings::create($cm->instance)->get_structure()->get_slots());
        for ($slot = $count; $slot >= 1; $slot--) {
            \mod_quiz\quiz_settings::create($cm->instance)->get_structure()->remove_slot($slot);
        }
        foreach ($entries as $entryid) {
            $versions = $DB->get_fieldset_select('question_versions', 'questionid', 'questionbankentryid = ?', [$entryid]);
            foreach ($versions as $questionid) {
                $question = $DB->get_record('question', ['id' => $questionid]);
                if ($question && question_has_capability_on($question, 'edit')) {
                    question_delete_question($questionid);
                }
            }
        }
        \mod_quiz\quiz_settings::create($cm->instance)->get_grade_calculator()->recompute_quiz_sumgrades();
    }

    /**
     * Sets the quiz's maximum grade (`grade_calculator::update_quiz_maximum_grade()`, which
     * rescales existing grades and updates the grade item); 0 means the total of its questions'
     * marks.
     *
     * @param int $cmid the quiz's course module id
     * @param float $grade the new maximum grade, 0 for the sum of marks
     */
    public static function set_grade(int $cmid, float $grade): void {
        $cm = get_coursemodule_from_id('quiz', $cmid, 0, false, MUST_EXIST);
        $quizobj = \mod_quiz\quiz_settings::create($cm->instance);
        $quiz = $quizobj->get_quiz();
        $quizobj->get_grade_calculator()->update_quiz_maximum_grade($grade > 0 ? $grade : (float) $quiz->sumgrades);
    }

    /**
     * The quiz part of what the quiz functions return: grade, total of marks and the questions.
     *
     * @param int $cmid the quiz's course module id
     * @return array
     */
    public static function export(int $cmid): array {
        global $DB;
        $cm = get_coursemodule_from_id('quiz', $cmid, 0, false, MUST_EXIST);
        $quiz = $DB->get_record('quiz', ['id' => $cm->instance], 'id, grade, sumgrades', MUST_EXIST);
        $questions = [];
        foreach (\mod_quiz\question\bank\qbank_helper::get_question_structure($quiz->id, context_module::instance($cmid))
                as $slot) {
            $questions[] = [
                'slot' => (int) $slot->slot,
                'page' => (int) $slot->page,
                'questionid' => (int) $slot->questionid,
                'type' => (string) $slot->qtype,
                'name' => (string) $slot->name,
                'maxmark' => (float) $slot->maxmark,
            ];
        }
        return [
            'grade' => (float) $quiz->grade,
            'sumgrades' => (float) $quiz->sumgrades,
            'questions' => $questions,
        ];
    }

    /**
     * Loads mod_quiz's constants and functions.
     */
    private static function require_lib(): void {
        global $CFG;
        require_once($CFG->dirroot . '/mod/quiz/lib.php');
        require_once($CFG->dirroot . '/mod/quiz/locallib.php');
    }
}
