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

use local_bridge\local\events\catalogue;
use local_bridge\local\events\origin;
use local_bridge\local\events\outbox;

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->dirroot . '/mod/assign/locallib.php');
require_once($CFG->dirroot . '/mod/quiz/locallib.php');

/**
 * The event outbox: which changes are recorded, with what, when (after the commit, never for a
 * rolled-back change), and the task that publishes rows a dead request left staged.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\observer
 * @covers     \local_bridge\local\events\outbox
 * @covers     \local_bridge\local\events\catalogue
 * @covers     \local_bridge\local\events\origin
 * @covers     \local_bridge\task\publish_staged_events
 */
final class outbox_test extends \advanced_testcase {
    protected function setUp(): void {
        parent::setUp();
        $this->resetAfterTest();
        // Events are published after the outermost commit: the test must not run in a transaction.
        $this->preventResetByRollback();
        origin::set_for_testing(null);
    }

    protected function tearDown(): void {
        origin::set_for_testing(null);
        parent::tearDown();
    }

    /**
     * The published events after an id, short names and rows.
     *
     * @param int $after
     * @return \stdClass[]
     */
    private function events_after(int $after = 0): array {
        global $DB;
        return array_values($DB->get_records_select(outbox::TABLE, 'id > ?', [$after], 'id'));
    }

    /**
     * The short names of rows.
     *
     * @param \stdClass[] $rows
     * @return string[]
     */
    private function names(array $rows): array {
        return array_map(fn($r) => substr(strrchr($r->eventname, '\\'), 1), $rows);
    }

    /**
     * The highest event id now.
     *
     * @return int
     */
    private function newest(): int {
        return outbox::newest_id();
    }

    public function test_a_course_made_from_the_command_line_is_recorded_with_its_names(): void {
        global $DB;
        $this->setAdminUser();
        $course = $this->getDataGenerator()->create_course(['fullname' => 'Physics', 'shortname' => 'PHY']);

        $rows = array_values(array_filter($this->events_after(), fn($r) => $r->eventname === '\core\event\course_created'));
        $this->assertCount(1, $rows);
        $row = $rows[0];
        $this->assertSame([(int) $course->id, (int) $course->id, CONTEXT_COURSE, 2, 'cli', 0, ''],
            [(int) $row->objectid, (int) $row->courseid, (int) $row->contextlevel, (int) $row->userid, $row->origin,
                (int) $row->tokenid, $row->service]);
        $this->assertSame(['fullname' => 'Physics', 'shortname' => 'PHY'], json_decode($row->other, true));
        $this->assertSame(0, $DB->count_records(outbox::STAGE), 'nothing is left staged');
    }

    public function test_a_web_service_change_records_the_token_id_and_service_never_the_token(): void {
        $this->setAdminUser();
        origin::set_for_testing(['origin' => 'ws', 'tokenid' => 42, 'service' => 'bridge']);
        $start = $this->newest();
        $this->getDataGenerator()->create_course();
        $row = $this->events_after($start)[0];
        $this->assertSame(['ws', 42, 'bridge'], [$row->origin, (int) $row->tokenid, $row->service]);
    }

    public function test_a_rolled_back_change_records_nothing(): void {
        global $DB;
        $this->setAdminUser();
        $start = $this->newest();
        $transaction = $DB->start_delegated_transaction();
        $this->getDataGenerator()->create_course();
        try {
            $transaction->rollback(new \moodle_exception('rolledback'));
        } catch (\moodle_exception $e) {
            $this->assertSame('rolledback', $e->errorcode);
        }
        $this->assertSame([], $this->events_after($start));
        $this->assertSame(0, $DB->count_records(outbox::STAGE));
    }

    public function test_a_change_in_a_transaction_is_staged_until_it_commits_then_published(): void {
        global $DB;
        $this->setAdminUser();
        $start = $this->newest();
        $transaction = $DB->start_delegated_transaction();
        $this->getDataGenerator()->create_course();
        $this->assertSame([], $this->events_after($start), 'not published before the commit');
        $this->assertSame(1, $DB->count_records(outbox::STAGE, ['eventname' => '\core\event\course_created']));
        $transaction->allow_commit();
        $this->assertSame(['course_created'], $this->names($this->events_after($start)));
        $this->assertSame(0, $DB->count_records(outbox::STAGE));
    }

    public function test_a_row_a_dead_request_left_staged_is_published_by_the_task_once(): void {
        global $DB;
        $start = $this->newest();
        $row = ['eventname' => '\core\event\course_updated', 'objectid' => 7, 'courseid' => 7, 'contextid' => 99,
            'contextlevel' => CONTEXT_COURSE, 'contextinstanceid' => 7, 'userid' => 2, 'relateduserid' => 0,
            'other' => '{}', 'origin' => 'ws', 'tokenid' => 3, 'service' => 'bridge', 'timecreated' => time() - 3600];
        $stale = $DB->insert_record(outbox::STAGE, (object) $row);
        $fresh = $DB->insert_record(outbox::STAGE, (object) (['timecreated' => time()] + $row));
        // One already published by its request just before it died.
        $done = $DB->insert_record(outbox::STAGE, (object) $row);
        $DB->insert_record(outbox::TABLE, (object) (['stageid' => $done, 'timeadded' => time()] + $row));

        $task = new \local_bridge\task\publish_staged_events();
        ob_start();
        $task->execute();
        $task->execute();
        ob_end_clean();

        $published = $this->events_after($start);
        $this->assertSame([$done, $stale], array_map(fn($r) => (int) $r->stageid, $published));
        $this->assertSame([$fresh], array_map('intval', array_keys($DB->get_records(outbox::STAGE))),
            'a row younger than a minute may belong to a request still running');
    }

