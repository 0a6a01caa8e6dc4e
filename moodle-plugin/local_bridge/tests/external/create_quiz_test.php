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
use externallib_advanced_testcase;
use mod_quiz\question\display_options;

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->dirroot . '/webservice/tests/helpers.php');

/**
 * Tests of local_bridge_create_quiz and local_bridge_update_quiz: every question type saved through
 * its question type, marks and grade, review options, refusals, and a learner's attempt graded
 * through Moodle's own quiz web services.
 *
 * @package    local_bridge
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\external\create_quiz
 * @covers     \local_bridge\external\update_quiz
 * @covers     \local_bridge\local\quiz_writer
 * @covers     \local_bridge\local\question_writer
 */
final class create_quiz_test extends externallib_advanced_testcase {
    /**
     * One question of every type (5 + 1 + 3 + 4 + 2 = 15 points).
     *
     * @return array
     */
    private static function every_type(): array {
        return [
            ['type' => 'multichoice', 'text' => '<p>2 + 2?</p>', 'points' => 5, 'generalfeedback' => 'Arithmetic.',
                'answers' => [['text' => '4', 'correct' => true, 'feedback' => 'Yes'], ['text' => '5']]],
            ['type' => 'truefalse', 'text' => 'The sky is green.', 'correctanswer' => false, 'feedbackfalse' => 'Right'],
            ['type' => 'multichoice', 'text' => 'Which are even?', 'points' => 3,
                'answers' => [['text' => '2', 'correct' => true], ['text' => '3'], ['text' => '4', 'correct' => true]]],
            ['type' => 'shortanswer', 'text' => 'Symbol of gold?', 'points' => 4,
                'answers' => [['text' => 'Au', 'correct' => true]]],
            ['type' => 'essay', 'text' => 'Describe a pendulum.', 'points' => 2, 'graderinfo' => 'Period.'],
        ];
    }

    /**
     * Creates a quiz as the current user and cleans the result as the web service server does.
     *
     * @param int $courseid course id
     * @param array $questions the questions
     * @param string $idnumber ID number
     * @param int $attempts attempts allowed
     * @return array
     */
    private function create(int $courseid, array $questions, string $idnumber = 'quiz-1', int $attempts = 0): array {
        $result = create_quiz::execute($courseid, 1, 'Checks quiz', $questions, 0.0, $attempts, 1, 0, 0, 0, 1, false,
            '', FORMAT_HTML, $idnumber, true);
        return external_api::clean_returnvalue(create_quiz::execute_returns(), $result);
    }

