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
use local_bridge\local\module_batch;
use local_bridge\local\module_writer;

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->dirroot . '/webservice/tests/helpers.php');

/**
 * Tests of local_bridge_create_modules: every type in one call, idempotence by ID number, a bad
 * item failing alone (found by its checks, or failing while made), and the call's limits.
 *
 * @package    local_bridge
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\external\create_modules
 * @covers     \local_bridge\local\module_batch
 */
final class create_modules_test extends externallib_advanced_testcase {
    /**
     * Items of every type, a bad URL among them (index 2).
     *
     * @param int $draftitemid a draft area of the current user's
     * @return array
     */
    private static function items(int $draftitemid): array {
        $defaults = ['section' => 1, 'intro' => '', 'introformat' => FORMAT_HTML, 'visible' => true];
        return [
            ['modname' => 'page', 'idnumber' => 'p1', 'name' => 'Page 1', 'content' => '<p>One</p>'] + $defaults,
            ['modname' => 'url', 'idnumber' => 'u1', 'name' => 'Link', 'externalurl' => 'https://example.org/'] + $defaults,
            ['modname' => 'url', 'idnumber' => 'bad', 'name' => 'Bad', 'externalurl' => 'javascript:alert(1)'] + $defaults,
            ['modname' => 'forum', 'idnumber' => 'f1', 'name' => 'Forum', 'type' => 'qanda'] + $defaults,
            ['modname' => 'resource', 'idnumber' => 'r1', 'name' => 'File', 'draftitemid' => $draftitemid] + $defaults,
            ['modname' => 'quiz', 'idnumber' => 'q1', 'name' => 'Quiz', 'questions' => [
                ['type' => 'truefalse', 'text' => 'True?', 'textformat' => FORMAT_HTML, 'name' => '', 'points' => 2.0,
                    'generalfeedback' => '', 'answers' => [], 'correctanswer' => true],
            ]] + $defaults,
        ];
    }

    /**
     * A draft area of the current user with one file.
     *
     * @return int its item id
     */
    private static function draft(): int {
        global $USER;
        $draftitemid = file_get_unused_draft_itemid();
        get_file_storage()->create_file_from_string([
            'contextid' => \context_user::instance($USER->id)->id, 'component' => 'user', 'filearea' => 'draft',
            'itemid' => $draftitemid, 'filepath' => '/', 'filename' => 'notes.txt',
        ], 'notes');
        return $draftitemid;
    }

    /**
     * Calls the function and cleans the result as the web service server does.
     *
     * @param int $courseid course id
     * @param array $items the items
     * @return array
     */
    private static function call(int $courseid, array $items): array {
        return external_api::clean_returnvalue(create_modules::execute_returns(), create_modules::execute($courseid, $items));
    }

    /**
     * One call makes a page, a URL, a forum, a file and a quiz; the bad URL fails alone; the same
     * call again makes nothing new.
     */
    public function test_a_batch_makes_every_type_and_a_bad_item_fails_alone(): void {
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course(['numsections' => 2]);
        $teacher = $this->getDataGenerator()->create_and_enrol($course, 'editingteacher');
        $this->setUser($teacher);
        $items = self::items(self::draft());

        $result = self::call($course->id, $items);

        $this->assertSame([['p1', 'created', 'page'], ['u1', 'created', 'url'], ['bad', 'failed', 'url'],
            ['f1', 'created', 'forum'], ['r1', 'created', 'resource'], ['q1', 'created', 'quiz']],
            array_map(fn($m) => [$m['idnumber'], $m['status'], $m['modname']], $result['modules']));
        $this->assertSame('invalidparameter', $result['modules'][2]['errorcode']);
        $this->assertStringContainsString('externalurl', $result['modules'][2]['message']);
        $this->assertSame([['bad', 'invalidparameter']],
            array_map(fn($w) => [$w['item'], $w['warningcode']], $result['warnings']));
        $modinfo = get_fast_modinfo($course->id);
        $this->assertSame(array_column(array_filter($result['modules'], fn($m) => $m['cmid'] > 0), 'cmid'),
            array_map('intval', $modinfo->get_section_info(1)->sequence ? explode(',', $modinfo->get_section_info(1)->sequence)
                : []));
        $quiz = $modinfo->get_cm($result['modules'][5]['cmid']);
        $this->assertEquals(2, \mod_quiz\quiz_settings::create($quiz->instance)->get_quiz()->sumgrades);

        $again = self::call($course->id, $items);
        $this->assertSame(['existed', 'existed', 'failed', 'existed', 'existed', 'existed'],
            array_column($again['modules'], 'status'));
        $this->assertSame(array_column($result['modules'], 'cmid'), array_column($again['modules'], 'cmid'));
        $this->assertCount(5, get_fast_modinfo($course->id)->get_cms());
    }

