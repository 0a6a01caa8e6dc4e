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
use context_system;
use context_user;

/**
 * Tests of the checks behind download.php, for each role of the token's user and of the file's owner.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\local\file_download
 * @covers     \local_bridge\local\user_files
 */
final class file_download_test extends advanced_testcase {
    /** @var \stdClass The course. */
    private $course;

    /** @var \stdClass A service that offers local_bridge_list_user_files and file downloads. */
    private $service;

    /**
     * A course, the service, and web services switched on.
     */
    protected function setUp(): void {
        global $DB;
        parent::setUp();
        $this->resetAfterTest();
        set_config('enablewebservices', 1);
        $this->course = $this->getDataGenerator()->create_course();
        $id = $DB->insert_record('external_services', (object) [
            'name' => 'Bridge test', 'shortname' => 'bridgetest', 'enabled' => 1, 'restrictedusers' => 0,
            'downloadfiles' => 1, 'uploadfiles' => 0, 'timecreated' => time(),
        ]);
        $DB->insert_record('external_services_functions', (object) [
            'externalserviceid' => $id, 'functionname' => 'local_bridge_list_user_files',
        ]);
        $this->service = $DB->get_record('external_services', ['id' => $id], '*', MUST_EXIST);
    }

    /**
     * A permanent token of the service for a user.
     *
     * @param int $userid the user
     * @return string
     */
    private function token(int $userid): string {
        return \core_external\util::generate_token(EXTERNAL_TOKEN_PERMANENT, $this->service, $userid,
            context_system::instance());
    }

    /**
     * A private file of a user; returns its id.
     *
     * @param int $userid the owner
     * @return int
     */
    private function private_file(int $userid): int {
        return (int) get_file_storage()->create_file_from_string([
            'contextid' => context_user::instance($userid)->id, 'component' => 'user', 'filearea' => 'private',
            'itemid' => 0, 'filepath' => '/', 'filename' => 'notes.txt',
        ], 'notes')->get_id();
    }

    /**
     * Asserts that authorise() refuses with an error code.
     *
     * @param string $token the token
     * @param int $fileid the file
     * @param string $errorcode expected code
     */
    private function assert_refused(string $token, int $fileid, string $errorcode): void {
        try {
            file_download::authorise($token, (int) $this->course->id, $fileid);
            $this->fail("download should be refused with {$errorcode}");
        } catch (\moodle_exception $e) {
            $this->assertSame($errorcode, $e->errorcode);
            $this->assertArrayHasKey($errorcode, file_download::STATUS, 'the refusal has its own HTTP status');
        }
    }

    /**
     * Token users allowed to download, by their role in the course.
     *
     * @return array
     */
    public static function allowed_roles(): array {
        return ['editing teacher' => ['editingteacher'], 'manager' => ['manager']];
    }

    /**
     * Editing teachers and managers of the course get a learner's file.
     *
     * @dataProvider allowed_roles
     * @param string $role the caller's role
     */
    public function test_staff_with_the_capability_get_a_learners_file(string $role): void {
        $generator = $this->getDataGenerator();
        $caller = $generator->create_and_enrol($this->course, $role);
        $student = $generator->create_and_enrol($this->course, 'student');
        $fileid = $this->private_file($student->id);

        $file = file_download::authorise($this->token($caller->id), (int) $this->course->id, $fileid);
        $this->assertSame($fileid, (int) $file->get_id());
    }

    /**
     * Students and non-editing teachers lack local/bridge:viewuserfiles.
     */
    public function test_students_and_non_editing_teachers_are_refused(): void {
        $generator = $this->getDataGenerator();
        $student = $generator->create_and_enrol($this->course, 'student');
        $fileid = $this->private_file($student->id);
        foreach (['student', 'teacher'] as $role) {
            $caller = $generator->create_and_enrol($this->course, $role);
            $this->assert_refused($this->token($caller->id), $fileid, 'nopermissions');
        }
    }

    /**
     * A teacher whose enrolment is suspended, or who is not enrolled in the course at all, fails the
     * course's login check even though a role assignment may remain.
     */
    public function test_a_teacher_without_an_active_enrolment_is_refused(): void {
        $generator = $this->getDataGenerator();
        $student = $generator->create_and_enrol($this->course, 'student');
        $fileid = $this->private_file($student->id);

        $suspended = $generator->create_user();
        $generator->enrol_user($suspended->id, $this->course->id, 'editingteacher', 'manual', 0, 0, ENROL_USER_SUSPENDED);
        $this->assert_refused($this->token($suspended->id), $fileid, 'requireloginerror');

        $elsewhere = $generator->create_and_enrol($generator->create_course(), 'editingteacher');
        $this->assert_refused($this->token($elsewhere->id), $fileid, 'requireloginerror');
    }

    /**
     * A suspended account's token is refused by the web service authentication.
     */
    public function test_a_suspended_users_token_is_refused(): void {
        global $DB;
        $generator = $this->getDataGenerator();
        $teacher = $generator->create_and_enrol($this->course, 'editingteacher');
        $student = $generator->create_and_enrol($this->course, 'student');
        $token = $this->token($teacher->id);
        $DB->set_field('user', 'suspended', 1, ['id' => $teacher->id]);
        $this->assert_refused($token, $this->private_file($student->id), 'wsaccessusersuspended');
    }

    /**
     * Files of participants who are not learners (a colleague, a manager) are not found.
     */
    public function test_files_of_non_learners_are_not_found(): void {
        $generator = $this->getDataGenerator();
        $teacher = $generator->create_and_enrol($this->course, 'editingteacher');
        $token = $this->token($teacher->id);
        foreach (['editingteacher', 'teacher', 'manager'] as $role) {
            $owner = $generator->create_and_enrol($this->course, $role);
            $this->assert_refused($token, $this->private_file($owner->id), 'filenotfound');
        }
    }

    /**
     * Without the function in the token's service, or with downloads switched off, nothing is sent.
     */
    public function test_service_and_setting_refusals(): void {
        global $DB;
        $generator = $this->getDataGenerator();
        $teacher = $generator->create_and_enrol($this->course, 'editingteacher');
        $student = $generator->create_and_enrol($this->course, 'student');
        $fileid = $this->private_file($student->id);
        $token = $this->token($teacher->id);

        set_config('enabledownload', 0, 'local_bridge');
        $this->assert_refused($token, $fileid, 'downloaddisabled');
        set_config('enabledownload', 1, 'local_bridge');

        $DB->delete_records('external_services_functions', ['externalserviceid' => $this->service->id]);
        $this->assert_refused($token, $fileid, 'accessexception');
    }
}
