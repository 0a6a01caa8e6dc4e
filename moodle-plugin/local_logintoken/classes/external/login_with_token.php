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
use core_external\external_function_parameters;
use core_external\external_single_structure;
use core_external\external_value;
use core_external\external_warnings;
use local_logintoken\local\login_manager;
use local_logintoken\local\token_checker;

/**
 * `local_logintoken_login_with_token`: a one-time login key for the calling token's user.
 *
 * A web service call carries no browser cookies, so it cannot hand over a session. Like
 * `tool_mobile_get_autologin_key`, it returns a short-lived, single-use key and the URL of
 * `auth/logintoken.php` that turns it into a session in the browser that opens it.
 *
 * @package    local_logintoken
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class login_with_token extends external_api {
    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'wantsurl' => new external_value(PARAM_LOCALURL,
                'Local URL to land on after login; empty for the configured redirect URL', VALUE_DEFAULT, ''),
            'ipaddress' => new external_value(PARAM_RAW_TRIMMED,
                'The only address that may redeem the key (the browser\'s); empty for any', VALUE_DEFAULT, ''),
        ]);
    }

    /**
     * Issues the key.
     *
     * @param string $wantsurl local URL to land on, or ''
     * @param string $ipaddress address the key is bound to, or ''
     * @return array the key, its login URL, expiry, the user and warnings
     */
    public static function execute(string $wantsurl = '', string $ipaddress = ''): array {
        global $DB, $USER;

        ['wantsurl' => $wantsurl, 'ipaddress' => $ipaddress] = self::validate_parameters(self::execute_parameters(), [
            'wantsurl' => $wantsurl,
            'ipaddress' => $ipaddress,
        ]);
        if ($ipaddress !== '' && filter_var($ipaddress, FILTER_VALIDATE_IP) === false) {
            throw new \invalid_parameter_exception('ipaddress: not an IP address');
        }
        $context = context_system::instance();
        self::validate_context($context);
        require_capability('local/logintoken:usetoken', $context);

        if (!token_checker::is_enabled()) {
            throw new \moodle_exception('logindisabled', 'local_logintoken');
        }
        if (token_checker::is_https_required() && !is_https()) {
            throw new \moodle_exception('httpsrequired', 'local_logintoken');
        }
        // The token of this call (REST only, as tool_mobile_get_autologin_key reads it) must belong
        // to a service whose tokens may log in, as on auth/logintoken.php.
        $token = required_param('wstoken', PARAM_ALPHANUM);
        $record = $DB->get_record('external_tokens', ['token' => $token, 'userid' => $USER->id], '*', MUST_EXIST);
        $service = $DB->get_record('external_services', ['id' => $record->externalserviceid], '*', MUST_EXIST);
        if (!token_checker::is_service_allowed($service->shortname)) {
            throw new \moodle_exception('servicenotallowed', 'local_logintoken');
        }
        $user = \core_user::get_user($USER->id, '*', MUST_EXIST);
        if (token_checker::refuses_admins() && is_siteadmin($user)) {
            throw new \moodle_exception('adminrefused', 'local_logintoken');
        }
        $key = login_manager::create_login_key($user, $ipaddress, $wantsurl);
        return $key + [
            'user' => login_manager::user_summary($user),
            'warnings' => [],
        ];
    }

    /**
     * Result.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'key' => new external_value(PARAM_ALPHANUMEXT, 'One-time login key'),
            'loginurl' => new external_value(PARAM_URL, 'URL that redeems the key into a browser session'),
            'validuntil' => new external_value(PARAM_INT, 'When the key expires (Unix time)'),
            'user' => validate_token::user_structure(),
            'warnings' => new external_warnings(),
        ]);
    }
}
