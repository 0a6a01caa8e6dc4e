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

namespace local_bridge\privacy;

use core_privacy\local\metadata\collection;
use core_privacy\local\request\approved_contextlist;
use core_privacy\local\request\approved_userlist;
use core_privacy\local\request\userlist;
use core_privacy\local\request\writer;
use core_privacy\tests\provider_testcase;
use local_bridge\local\events\outbox;

/**
 * The privacy provider of the event outbox: what it declares, and that a user's events are
 * found, exported and deleted by context and by user.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\privacy\provider
 */
final class provider_test extends provider_testcase {
    /**
     * A course with a learner enrolled by the admin (events about the learner in the course
     * context) and another user updated (an event in their user context).
     *
     * @return array [course context, learner, other user]
     */
    private function make_events(): array {
        // Events are published after the outermost commit: the test must not run in a transaction.
        $this->preventResetByRollback();
        $this->setAdminUser();
        $generator = $this->getDataGenerator();
        $course = $generator->create_course();
        $learner = $generator->create_and_enrol($course, 'student');
        $other = $generator->create_user();
        user_update_user((object) ['id' => $other->id, 'firstname' => 'Changed'], false);
        return [\context_course::instance($course->id), $learner, $other];
    }

    /**
     * Events naming a user.
     *
     * @param int $userid
     * @return int
     */
    private function count_of(int $userid): int {
        global $DB;
        return $DB->count_records_select(outbox::TABLE, 'userid = ? OR relateduserid = ?', [$userid, $userid]);
    }

    public function test_metadata_declares_both_tables_and_the_web_service_that_sends_them_out(): void {
        $items = provider::get_metadata(new collection('local_bridge'))->get_collection();
        $names = array_map(fn($i) => $i->get_name(), $items);
        $this->assertSame(['local_bridge_events', 'local_bridge_event_stage', 'local_bridge_get_events'], $names);
        $this->assertArrayHasKey('relateduserid', $items[0]->get_privacy_fields());
    }

    public function test_a_learners_events_are_found_in_the_course_and_their_own_context_and_exported(): void {
        $this->resetAfterTest();
        [$coursecontext, $learner] = $this->make_events();
        $usercontext = \context_user::instance($learner->id);
        $contexts = provider::get_contexts_for_userid($learner->id)->get_contextids();
        sort($contexts);
        $expected = [(int) $coursecontext->id, (int) $usercontext->id];
        sort($expected);
        $this->assertSame($expected, array_map('intval', $contexts));

        $this->export_context_data_for_user($learner->id, $coursecontext, 'local_bridge');
        $data = writer::with_context($coursecontext)->get_data([get_string('privacy:path:events', 'local_bridge')]);
        $this->assertSame(['\core\event\user_enrolment_created', '\core\event\role_assigned'],
            array_column($data->events, 'event'));
    }

    public function test_deleting_a_users_data_removes_every_event_naming_them_and_only_those(): void {
        $this->resetAfterTest();
        [$coursecontext, $learner, $other] = $this->make_events();
        $this->assertGreaterThan(0, $this->count_of($learner->id));
        $others = $this->count_of($other->id);
        $contextlist = new approved_contextlist($learner, 'local_bridge',
            [\context_user::instance($learner->id)->id]);
        provider::delete_data_for_user($contextlist);
        $this->assertSame(0, $this->count_of($learner->id));
        $this->assertSame($others, $this->count_of($other->id));
        $this->assertNotEmpty($coursecontext);
    }

    public function test_a_contexts_users_are_listed_and_deleted(): void {
        global $DB;
        $this->resetAfterTest();
        [$coursecontext, $learner] = $this->make_events();
        $userlist = new userlist($coursecontext, 'local_bridge');
        provider::get_users_in_context($userlist);
        $userids = $userlist->get_userids();
        sort($userids);
        $this->assertSame([2, (int) $learner->id], array_map('intval', $userids), 'the admin acted, the learner was enrolled');

        provider::delete_data_for_users(new approved_userlist($coursecontext, 'local_bridge', [$learner->id]));
        $this->assertSame(0, $DB->count_records_select(outbox::TABLE, 'contextid = ? AND relateduserid = ?',
            [$coursecontext->id, $learner->id]));
        $this->assertSame(['\core\event\user_created'], array_values($DB->get_fieldset_select(outbox::TABLE, 'eventname',
            'relateduserid = ?', [$learner->id])), 'their events elsewhere stay');
    }

    public function test_deleting_a_context_removes_its_events(): void {
        global $DB;
        $this->resetAfterTest();
        [$coursecontext] = $this->make_events();
        $this->assertGreaterThan(0, $DB->count_records(outbox::TABLE, ['contextid' => $coursecontext->id]));
        provider::delete_data_for_all_users_in_context($coursecontext);
        $this->assertSame(0, $DB->count_records(outbox::TABLE, ['contextid' => $coursecontext->id]));
    }
}