    public function test_an_enrolment_a_submission_its_grade_and_a_quiz_attempt_are_recorded(): void {
        $generator = $this->getDataGenerator();
        $course = $generator->create_course();
        $student = $generator->create_user();
        $teacher = $generator->create_and_enrol($course, 'editingteacher');
        $start = $this->newest();
        $generator->enrol_user($student->id, $course->id, 'student');
        $this->assertSame(['user_enrolment_created', 'role_assigned'], $this->names($this->events_after($start)));

        $assigncm = $generator->create_module('assign', ['course' => $course->id, 'submissiondrafts' => 1,
            'assignsubmission_onlinetext_enabled' => 1, 'grade' => 100]);
        $context = \context_module::instance($assigncm->cmid);
        $assign = new \assign($context, get_coursemodule_from_id('assign', $assigncm->cmid), $course);
        $generator->get_plugin_generator('mod_assign')->create_submission(['userid' => $student->id,
            'cmid' => $assigncm->cmid, 'onlinetext' => 'My answer']);
        $start = $this->newest();
        $this->setUser($student);
        $notices = [];
        $this->assertTrue($assign->submit_for_grading((object) ['userid' => $student->id], $notices));
        $this->setUser($teacher);
        $assign->save_grade($student->id, (object) ['grade' => 70, 'attemptnumber' => -1]);

        $rows = $this->events_after($start);
        $this->assertSame(['assessable_submitted', 'user_graded', 'user_graded'], $this->names($rows));
        $this->assertSame([(int) $student->id, (int) $student->id], [(int) $rows[0]->userid, (int) $rows[0]->relateduserid],
            'the learner is named even when they submit themselves');
        $this->assertSame(['submission_editable' => false], json_decode($rows[0]->other, true));
        $item = json_decode($rows[1]->other, true);
        $this->assertSame(['mod', 'assign', (int) $assigncm->id, 70.0],
            [$item['itemtype'], $item['itemmodule'], $item['iteminstance'], (float) $item['finalgrade']]);
        $this->assertSame((int) $teacher->id, (int) $rows[1]->userid);
        $this->assertSame(['course', -1], [json_decode($rows[2]->other, true)['itemtype'], (int) $rows[2]->userid]);

        $quizgenerator = $generator->get_plugin_generator('mod_quiz');
        $quiz = $quizgenerator->create_instance(['course' => $course->id, 'questionsperpage' => 0, 'grade' => 10,
            'sumgrades' => 1]);
        $questiongenerator = $generator->get_plugin_generator('core_question');
        $category = $questiongenerator->create_question_category();
        $question = $questiongenerator->create_question('truefalse', null, ['category' => $category->id]);
        quiz_add_quiz_question($question->id, $quiz);
        $this->setUser($student);
        $attempt = $quizgenerator->create_attempt($quiz->id, $student->id);
        $start = $this->newest();
        $quizgenerator->submit_responses($attempt->id, [1 => 'True'], false, true);

        $rows = $this->events_after($start);
        // Moodle 4.x grades in process_finish(), then triggers attempt_submitted.
        $this->assertSame(['user_graded', 'user_graded', 'attempt_submitted'], $this->names($rows));
        $this->assertSame([(int) $attempt->id, (int) $student->id], [(int) $rows[2]->objectid, (int) $rows[2]->relateduserid]);
        $this->assertSame(['quizid' => (int) $quiz->id], json_decode($rows[2]->other, true));
    }

    public function test_a_deleted_user_goes_out_without_username_or_email(): void {
        $this->setAdminUser();
        $user = $this->getDataGenerator()->create_user(['email' => 'gone@example.com']);
        $start = $this->newest();
        delete_user($user);
        $rows = array_values(array_filter($this->events_after($start), fn($r) => $r->eventname === '\core\event\user_deleted'));
        $this->assertCount(1, $rows);
        $this->assertSame('{}', $rows[0]->other);
        $this->assertSame([(int) $user->id, (int) $user->id], [(int) $rows[0]->objectid, (int) $rows[0]->relateduserid]);
    }

    public function test_with_recording_off_nothing_is_recorded(): void {
        global $DB;
        set_config('recordevents', 0, 'local_bridge');
        $start = $this->newest();
        $this->getDataGenerator()->create_course();
        $this->assertSame([], $this->events_after($start));
        $this->assertSame(0, $DB->count_records(outbox::STAGE));
    }

    public function test_db_events_observes_the_catalogue_twice_each_and_the_token_once(): void {
        global $CFG;
        $observers = [];
        include($CFG->dirroot . '/local/bridge/db/events.php');
        $stage = array_column(array_filter($observers, fn($o) => $o['callback'] === '\local_bridge\observer::stage'),
            'eventname');
        $publish = array_filter($observers, fn($o) => $o['callback'] === '\local_bridge\observer::publish');
        $this->assertSame(array_keys(catalogue::EVENTS), $stage);
        $this->assertSame($stage, array_column($publish, 'eventname'));
        $this->assertTrue(array_reduce($publish, fn($ok, $o) => $ok && $o['internal'] === false, true));
        $this->assertCount(2 * count($stage) + 1, $observers);
    }
}