    /**
     * An item that passes its checks but fails while it is made (here: a module's code throwing)
     * fails alone: the rest are made, and nothing of it stays.
     */
    public function test_an_item_failing_while_made_fails_alone(): void {
        $this->resetAfterTest();
        // Not inside the test's own transaction: the batch undoes its transaction itself.
        $this->preventResetByRollback();
        $course = $this->getDataGenerator()->create_course(['numsections' => 2]);
        $this->setAdminUser();
        $items = self::items(self::draft());
        unset($items[2]);
        $batch = new class(module_writer::for_course($course->id)) extends module_batch {
            /**
             * Makes the item, then fails for the forum, after the forum exists.
             *
             * @param array $plan the item's plan
             * @return int
             */
            protected function create_item(array $plan): int {
                $cmid = parent::create_item($plan);
                if ($plan['item']['idnumber'] === 'f1') {
                    throw new \coding_exception('the forum broke');
                }
                return $cmid;
            }
        };

        $result = $batch->run($items);

        $this->assertSame([['p1', 'created'], ['u1', 'created'], ['f1', 'failed'], ['r1', 'created'], ['q1', 'created']],
            array_map(fn($m) => [$m['idnumber'], $m['status']], $result['modules']), json_encode($result['modules']));
        $this->assertSame('codingerror', $result['modules'][2]['errorcode']);
        $cms = get_fast_modinfo($course->id)->get_cms();
        $this->assertSame(['page', 'url', 'resource', 'quiz'], array_values(array_map(fn($cm) => $cm->modname, $cms)));
        $this->assertSame([], get_fast_modinfo($course->id)->get_instances_of('forum'));
        global $DB;
        $this->assertFalse($DB->record_exists('course_modules', ['course' => $course->id, 'idnumber' => 'f1']));
    }

    /**
     * An item whose ID number another kind of activity has is refused; one made elsewhere with
     * the same kind is returned as existed.
     */
    public function test_an_idnumber_of_another_type_is_refused(): void {
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course();
        $page = $this->getDataGenerator()->create_module('page', ['course' => $course->id, 'idnumber' => 'p1']);
        $this->getDataGenerator()->create_module('forum', ['course' => $course->id, 'idnumber' => 'u1']);
        $this->setAdminUser();
        $items = self::items(0);

        $result = self::call($course->id, [$items[0], $items[1]]);

        $this->assertSame(['existed', (int) $page->cmid], [$result['modules'][0]['status'], $result['modules'][0]['cmid']]);
        $this->assertSame('duplicateidnumber', $result['modules'][1]['errorcode']);
    }

    /**
     * A student may make nothing; more than the maximum of items is refused whole.
     */
    public function test_refusals_of_the_whole_call(): void {
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course();
        $student = $this->getDataGenerator()->create_and_enrol($course, 'student');
        $items = self::items(0);
        $this->setUser($student);
        try {
            self::call($course->id, [$items[0]]);
            $this->fail('a student must be refused');
        } catch (\required_capability_exception $e) {
            $this->assertSame('nopermissions', $e->errorcode);
        }

        $this->setAdminUser();
        $many = [];
        for ($i = 0; $i <= module_batch::MAX_MODULES; $i++) {
            $many[] = ['idnumber' => "p{$i}"] + $items[0];
        }
        try {
            self::call($course->id, $many);
            $this->fail('too many items must be refused');
        } catch (\moodle_exception $e) {
            $this->assertSame('toomanymodules', $e->errorcode);
        }
        $this->assertSame([], get_fast_modinfo($course->id)->get_cms());
    }
}
