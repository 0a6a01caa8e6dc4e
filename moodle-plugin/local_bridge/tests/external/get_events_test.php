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
use local_bridge\local\events\origin;
use local_bridge\local\events\outbox;

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->dirroot . '/webservice/tests/helpers.php');
require_once($CFG->dirroot . '/mod/assign/locallib.php');

/**
 * Tests of local_bridge_get_events: the order and the cursor, who sees which event, the
 * caller's own writes, the refusals, the purge and the wait at a missing id.
 *
 * @package    local_bridge
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\external\get_events
 * @covers     \local_bridge\local\events\access
 * @covers     \local_bridge\local\events\outbox
 * @covers     \local_bridge\task\purge_events
 */
final class get_events_test extends externallib_advanced_testcase {
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
     * Calls the function as the current user, cleaned as the server does.
     *
     * @param int $afterid
     * @param int $limit
     * @return array
     */
    private function read(int $afterid, int $limit = 500): array {
        return external_api::clean_returnvalue(get_events::execute_returns(), get_events::execute($afterid, $limit));
    }

    /**
     * The (short name, course id) of the events a user reads after a cursor.
     *
     * @param int $afterid
     * @return array
     */
    private function seen(int $afterid): array {
        return array_map(fn($e) => [substr(strrchr($e['eventname'], '\\'), 1), $e['courseid']],
            $this->read($afterid)['events']);
    }

    public function test_events_come_in_order_and_the_cursor_pages_through_them(): void {
        $this->setAdminUser();
        $start = outbox::newest_id();
        $courses = [];
        foreach (['A', 'B', 'C'] as $name) {
            $courses[] = (int) $this->getDataGenerator()->create_course(['shortname' => $name])->id;
        }
        $first = $this->read($start, 2);
        $this->assertSame([[$courses[0], 'course_created'], [$courses[1], 'course_created']],
            array_map(fn($e) => [$e['objectid'], substr(strrchr($e['eventname'], '\\'), 1)], $first['events']));
        $this->assertSame([$first['events'][1]['id'], true], [$first['lastid'], $first['more']]);
        $rest = $this->read($first['lastid'], 2);
        $this->assertSame([$courses[2]], array_column($rest['events'], 'objectid'));
        $this->assertSame([$rest['events'][0]['id'], false, $rest['lastid']], [$rest['lastid'], $rest['more'],
            $rest['newestid']]);
        $event = $rest['events'][0];
        $this->assertSame(['cli', '', false], [$event['origin'], $event['service'], $event['viacallertoken']]);
        $this->assertSame('C', json_decode($event['other'], true)['shortname']);
    }

    public function test_limits_out_of_range_and_a_negative_cursor_are_refused(): void {
        $this->setAdminUser();
        foreach ([[0, 0], [0, 501], [-1, 10]] as [$afterid, $limit]) {
            try {
                get_events::execute($afterid, $limit);
                $this->fail("afterid {$afterid}, limit {$limit} was accepted");
            } catch (\invalid_parameter_exception $e) {
                $this->assertSame('invalidparameter', $e->errorcode);
            }
        }
    }

    public function test_only_the_token_that_made_a_change_reads_it_as_its_own(): void {
        $this->setAdminUser();
        $start = outbox::newest_id();
        origin::set_for_testing(['origin' => 'ws', 'tokenid' => 7, 'service' => 'bridge']);
        $this->getDataGenerator()->create_course();
        $this->assertTrue($this->read($start)['events'][0]['viacallertoken']);
        origin::set_for_testing(['origin' => 'ws', 'tokenid' => 8, 'service' => 'bridge']);
        $other = $this->read($start)['events'][0];
        $this->assertSame([false, 'bridge', 'ws'], [$other['viacallertoken'], $other['service'], $other['origin']]);
    }

    public function test_a_learner_sees_their_own_events_and_their_course_but_no_grades_or_other_learners(): void {
        $generator = $this->getDataGenerator();
        $this->setAdminUser();
        $start = outbox::newest_id();
        $mine = $generator->create_course();
        $other = $generator->create_course();
        $learner = $generator->create_and_enrol($mine, 'student');
        $generator->create_and_enrol($mine, 'student');
        $generator->create_and_enrol($other, 'student');
        $assigncm = $generator->create_module('assign', ['course' => $mine->id, 'grade' => 100]);
        $assign = new \assign(\context_module::instance($assigncm->cmid), get_coursemodule_from_id('assign', $assigncm->cmid),
            $mine);
        $assign->save_grade($learner->id, (object) ['grade' => 55, 'attemptnumber' => -1]);

        $this->setUser($learner);
        $this->assertSame([
            ['course_created', (int) $mine->id],
            ['user_created', 0],
            ['user_enrolment_created', (int) $mine->id],
            ['role_assigned', (int) $mine->id],
            ['course_module_created', (int) $mine->id],
        ], $this->seen($start));
        $all = outbox::newest_id();
        $this->assertSame($all, $this->read($start)['lastid'], 'the cursor passes what they may not see');
    }

