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

use context_system;
use core_user;
use stdClass;

/**
 * Decides whether a web service token may be turned into a login, following the checks of
 * `webservice::authenticate_user()` plus the plugin's own settings.
 *
 * @package    local_logintoken
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class token_checker {
    /** @var string The client's address. */
    private $remoteaddr;

    /**
     * Creates a checker for requests from an address.
     *
     * @param string $remoteaddr the client's address (`getremoteaddr()`)
     */
    public function __construct(string $remoteaddr) {
        $this->remoteaddr = $remoteaddr;
    }

    /**
     * Whether token login is switched on.
     *
     * @return bool
     */
    public static function is_enabled(): bool {
        return (bool) get_config('local_logintoken', 'enabled');
    }

    /**
     * Whether token login is refused over plain HTTP.
     *
     * @return bool
     */
    public static function is_https_required(): bool {
        return (bool) get_config('local_logintoken', 'requirehttps');
    }

    /**
     * Whether the site still lets the entry script take a token from a URL (old links).
     *
     * @return bool
     */
    public static function is_get_allowed(): bool {
        return (bool) get_config('local_logintoken', 'allowget');
    }

    /**
     * Whether site administrators are refused (the default).
     *
     * @return bool
     */
    public static function refuses_admins(): bool {
        return (bool) get_config('local_logintoken', 'refuseadmins');
    }

    /**
     * Whether a service's tokens may log in (its short name is among the allowed services).
     *
     * @param string $shortname the service's short name
     * @return bool
     */
    public static function is_service_allowed(string $shortname): bool {
        return in_array($shortname, self::allowed_services(), true);
    }

    /**
     * Short names of the services whose tokens may log in.
     *
     * @return string[]
     */
    public static function allowed_services(): array {
        $setting = (string) get_config('local_logintoken', 'allowedservices');
        return array_values(array_filter(array_map('trim', explode(',', $setting)), 'strlen'));
    }

    /**
     * Refuses the request when token login is switched off.
     *
     * @throws login_exception `disabled` (403)
     */
    public function require_enabled(): void {
        if (!self::is_enabled()) {
            throw new login_exception('logindisabled', 403);
        }
    }

    /**
     * Refuses a plain-HTTP request when the site requires HTTPS for token login.
     *
     * @throws login_exception `httpsrequired` (403)
     */
    public function require_https(): void {
        if (self::is_https_required() && !is_https()) {
            throw new login_exception('httpsrequired', 403);
        }
    }

    /**
     * Checks a token and returns its record, user and service.
     *
     * @param string $token the web service token
     * @return array{0: stdClass, 1: stdClass, 2: stdClass} token, user, service
     * @throws login_exception with the reason of the refusal
     */
    public function check_token(string $token): array {
        global $DB;

        if ($token === '') {
            throw new login_exception('missingtoken', 400);
        }
        $record = $DB->get_record('external_tokens', ['token' => $token, 'tokentype' => EXTERNAL_TOKEN_PERMANENT]);
        if (!$record) {
            throw new login_exception('invalidtoken', 401);
        }
        $userid = (int) $record->userid;
        if ($record->validuntil && $record->validuntil < time()) {
            throw new login_exception('tokenexpired', 401, $userid);
        }
        if ($record->iprestriction && !address_in_subnet($this->remoteaddr, $record->iprestriction)) {
            throw new login_exception('iprestricted', 403, $userid);
        }
        $service = $DB->get_record('external_services', ['id' => $record->externalserviceid]);
        if (!$service || !$service->enabled || !self::is_service_allowed($service->shortname)) {
            throw new login_exception('servicenotallowed', 403, $userid);
        }
        if ($service->restrictedusers) {
            $allowed = $DB->get_record('external_services_users', ['externalserviceid' => $service->id, 'userid' => $userid]);
            if (!$allowed || ($allowed->validuntil && $allowed->validuntil < time())
                    || ($allowed->iprestriction && !address_in_subnet($this->remoteaddr, $allowed->iprestriction))) {
                throw new login_exception('servicenotallowed', 403, $userid);
            }
        }
        $user = core_user::get_user($userid);
        if (!$user || $user->deleted) {
            throw new login_exception('invalidtoken', 401);
        }
        $this->check_user($user);
        return [$record, $user, $service];
    }

    /**
     * Checks that a user may be logged in: active, confirmed, with an enabled login method.
     *
     * @param stdClass $user a `user` record
     * @throws login_exception `invalidtoken` (deleted), `usersuspended` or `loginrefused`
     */
    public function check_user(stdClass $user): void {
        $userid = (int) $user->id;
        if ($user->deleted) {
            throw new login_exception('invalidtoken', 401);
        }
        if ($user->suspended) {
            throw new login_exception('usersuspended', 403, $userid);
        }
        if (isguestuser($user) || !$user->confirmed || $user->auth === 'nologin' || !is_enabled_auth($user->auth)) {
            throw new login_exception('loginrefused', 403, $userid);
        }
        if (!has_capability('local/logintoken:usetoken', context_system::instance(), $user)) {
            throw new login_exception('loginrefused', 403, $userid);
        }
    }

    /**
     * Refuses a login of a site administrator while the site refuses them (the default): a stolen
     * administrator token must not become a browser session that can change the whole site.
     *
     * @param stdClass $user a checked `user` record
     * @throws login_exception `adminrefused` (403)
     */
    public function check_may_log_in(stdClass $user): void {
        if (self::refuses_admins() && is_siteadmin($user->id)) {
            throw new login_exception('adminrefused', 403, (int) $user->id);
        }
    }
}
