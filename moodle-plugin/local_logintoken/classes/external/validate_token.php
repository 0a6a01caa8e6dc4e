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
use local_logintoken\local\login_manager;
use local_logintoken\local\token_checker;

/**
 * `local_logintoken_validate_token`: the seed's validation answer for the calling token.
 *
 * @package    local_logintoken
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class validate_token extends external_api {
    /**
     * Parameters: none, the token validated is the one the call is made with.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([]);
    }

    /**
     * Describes the calling token.
     *
     * @return array
     */
    public static function execute(): array {
        global $DB, $USER;

        self::validate_parameters(self::execute_parameters(), []);
        $context = context_system::instance();
        self::validate_context($context);
        require_capability('local/logintoken:usetoken', $context);

        if (!token_checker::is_enabled()) {
            throw new \moodle_exception('logindisabled', 'local_logintoken');
        }
        // The token of this call, as tool_mobile_get_autologin_key reads it (REST only).
        $token = required_param('wstoken', PARAM_ALPHANUM);
        $record = $DB->get_record('external_tokens', ['token' => $token, 'userid' => $USER->id], '*', MUST_EXIST);
        $user = \core_user::get_user($USER->id, '*', MUST_EXIST);
        return [
            'valid' => true,
            'message' => get_string('tokenvalid', 'local_logintoken'),
            'user' => login_manager::user_summary($user),
            'token_info' => login_manager::token_info($record),
        ];
    }

    /**
     * Result.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'valid' => new external_value(PARAM_BOOL, 'Whether the token is valid'),
            'message' => new external_value(PARAM_TEXT, 'Human-readable result'),
            'user' => self::user_structure(),
            'token_info' => new external_single_structure([
                'created' => new external_value(PARAM_INT, 'When the token was made (Unix time)'),
                'last_access' => new external_value(PARAM_INT, 'Last use (Unix time), 0 when never used'),
                'valid_until' => new external_value(PARAM_INT, 'Expiry (Unix time), 0 when it never expires'),
            ]),
        ]);
    }

    /**
     * The user as the seed describes it, shared with login_with_token.
     *
     * @return external_single_structure
     */
    public static function user_structure(): external_single_structure {
        return new external_single_structure([
            'id' => new external_value(PARAM_INT, 'User id'),
            'username' => new external_value(PARAM_RAW, 'Username'),
            'firstname' => new external_value(PARAM_NOTAGS, 'First name'),
            'lastname' => new external_value(PARAM_NOTAGS, 'Last name'),
            'email' => new external_value(PARAM_RAW, 'Email address'),
            'fullname' => new external_value(PARAM_NOTAGS, 'Full name'),
        ]);
    }
}
