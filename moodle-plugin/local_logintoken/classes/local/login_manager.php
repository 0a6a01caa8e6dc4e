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

use moodle_url;
use stdClass;

/**
 * Turns a checked user into a browser session, and issues and redeems the one-time login keys
 * of `local_logintoken_login_with_token` (modelled on `tool_mobile\api::get_autologin_key()`).
 *
 * @package    local_logintoken
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class login_manager {
    /** @var string The `user_private_key.script` of login keys. */
    const KEY_SCRIPT = 'local_logintoken';

    /** @var int Seconds a login key stays valid. */
    const KEY_TTL = 60;

    /**
     * The user as the seed's answers describe it.
     *
     * @param stdClass $user a `user` record
     * @return array{id: int, username: string, firstname: string, lastname: string, email: string, fullname: string}
     */
    public static function user_summary(stdClass $user): array {
        return [
            'id' => (int) $user->id,
            'username' => $user->username,
            'firstname' => $user->firstname,
            'lastname' => $user->lastname,
            'email' => $user->email,
            'fullname' => fullname($user),
        ];
    }

    /**
     * The token's times as the seed's validation answer describes them (0 = never).
     *
     * @param stdClass $token an `external_tokens` record
     * @return array{created: int, last_access: int, valid_until: int}
     */
    public static function token_info(stdClass $token): array {
        return [
            'created' => (int) $token->timecreated,
            'last_access' => (int) $token->lastaccess,
            'valid_until' => (int) $token->validuntil,
        ];
    }

    /**
     * Where a logged-in user goes: the requested local URL, else the configured one, else the site.
     *
     * @param string $wantsurl a local URL (already cleaned as PARAM_LOCALURL), or ''
     * @return string
     */
    public static function redirect_url(string $wantsurl): string {
        global $CFG;
        if ($wantsurl !== '') {
            return (new moodle_url($wantsurl))->out(false);
        }
        $configured = (string) get_config('local_logintoken', 'redirecturl');
        return $configured !== '' ? $configured : $CFG->wwwroot . '/';
    }

    /**
     * Logs a user in with a real Moodle session in a new session id (`complete_user_login()`
     * regenerates it and ends the browser's old one). The endpoint calls it only when nobody else
     * is logged in in the browser (see other_user_logged_in()).
     *
     * @param stdClass $user a checked `user` record
     * @return string the new session id
     */
    public static function log_in(stdClass $user): string {
        $complete = get_complete_user_data('id', $user->id);
        if (!$complete) {
            throw new login_exception('invalidtoken', 401);
        }
        complete_user_login($complete);
        \core\session\manager::apply_concurrent_login_limit($complete->id, session_id());
        return session_id();
    }

    /**
     * Issues a one-time login key for a user, replacing their earlier ones.
     *
     * @param stdClass $user the user the key logs in
     * @param string $ipaddress the only address that may redeem it, or '' for any
     * @param string $wantsurl where to go after login (local URL), or ''
     * @return array{key: string, loginurl: string, validuntil: int}
     */
    public static function create_login_key(stdClass $user, string $ipaddress, string $wantsurl): array {
        delete_user_key(self::KEY_SCRIPT, $user->id);
        $validuntil = time() + self::KEY_TTL;
        $key = create_user_key(self::KEY_SCRIPT, $user->id, null, $ipaddress !== '' ? $ipaddress : null, $validuntil);
        $params = ['userid' => $user->id, 'key' => $key];
        if ($wantsurl !== '') {
            $params['wantsurl'] = $wantsurl;
        }
        $url = new moodle_url('/local/logintoken/auth/logintoken.php', $params);
        return ['key' => $key, 'loginurl' => $url->out(false), 'validuntil' => $validuntil];
    }

    /**
     * Checks a login key: it exists, belongs to the user, is unexpired and comes from the right
     * address. It stays valid until use_login_key().
     *
     * @param string $key the key
     * @param int $userid the user it must belong to
     * @return stdClass the key's user
     * @throws login_exception `invalidkey` (401)
     */
    public static function check_login_key(string $key, int $userid): stdClass {
        try {
            $record = validate_user_key($key, self::KEY_SCRIPT, null);
        } catch (\moodle_exception $e) {
            // Unknown, expired or from another address: the same answer for all three.
            throw new login_exception('invalidkey', 401);
        }
        if ((int) $record->userid !== $userid) {
            throw new login_exception('invalidkey', 401);
        }
        $user = \core_user::get_user($userid);
        if (!$user) {
            throw new login_exception('invalidkey', 401);
        }
        return $user;
    }

    /**
     * Uses up a user's login keys, so a key logs in once.
     *
     * @param int $userid the user
     */
    public static function use_login_key(int $userid): void {
        delete_user_key(self::KEY_SCRIPT, $userid);
    }

    /**
     * Whether somebody other than this user is logged in in the current browser session (a
     * "log in as" session counts as somebody else: its real user is another person).
     *
     * @param stdClass $user the user about to be logged in
     * @return bool
     */
    public static function other_user_logged_in(stdClass $user): bool {
        global $USER;
        if (!isloggedin() || isguestuser()) {
            return false;
        }
        return (int) $USER->id !== (int) $user->id || \core\session\manager::is_loggedinas();
    }
}
