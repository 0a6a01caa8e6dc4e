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

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->dirroot . '/webservice/tests/helpers.php');

/**
 * Tests of local_bridge_list_user_files.
 *
 * @package    local_bridge
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\external\list_user_files
 * @covers     \local_bridge\local\user_files
 */
final class list_user_files_test extends externallib_advanced_testcase {
    /**
     * An editing teacher sees a student's private files; the student cannot list a classmate's.
     */
    public function test_teacher_lists_private_files_and_student_is_refused(): void {
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course();
        $teacher = $this->getDataGenerator()->create_and_enrol($course, 'editingteacher');
        $student = $this->getDataGenerator()->create_and_enrol($course, 'student');
        $classmate = $this->getDataGenerator()->create_and_enrol($course, 'student');
        get_file_storage()->create_file_from_string([
            'contextid' => \context_user::instance($student->id)->id, 'component' => 'user', 'filearea' => 'private',
            'itemid' => 0, 'filepath' => '/notes/', 'filename' => 'week1.txt',
        ], 'notes');

        $this->setUser($teacher);
        $result = external_api::clean_returnvalue(list_user_files::execute_returns(),
            list_user_files::execute($course->id, $student->id));
        $this->assertCount(1, $result['files']);
        $this->assertSame('private', $result['files'][0]['source']);
        $this->assertSame('/notes/', $result['files'][0]['filepath']);
        $this->assertSame('week1.txt', $result['files'][0]['filename']);
        $this->assertSame([], $result['warnings']);

        $this->setUser($classmate);
        $this->expectException(\required_capability_exception::class);
        list_user_files::execute($course->id, $student->id);
    }

    /**
     * Somebody who is not a participant of the course is refused.
     */
    public function test_non_participant_is_refused(): void {
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course();
        $outsider = $this->getDataGenerator()->create_user();
        $this->setAdminUser();

        $this->expectException(\moodle_exception::class);
        $this->expectExceptionMessage(get_string('usernotenrolled', 'local_bridge', $outsider->id));
        list_user_files::execute($course->id, $outsider->id);
    }
}
