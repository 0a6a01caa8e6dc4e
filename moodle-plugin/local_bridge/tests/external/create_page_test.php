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
 * Tests of local_bridge_create_page and local_bridge_create_resource, one per role and refusal.
 *
 * @package    local_bridge
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\external\create_page
 * @covers     \local_bridge\external\create_resource
 * @covers     \local_bridge\local\module_writer
 */
final class create_page_test extends externallib_advanced_testcase {
    /**
     * Creates a page as the current user and cleans the result as the web service server does.
     *
     * @param int $courseid course id
     * @param int $section section number
     * @param string $idnumber ID number
     * @return array
     */
    private function create(int $courseid, int $section = 1, string $idnumber = ''): array {
        $result = create_page::execute($courseid, $section, 'Week 1', '<p>Hello</p>', FORMAT_HTML, '', FORMAT_HTML,
            $idnumber, true);
        return external_api::clean_returnvalue(create_page::execute_returns(), $result);
    }

    /**
     * An editing teacher makes a page with its content in the requested section.
     */
    public function test_editing_teacher_creates_a_page(): void {
        global $DB;
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course(['numsections' => 2]);
        $teacher = $this->getDataGenerator()->create_and_enrol($course, 'editingteacher');
        $this->setUser($teacher);

        $result = $this->create($course->id, 1, 'page-1');

        $this->assertSame('page', $result['modname']);
        $this->assertSame(1, $result['section']);
        $this->assertSame('page-1', $result['idnumber']);
        $this->assertTrue($result['visible']);
        $this->assertSame([], $result['warnings']);
        $cm = get_coursemodule_from_id('page', $result['cmid'], $course->id, false, MUST_EXIST);
        $this->assertSame('page-1', $cm->idnumber);
        $this->assertSame('<p>Hello</p>', $DB->get_field('page', 'content', ['id' => $cm->instance]));
    }

    /**
     * A site administrator may create pages in any course without being enrolled.
     */
    public function test_admin_creates_a_page(): void {
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course();
        $this->setAdminUser();

        $result = $this->create($course->id, 0);

        $this->assertSame(0, $result['section']);
        $this->assertSame((int) $course->id, $result['courseid']);
    }

    /**
     * A student lacks moodle/course:manageactivities.
     */
    public function test_student_is_refused(): void {
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course();
        $student = $this->getDataGenerator()->create_and_enrol($course, 'student');
        $this->setUser($student);

        $this->expectException(\required_capability_exception::class);
        $this->create($course->id);
    }

    /**
     * A second activity with the same ID number in the course is refused, naming the first.
     */
    public function test_duplicate_idnumber_is_refused(): void {
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course();
        $this->setAdminUser();
        $first = $this->create($course->id, 1, 'same');

        $this->expectException(\moodle_exception::class);
        $this->expectExceptionMessage(get_string('duplicateidnumber', 'local_bridge',
            (object) ['idnumber' => 'same', 'cmid' => $first['cmid']]));
        $this->create($course->id, 1, 'same');
    }

    /**
     * A section the course does not have is refused and nothing is made.
     */
    public function test_missing_section_is_refused(): void {
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course(['numsections' => 2]);
        $this->setAdminUser();

        try {
            $this->create($course->id, 9);
            $this->fail('a missing section must be refused');
        } catch (\moodle_exception $e) {
            $this->assertSame('sectionnotfound', $e->errorcode);
        }
        $this->assertSame([], get_fast_modinfo($course->id)->get_instances_of('page'));
    }

    /**
     * A File activity takes the caller's own draft files, never another user's.
     */
    public function test_resource_uses_only_the_callers_draft(): void {
        $this->resetAfterTest();
        $course = $this->getDataGenerator()->create_course();
        $teacher = $this->getDataGenerator()->create_and_enrol($course, 'editingteacher');
        $other = $this->getDataGenerator()->create_and_enrol($course, 'editingteacher');
        // A draft item id is the uploader's: file_get_unused_draft_itemid() needs a logged-in user.
        $this->setUser($teacher);
        $draftitemid = file_get_unused_draft_itemid();
        get_file_storage()->create_file_from_string([
            'contextid' => \context_user::instance($teacher->id)->id, 'component' => 'user', 'filearea' => 'draft',
            'itemid' => $draftitemid, 'filepath' => '/', 'filename' => 'notes.txt',
        ], 'notes');

        $this->setUser($other);
        try {
            create_resource::execute($course->id, 0, 'Notes', $draftitemid);
            $this->fail('another user\'s draft must be refused');
        } catch (\moodle_exception $e) {
            $this->assertSame('invaliddraftitemid', $e->errorcode);
        }

        $this->setUser($teacher);
        $result = external_api::clean_returnvalue(create_resource::execute_returns(),
            create_resource::execute($course->id, 0, 'Notes', $draftitemid));
        $context = \context_module::instance($result['cmid']);
        $files = get_file_storage()->get_area_files($context->id, 'mod_resource', 'content', 0, 'id', false);
        $this->assertSame(['notes.txt'], array_values(array_map(fn($f) => $f->get_filename(), $files)));
    }
}
