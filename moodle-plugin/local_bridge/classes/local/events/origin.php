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

namespace local_bridge\local\events;

/**
 * Where the current request comes from, for the event outbox: the same `origin` the standard
 * log records (`moodle_page::magic_get_requestorigin()`: `restore`, `ws`, `cli` or `web`), and for
 * web-service requests the id of the token (never the token itself) and its service's short name.
 *
 * Moodle keeps the token of a web-service request in a protected property of the server, which
 * the REST and SOAP servers fill from the request's `wstoken` parameter. `capture()` (observing
 * `\core\event\webservice_function_called`, triggered after authentication and before the
 * function runs) keeps that parameter for the request: some functions replace `$_POST` while they
 * run (mod_quiz_process_attempt hands its `data` to the question engine that way), so reading it
 * later can find nothing.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class origin {
    /** @var array|null the token of this request: [tokenid, service short name], cached */
    private static $token = null;

    /** @var string|null the wstoken parameter, kept when the function started */
    private static $wstoken = null;

    /** @var array|null what tests make the request look like */
    private static $testing = null;

    /**
     * The origin of the current request.
     *
     * @return array{origin: string, tokenid: int, service: string}
     */
    public static function current(): array {
        if (self::$testing !== null) {
            return self::$testing;
        }
        $origin = self::request_origin();
        if ($origin !== 'ws') {
            return ['origin' => $origin, 'tokenid' => 0, 'service' => ''];
        }
        [$tokenid, $service] = self::token();
        return ['origin' => 'ws', 'tokenid' => $tokenid, 'service' => $service];
    }

    /**
     * `$PAGE->requestorigin` without touching `$PAGE`: restore, then web services, then CLI
     * (cron included), else a browser request (AJAX included).
     *
     * @return string
     */
    private static function request_origin(): string {
        if (class_exists('\restore_controller', false) && \restore_controller::is_executing()) {
            return 'restore';
        }
        if (defined('WS_SERVER') && WS_SERVER) {
            return 'ws';
        }
        if (defined('CLI_SCRIPT') && CLI_SCRIPT) {
            return 'cli';
        }
        return 'web';
    }

    /**
     * The token of this web-service request, looked up once per request.
     *
     * @return array [token id or 0, service short name or '']
     */
    private static function token(): array {
        global $DB;
        if (self::$token === null) {
            self::$token = [0, ''];
            $token = self::$wstoken ?? optional_param('wstoken', '', PARAM_ALPHANUM);
            if ($token !== '') {
                $row = $DB->get_record_sql(
                    'SELECT t.id, s.shortname
                       FROM {external_tokens} t
                  LEFT JOIN {external_services} s ON s.id = t.externalserviceid
                      WHERE t.token = ?',
                    [$token]
                );
                if ($row) {
                    self::$token = [(int) $row->id, (string) ($row->shortname ?? '')];
                }
            }
        }
        return self::$token;
    }

    /**
     * Keeps the request's wstoken parameter before the function runs (observer of
     * `\core\event\webservice_function_called`). Memory only: the token is never stored.
     */
    public static function capture(): void {
        if (defined('WS_SERVER') && WS_SERVER && self::$wstoken === null) {
            self::$wstoken = optional_param('wstoken', '', PARAM_ALPHANUM);
        }
    }

    /**
     * The id of the token this request authenticated with (0 outside web services).
     *
     * @return int
     */
    public static function caller_tokenid(): int {
        return self::current()['tokenid'];
    }

    /**
     * Makes the request look like a browser request (null) or a web-service call through a token,
     * for PHPUnit tests.
     *
     * @param array|null $origin ['origin' => ..., 'tokenid' => ..., 'service' => ...]
     */
    public static function set_for_testing(?array $origin): void {
        if (!defined('PHPUNIT_TEST') || !PHPUNIT_TEST) {
            throw new \coding_exception('origin::set_for_testing() is for PHPUnit tests only');
        }
        self::$testing = $origin;
        self::$token = null;
        self::$wstoken = null;
    }
}
