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

    /**
     * Roles that do not make a user a learner.
     *
     * @return array
     */
    public static function non_learner_roles(): array {
        return [
            'editing teacher' => ['editingteacher'],
            'non-editing teacher' => ['teacher'],
            'manager' => ['manager'],
        ];
    }

    /**
     * The files of a participant who holds no student-archetype role are refused, whoever asks.
     *
     * @dataProvider non_learner_roles
     * @param string $role the target's role in the course
     */
    public function test_files_of_a_non_learner_are_refused(string $role): void {
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course();
        $target = $this->getDataGenerator()->create_and_enrol($course, $role);
        $this->setAdminUser();

        try {
            list_user_files::execute($course->id, $target->id);
            $this->fail("the files of a {$role} must not be listed");
        } catch (\moodle_exception $e) {
            $this->assertSame('notalearner', $e->errorcode);
        }
    }

    /**
     * A custom role of the student archetype makes a learner, and so does a student role held
     * besides a teacher role.
     */
    public function test_custom_student_archetype_and_double_roles_are_learners(): void {
        $this->resetAfterTest();
        $generator = $this->getDataGenerator();
        $course = $generator->create_course();
        $pupilrole = create_role('Pupil', 'pupil', 'A student by another name', 'student');
        $pupil = $generator->create_user();
        $generator->enrol_user($pupil->id, $course->id, $pupilrole);
        $both = $generator->create_and_enrol($course, 'teacher');
        $generator->role_assign('student', $both->id, \context_course::instance($course->id));
        $this->setAdminUser();

        foreach ([$pupil, $both] as $user) {
            $result = external_api::clean_returnvalue(list_user_files::execute_returns(),
                list_user_files::execute($course->id, $user->id));
            $this->assertSame([], $result['files']);
            $this->assertSame([], $result['warnings']);
        }
    }

    /**
     * A learner whose enrolment is suspended is no active participant.
     */
    public function test_a_learner_with_a_suspended_enrolment_is_refused(): void {
        $this->resetAfterTest();
        $generator = $this->getDataGenerator();
        $course = $generator->create_course();
        $student = $generator->create_user();
        $generator->enrol_user($student->id, $course->id, 'student', 'manual', 0, 0, ENROL_USER_SUSPENDED);
        $this->setAdminUser();

        $this->expectException(\moodle_exception::class);
        $this->expectExceptionMessage(get_string('usernotenrolled', 'local_bridge', $student->id));
        list_user_files::execute($course->id, $student->id);
    }
}