    /**
     * An editing teacher makes a quiz: each question saved as its type in the course's bank (Moodle
     * 4.x), worth its points, the grade their sum, right answers shown only after the quiz closes.
     */
    public function test_editing_teacher_creates_a_quiz_with_every_question_type(): void {
        global $DB;
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course(['numsections' => 2]);
        $teacher = $this->getDataGenerator()->create_and_enrol($course, 'editingteacher');
        $this->setUser($teacher);

        $result = $this->create($course->id, self::every_type());

        $this->assertSame('quiz', $result['modname']);
        $this->assertSame([['multichoice', 5.0], ['truefalse', 1.0], ['multichoice', 3.0], ['shortanswer', 4.0],
            ['essay', 2.0]], array_map(fn($q) => [$q['type'], $q['maxmark']], $result['questions']));
        $this->assertSame(15.0, $result['grade']);
        $this->assertSame(15.0, $result['sumgrades']);
        $this->assertSame('Q1: 2 + 2?', $result['questions'][0]['name']);
        $quiz = $DB->get_record('quiz', ['id' => $result['instanceid']], '*', MUST_EXIST);
        $this->assertSame(display_options::AFTER_CLOSE, (int) $quiz->reviewrightanswer);
        $this->assertSame(0, (int) $quiz->reviewcorrectness & display_options::DURING);
        $this->assertNotEquals(0, (int) $quiz->reviewmarks & display_options::IMMEDIATELY_AFTER);
        // The multiple-answer question: right choices share the marks, a wrong one takes a share away.
        $fractions = $DB->get_records_menu('question_answers', ['question' => $result['questions'][2]['questionid']],
            'id', 'answer, fraction');
        $this->assertEquals(['2' => 0.5, '3' => -0.5, '4' => 0.5], array_map('floatval', $fractions));
        $this->assertSame('0', $DB->get_field('qtype_multichoice_options', 'single',
            ['questionid' => $result['questions'][2]['questionid']]));
        $context = $DB->get_field_sql('SELECT c.contextlevel FROM {question} q
            JOIN {question_versions} qv ON qv.questionid = q.id
            JOIN {question_bank_entries} qbe ON qbe.id = qv.questionbankentryid
            JOIN {question_categories} qc ON qc.id = qbe.questioncategoryid
            JOIN {context} c ON c.id = qc.contextid WHERE q.id = ?', [$result['questions'][0]['questionid']]);
        $this->assertEquals(CONTEXT_COURSE, $context);
        $item = \grade_item::fetch(['itemmodule' => 'quiz', 'iteminstance' => $result['instanceid']]);
        $this->assertEquals(15, $item->grademax);
    }

    /**
     * A quiz allowing one attempt shows the right answers as soon as it is submitted.
     */
    public function test_one_attempt_quiz_shows_right_answers_after_submission(): void {
        global $DB;
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course();
        $this->setAdminUser();

        $result = $this->create($course->id, self::every_type(), 'once', 1);

        $review = (int) $DB->get_field('quiz', 'reviewrightanswer', ['id' => $result['instanceid']]);
        $this->assertSame(display_options::IMMEDIATELY_AFTER | display_options::LATER_WHILE_OPEN
            | display_options::AFTER_CLOSE, $review);
    }

    /**
     * A student lacks the capabilities to make a quiz.
     */
    public function test_student_is_refused(): void {
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course();
        $student = $this->getDataGenerator()->create_and_enrol($course, 'student');
        $this->setUser($student);

        $this->expectException(\required_capability_exception::class);
        $this->create($course->id, self::every_type());
    }

    /**
     * A question without a right answer is refused, naming it, and nothing is made.
     */
    public function test_question_without_right_answer_is_refused(): void {
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course();
        $this->setAdminUser();
        $questions = self::every_type();
        $questions[2]['answers'][0]['correct'] = false;
        $questions[2]['answers'][2]['correct'] = false;

        try {
            $this->create($course->id, $questions);
            $this->fail('a question without a right answer must be refused');
        } catch (\moodle_exception $e) {
            $this->assertSame('invalidquestion', $e->errorcode);
            $this->assertStringContainsString('Question 3: no answer is marked correct.', $e->getMessage());
        }
        $this->assertSame([], get_fast_modinfo($course->id)->get_instances_of('quiz'));
    }

    /**
     * A learner attempts the quiz through mod_quiz's web services and is graded; then its questions
     * can no longer be replaced, though its settings can still change.
     */
    public function test_update_replaces_questions_until_a_learner_attempts(): void {
        global $DB;
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course();
        $teacher = $this->getDataGenerator()->create_and_enrol($course, 'editingteacher');
        $student = $this->getDataGenerator()->create_and_enrol($course, 'student');
        $this->setUser($teacher);
        $quiz = $this->create($course->id, self::every_type());
        $oldquestion = $quiz['questions'][0]['questionid'];

        $graded = array_slice(self::every_type(), 0, 4);
        $updated = external_api::clean_returnvalue(update_quiz::execute_returns(),
            update_quiz::execute($quiz['cmid'], ['name' => 'Graded quiz'], $graded));
        $this->assertSame('Graded quiz', $updated['name']);
        $this->assertCount(4, $updated['questions']);
        $this->assertSame(13.0, $updated['grade']);
        $this->assertFalse($DB->record_exists('question', ['id' => $oldquestion]));

        $this->setUser($student);
        $attempt = external_api::clean_returnvalue(\mod_quiz_external::start_attempt_returns(),
            \mod_quiz_external::start_attempt($quiz['instanceid']))['attempt'];
        $uid = $attempt['uniqueid'];
        $data = [];
        $right = [1 => ['answer' => '0'], 2 => ['answer' => '0'], 3 => ['choice0' => '1', 'choice2' => '1'],
            4 => ['answer' => 'Au']];
        foreach ($right as $slot => $fields) {
            $data[] = ['name' => "q{$uid}:{$slot}_:sequencecheck", 'value' => '1'];
            foreach ($fields as $name => $value) {
                $data[] = ['name' => "q{$uid}:{$slot}_{$name}", 'value' => $value];
            }
        }
        $state = \mod_quiz_external::process_attempt($attempt['id'], $data, true)['state'];
        $this->assertSame('finished', $state);
        $best = \mod_quiz_external::get_user_best_grade($quiz['instanceid']);
        $this->assertTrue($best['hasgrade']);
        $this->assertEquals(13, $best['grade']);

        $this->setUser($teacher);
        try {
            update_quiz::execute($quiz['cmid'], [], $graded);
            $this->fail('an attempted quiz\'s questions must not be replaced');
        } catch (\moodle_exception $e) {
            $this->assertSame('quizhasattempts', $e->errorcode);
        }
        $renamed = update_quiz::execute($quiz['cmid'], ['name' => 'Still open', 'timeclose' => time() + 3600]);
        $this->assertSame('Still open', $renamed['name']);
        $this->assertCount(4, $renamed['questions']);
    }

    /**
     * update_quiz refuses an activity that is not a quiz.
     */
    public function test_update_of_a_page_is_notaquiz(): void {
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course();
        $page = $this->getDataGenerator()->create_module('page', ['course' => $course->id]);
        $this->setAdminUser();

        $this->expectExceptionMessage(get_string('notaquiz', 'local_bridge', $page->cmid));
        update_quiz::execute($page->cmid, ['name' => 'x']);
    }
}
