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

/**
 * Tests of the token checks behind auth/logintoken.php.
 *
 * @package    local_logintoken
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_logintoken\local\token_checker
 */
final class token_checker_test extends advanced_testcase {
    /**
     * A permanent token of the plugin's service.
     *
     * @param int $userid owner
     * @param int $validuntil expiry, 0 for none
     * @param string $iprestriction allowed addresses
     * @param string $service service short name
     * @return string
     */
    private function token(int $userid, int $validuntil = 0, string $iprestriction = '',
            string $service = 'local_logintoken'): string {
        global $DB;
        $serviceobj = $DB->get_record('external_services', ['shortname' => $service], '*', MUST_EXIST);
        return \core_external\util::generate_token(EXTERNAL_TOKEN_PERMANENT, $serviceobj, $userid,
            context_system::instance(), $validuntil, $iprestriction);
    }

    /**
     * Asserts that a token is refused with a reason and a status.
     *
     * @param string $token the token
     * @param string $reason the expected reason code
     * @param int $status the expected HTTP status
     */
    private function assert_refused(string $token, string $reason, int $status): void {
        try {
            (new token_checker('192.0.2.1'))->check_token($token);
            $this->fail("token should be refused with $reason");
        } catch (login_exception $e) {
            $this->assertSame($reason, $e->get_reason());
            $this->assertSame($status, $e->get_http_status());
        }
    }

    /**
     * A valid token gives its record and user.
     */
    public function test_valid_token_is_accepted(): void {
        $this->resetAfterTest();
        $user = $this->getDataGenerator()->create_user();
        [$record, $checked] = (new token_checker('192.0.2.1'))->check_token($this->token($user->id));
        $this->assertSame((int) $user->id, (int) $checked->id);
        $this->assertSame((int) $user->id, (int) $record->userid);
    }

    /**
     * Each refusal has its reason and status.
     */
    public function test_refusals(): void {
        $this->resetAfterTest();
        $generator = $this->getDataGenerator();
        $user = $generator->create_user();
        $suspended = $generator->create_user(['suspended' => 1]);
        $nologin = $generator->create_user(['auth' => 'nologin']);

        $this->assert_refused('', 'missingtoken', 400);
        $this->assert_refused(str_repeat('0', 32), 'invalidtoken', 401);
        $this->assert_refused($this->token($user->id, time() - 60), 'tokenexpired', 401);
        $this->assert_refused($this->token($user->id, 0, '10.0.0.0/8'), 'iprestricted', 403);
        $this->assert_refused($this->token($suspended->id), 'usersuspended', 403);
        $this->assert_refused($this->token($nologin->id), 'loginrefused', 403);
    }

    /**
     * Only the allowed services' tokens log in.
     */
    public function test_service_must_be_allowed(): void {
        $this->resetAfterTest();
        $user = $this->getDataGenerator()->create_user();
        $token = $this->token($user->id);
        set_config('allowedservices', 'moodle_mobile_app', 'local_logintoken');
        $this->assert_refused($token, 'servicenotallowed', 403);
    }
}
