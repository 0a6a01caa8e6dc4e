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

use advanced_testcase;
use core\lock\lock_config;
use moodle_exception;

/**
 * Tests of the course lock every create and update holds (module_writer::locked()).
 *
 * The locks are database records here (`db_record_lock_factory`), which a second factory in the
 * same process sees as another process would; PostgreSQL's advisory locks are shared within one
 * connection, so they cannot show it in a test. The real-Moodle plugin checks send simultaneous
 * calls instead (scripts/lib/plugin_checks_bridge.py, plugin_checks_batch.py).
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\local\module_writer
 */
final class module_writer_test extends advanced_testcase {
    /**
     * Whether another process could take the course's lock now (taken and given back at once).
     *
     * @param int $courseid course id
     * @return bool
     */
    private function free(int $courseid): bool {
        $lock = lock_config::get_lock_factory('local_bridge')->get_lock('course_' . $courseid, 0);
        if (!$lock) {
            return false;
        }
        $lock->release();
        return true;
    }

    /**
     * A course, an editing teacher as the current user, and database locks.
     *
     * @return \stdClass the course
     */
    private function setup_course(): \stdClass {
        global $CFG;
        $this->resetAfterTest();
        $CFG->lock_factory = '\\core\\lock\\db_record_lock_factory';
        $course = $this->getDataGenerator()->create_course(['numsections' => 1]);
        $this->setUser($this->getDataGenerator()->create_and_enrol($course, 'editingteacher'));
        return $course;
    }

    /**
     * Making an activity holds the course's lock until the activity is committed, then lets it go.
     */
    public function test_create_holds_the_course_lock_while_it_writes(): void {
        $course = $this->setup_course();
        $writer = module_writer::for_course($course->id);
        $freeinside = null;
        $params = ['section' => 1, 'name' => 'Locked page', 'intro' => '', 'introformat' => FORMAT_HTML,
            'idnumber' => 'locked-1', 'visible' => true];
        $result = $writer->create_checked('page', $params, ['content' => 'x', 'contentformat' => FORMAT_HTML],
            function() use (&$freeinside, $course) {
                $freeinside = $this->free($course->id);
            });

        $this->assertFalse($freeinside);
        $this->assertTrue($this->free($course->id));
        $this->assertSame('locked-1', $result['idnumber']);
    }

    /**
     * Updating an activity holds the lock as well.
     */
    public function test_update_holds_the_course_lock_while_it_writes(): void {
        $course = $this->setup_course();
        $page = $this->getDataGenerator()->create_module('page', ['course' => $course->id]);
        $cm = get_coursemodule_from_id('page', $page->cmid, $course->id, false, MUST_EXIST);
        $freeinside = null;
        module_writer::for_course($course->id)->update_checked($cm, ['idnumber' => 'renumbered'],
            function() use (&$freeinside, $course) {
                $freeinside = $this->free($course->id);
            });

        $this->assertFalse($freeinside);
        $this->assertTrue($this->free($course->id));
    }

    /**
     * While another call holds the lock, a call waits for it, then gives up with coursebusy
     * without doing its work.
     */
    public function test_a_call_that_cannot_get_the_lock_is_coursebusy_and_does_nothing(): void {
        $course = $this->setup_course();
        $other = lock_config::get_lock_factory('local_bridge')->get_lock('course_' . $course->id, 0);
        $this->assertNotFalse($other);
        $ran = false;
        try {
            module_writer::for_course($course->id)->locked(function() use (&$ran) {
                $ran = true;
            }, 1);
            $this->fail('the lock was taken twice');
        } catch (moodle_exception $e) {
            $this->assertSame('coursebusy', $e->errorcode);
        } finally {
            $other->release();
        }
        $this->assertFalse($ran);
        $this->assertTrue($this->free($course->id));
    }
}
