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


namespace local_logintoken\external;

use context_system;
use core_external\external_api;
use externallib_advanced_testcase;

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->dirroot . '/webservice/tests/helpers.php');

/**
 * Tests of local_logintoken_login_with_token: the calling token's service must be one whose tokens
 * may log in, and site administrators get no login key while the site refuses them.
 *
 * @package    local_logintoken
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_logintoken\external\login_with_token
 */
final class login_with_token_test extends externallib_advanced_testcase {
    /**
     * Makes the current request carry a token of a service for a user (as the REST server sees it).
     *
     * @param int $userid the token's user
     * @param string $shortname the service's short name
     */
    private function call_with_token_of(int $userid, string $shortname): void {
        global $DB;
        $service = $DB->get_record('external_services', ['shortname' => $shortname], '*', MUST_EXIST);
        $_POST['wstoken'] = \core_external\util::generate_token(EXTERNAL_TOKEN_PERMANENT, $service, $userid,
            context_system::instance());
    }

    /**
     * A token of the plugin's own service gets a one-time key and the URL redeeming it.
     */
    public function test_a_token_of_an_allowed_service_gets_a_login_key(): void {
        $this->resetAfterTest();
        $user = $this->getDataGenerator()->create_user();
        $this->setUser($user);
        $this->call_with_token_of($user->id, 'local_logintoken');

        $result = external_api::clean_returnvalue(login_with_token::execute_returns(),
            login_with_token::execute('/course/view.php?id=1'));
        $this->assertSame((int) $user->id, $result['user']['id']);
        $this->assertStringContainsString('key=' . $result['key'], $result['loginurl']);
    }

    /**
     * A token of a service that is not among the allowed services is refused, as on the entry script.
     */
    public function test_a_token_of_a_service_not_allowed_is_refused(): void {
        global $DB;
        $this->resetAfterTest();
        $user = $this->getDataGenerator()->create_user();
        $this->setUser($user);
        $DB->insert_record('external_services', (object) [
            'name' => 'Other', 'shortname' => 'other', 'enabled' => 1, 'restrictedusers' => 0, 'timecreated' => time(),
        ]);
        $this->call_with_token_of($user->id, 'other');

        try {
            login_with_token::execute();
            $this->fail('a token of a service not allowed must not get a login key');
        } catch (\moodle_exception $e) {
            $this->assertSame('servicenotallowed', $e->errorcode);
        }
        set_config('allowedservices', 'local_logintoken,other', 'local_logintoken');
        $this->assertNotEmpty(login_with_token::execute()['key']);
    }

    /**
     * Site administrators get no login key unless the site allows it.
     */
    public function test_site_administrators_are_refused_by_default(): void {
        $this->resetAfterTest();
        $this->setAdminUser();
        $this->call_with_token_of(get_admin()->id, 'local_logintoken');

        try {
            login_with_token::execute();
            $this->fail('an administrator must not get a login key');
        } catch (\moodle_exception $e) {
            $this->assertSame('adminrefused', $e->errorcode);
        }
        set_config('refuseadmins', 0, 'local_logintoken');
        $this->assertNotEmpty(login_with_token::execute()['key']);
    }
}