    public function test_a_teacher_sees_their_courses_grades_and_nothing_of_other_courses(): void {
        $generator = $this->getDataGenerator();
        $this->setAdminUser();
        $course = $generator->create_course();
        $elsewhere = $generator->create_course();
        $teacher = $generator->create_and_enrol($course, 'teacher');
        $learner = $generator->create_and_enrol($course, 'student');
        $assigncm = $generator->create_module('assign', ['course' => $course->id, 'grade' => 100]);
        $assign = new \assign(\context_module::instance($assigncm->cmid), get_coursemodule_from_id('assign', $assigncm->cmid),
            $course);
        $start = outbox::newest_id();
        $generator->create_and_enrol($elsewhere, 'student');
        $assign->save_grade($learner->id, (object) ['grade' => 55, 'attemptnumber' => -1]);

        $this->setUser($teacher);
        $this->assertSame([['user_graded', (int) $course->id], ['user_graded', (int) $course->id]], $this->seen($start),
            'a non-editing teacher sees grades (moodle/grade:viewall) but not enrolments (moodle/course:enrolreview)');
    }

    public function test_a_deleted_course_is_left_to_those_who_view_every_course_except_ones_own_unenrolment(): void {
        $generator = $this->getDataGenerator();
        $this->setAdminUser();
        $course = $generator->create_course();
        $learner = $generator->create_and_enrol($course, 'student');
        $start = outbox::newest_id();
        delete_course($course, false);

        $this->setUser($learner);
        $this->assertSame([['role_unassigned', (int) $course->id], ['user_enrolment_deleted', (int) $course->id]],
            $this->seen($start));
        $manager = $generator->create_user();
        $generator->role_assign('manager', $manager->id, \context_system::instance()->id);
        $this->setUser($manager);
        $this->assertContains(['course_deleted', (int) $course->id], $this->seen($start));
    }

    public function test_user_events_need_viewalldetails_except_ones_own(): void {
        $generator = $this->getDataGenerator();
        $this->setAdminUser();
        $one = $generator->create_user();
        $two = $generator->create_user();
        $start = outbox::newest_id();
        user_update_user((object) ['id' => $one->id, 'firstname' => 'Uno'], false);
        user_update_user((object) ['id' => $two->id, 'firstname' => 'Dos'], false);
        $this->setUser($one);
        $this->assertSame([(int) $one->id], array_column($this->read($start)['events'], 'relateduserid'));
        $this->setAdminUser();
        $this->assertCount(2, $this->read($start)['events']);
    }

    public function test_a_reader_behind_the_purge_is_warned_and_newest_id_remembers_purged_ids(): void {
        global $DB;
        $this->setAdminUser();
        $start = outbox::newest_id();
        foreach (['P1', 'P2', 'P3'] as $name) {
            $this->getDataGenerator()->create_course(['shortname' => $name]);
        }
        $newest = outbox::newest_id();
        $DB->set_field_select(outbox::TABLE, 'timeadded', time() - 8 * DAYSECS, 'id > ?', [$start]);
        ob_start();
        (new \local_bridge\task\purge_events())->execute();
        ob_end_clean();
        $this->assertSame(0, $DB->count_records(outbox::TABLE));
        $behind = $this->read($start + 1);
        $this->assertSame([], $behind['events']);
        $this->assertSame(['eventspurged', $newest], [$behind['warnings'][0]['warningcode'], $behind['warnings'][0]['itemid']]);
        $this->assertSame([$start + 1, $newest], [$behind['lastid'], $behind['newestid']]);
        $this->assertSame([], $this->read($newest)['warnings']);
    }

    public function test_a_reader_waits_at_a_missing_id_while_the_next_row_is_recent(): void {
        global $DB;
        $this->setAdminUser();
        $start = outbox::newest_id();
        foreach (['G1', 'G2', 'G3'] as $name) {
            $this->getDataGenerator()->create_course(['shortname' => $name]);
        }
        $ids = array_map('intval', array_keys($DB->get_records_select(outbox::TABLE, 'id > ?', [$start], 'id', 'id')));
        // The second one's publish has not committed yet.
        $DB->delete_records(outbox::TABLE, ['id' => $ids[1]]);
        $held = $this->read($start);
        $this->assertSame([[$ids[0]], $ids[0], false],
            [array_column($held['events'], 'id'), $held['lastid'], $held['more']]);
        $DB->set_field(outbox::TABLE, 'timeadded', time() - outbox::HOLD - 1, ['id' => $ids[2]]);
        $passed = $this->read($ids[0]);
        $this->assertSame([$ids[2]], array_column($passed['events'], 'id'),
            'after the hold the missing id is taken as rolled back');
    }
}
