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


namespace local_logintoken\local;

use advanced_testcase;
use context_system;
use moodle_url;

/**
 * Tests of the rules of auth/logintoken.php: the token by POST only, no site administrators, and no
 * silent switch of a browser where somebody else is logged in.
 *
 * @package    local_logintoken
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_logintoken\local\endpoint
 * @covers     \local_logintoken\local\pages
 * @covers     \local_logintoken\local\login_manager
 * @covers     \local_logintoken\local\token_checker
 */
final class endpoint_test extends advanced_testcase {
    /**
     * The page set up as the entry script sets it.
     */
    protected function setUp(): void {
        global $PAGE;
        parent::setUp();
        $this->resetAfterTest();
        $PAGE->set_context(context_system::instance());
        $PAGE->set_url(new moodle_url(pages::ENTRY));
    }

    /**
     * A permanent token of the plugin's service.
     *
     * @param int $userid owner
     * @return string
     */
    private function token(int $userid): string {
        global $DB;
        $service = $DB->get_record('external_services', ['shortname' => 'local_logintoken'], '*', MUST_EXIST);
        return \core_external\util::generate_token(EXTERNAL_TOKEN_PERMANENT, $service, $userid, context_system::instance());
    }

    /**
     * What a call prints.
     *
     * @param callable $call the call
     * @return string
     */
    private function output_of(callable $call): string {
        ob_start();
        try {
            $call();
        } finally {
            $output = ob_get_clean();
        }
        return $output;
    }

    /**
     * A GET is answered with the page explaining why the token must be POSTed; a POST with the token
     * in its URL is refused; the setting re-allows both.
     */
    public function test_the_token_is_taken_by_post_only(): void {
        $endpoint = new endpoint('192.0.2.1');
        $accepted = true;
        $page = $this->output_of(function () use ($endpoint, &$accepted) {
            $accepted = $endpoint->accepts_token_transport('GET', true);
        });
        $this->assertFalse($accepted);
        $this->assertStringContainsString(get_string('postrequired', 'local_logintoken'), $page);

        $json = $this->output_of(function () use ($endpoint, &$accepted) {
            $accepted = $endpoint->accepts_token_transport('POST', true);
        });
        $this->assertFalse($accepted);
        $this->assertSame('tokeninurl', json_decode($json, true)['errorcode']);

        $this->assertSame('', $this->output_of(function () use ($endpoint, &$accepted) {
            $accepted = $endpoint->accepts_token_transport('POST', false);
        }));
        $this->assertTrue($accepted);

        set_config('allowget', 1, 'local_logintoken');
        $this->assertSame('', $this->output_of(function () use ($endpoint, &$accepted) {
            $accepted = $endpoint->accepts_token_transport('GET', true);
        }));
        $this->assertTrue($accepted);
    }

    /**
     * Site administrators are refused by default and only then.
     */
    public function test_site_administrators_are_not_logged_in(): void {
        $checker = new token_checker('192.0.2.1');
        $user = $this->getDataGenerator()->create_user();
        $checker->check_may_log_in($user);
        try {
            $checker->check_may_log_in(get_admin());
            $this->fail('an administrator must be refused');
        } catch (login_exception $e) {
            $this->assertSame('adminrefused', $e->get_reason());
            $this->assertSame(403, $e->get_http_status());
        }
        set_config('refuseadmins', 0, 'local_logintoken');
        $checker->check_may_log_in(get_admin());
    }

    /**
     * Who counts as somebody else logged in: another user or a "log in as" session, not the same
     * user, a guest or nobody.
     */
    public function test_who_counts_as_somebody_else(): void {
        $user = $this->getDataGenerator()->create_user();
        $other = $this->getDataGenerator()->create_user();
        $this->assertFalse(login_manager::other_user_logged_in($user), 'nobody logged in');
        $this->setGuestUser();
        $this->assertFalse(login_manager::other_user_logged_in($user), 'a guest');
        $this->setUser($user);
        $this->assertFalse(login_manager::other_user_logged_in($user), 'the same user');
        $this->setUser($other);
        $this->assertTrue(login_manager::other_user_logged_in($user), 'another user');
    }

    /**
     * With somebody else logged in, a token login answers the confirmation page and changes nothing;
     * a confirmation without the session's key is refused.
     */
    public function test_somebody_else_logged_in_is_asked_first(): void {
        global $USER;
        $student = $this->getDataGenerator()->create_user();
        $teacher = $this->getDataGenerator()->create_user();
        $token = $this->token($student->id);
        $this->setUser($teacher);
        $endpoint = new endpoint('192.0.2.1');

        $page = $this->output_of(fn() => $endpoint->login($token, false, '', false));
        $this->assertStringContainsString(get_string('confirmswitch', 'local_logintoken'), $page);
        $this->assertStringContainsString('name="sesskey" value="' . sesskey() . '"', $page);
        $this->assertStringContainsString('name="wstoken"', $page);
        $this->assertEquals($teacher->id, $USER->id, 'still the teacher');

        $json = $this->output_of(fn() => $endpoint->login($token, false, '', true));
        $this->assertSame('invalidsesskey', json_decode($json, true)['errorcode']);
        $this->assertEquals($teacher->id, $USER->id, 'still the teacher');
    }
}
