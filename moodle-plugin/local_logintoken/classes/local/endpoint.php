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

use local_logintoken\event\login_failed;

/**
 * The work behind `auth/logintoken.php`: token login, token validation and login key redemption,
 * each behind the same guards (enabled, rate limit, HTTPS), answering in the seed's JSON shapes.
 *
 * A token travels by POST only (a GET is answered by a 405 page, unless the site re-allows GET
 * for old links); site administrators are not logged in (unless the site allows it); and a
 * browser where somebody else is logged in is asked before it switches users.
 *
 * @package    local_logintoken
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class endpoint {
    /** @var token_checker Token and user checks. */
    private $checker;

    /** @var rate_limiter Failed attempts of the client's address. */
    private $limiter;

    /**
     * Creates the endpoint for a client address.
     *
     * @param string $remoteaddr the client's address (`getremoteaddr()`)
     */
    public function __construct(string $remoteaddr) {
        $this->checker = new token_checker($remoteaddr);
        $this->limiter = new rate_limiter($remoteaddr);
    }

    /**
     * Whether a request may carry a token the way it does; answers it when not. A token is taken
     * from a POST body only: any other method gets the 405 page, and a POST with `wstoken` in its
     * URL is refused (`tokeninurl`), unless `local_logintoken/allowget` re-allows both.
     *
     * @param string $method the HTTP method
     * @param bool $tokeninurl whether the URL's query has a `wstoken`
     * @return bool true when the request may go on
     */
    public function accepts_token_transport(string $method, bool $tokeninurl): bool {
        if (token_checker::is_get_allowed()) {
            return true;
        }
        if ($method !== 'POST') {
            pages::post_required();
            return false;
        }
        if ($tokeninurl) {
            $this->send_refusal(new login_exception('tokeninurl', 400), false, 0);
            return false;
        }
        return true;
    }

    /**
     * Logs the token's user in and answers the seed's success JSON, or redirects a browser.
     *
     * @param string $token the web service token
     * @param bool $redirect redirect to the landing page instead of answering JSON
     * @param string $wantsurl local URL to land on, or ''
     * @param bool $confirm the browser's user confirmed the switch (with the sesskey)
     */
    public function login(string $token, bool $redirect, string $wantsurl, bool $confirm): void {
        global $CFG;
        $this->guarded('token', false, function () use ($token, $redirect, $wantsurl, $confirm, $CFG) {
            [$record, $user] = $this->checker->check_token($token);
            $this->checker->check_may_log_in($user);
            $carry = ['wstoken' => $token, 'redirect' => (int) $redirect, 'wantsurl' => $wantsurl];
            require_once($CFG->dirroot . '/webservice/lib.php');
            $relogin = function () use ($record, $user, $wantsurl) {
                \webservice::update_token_lastaccess($record);
                return login_manager::create_login_key($user, getremoteaddr(), $wantsurl)['loginurl'];
            };
            if (!$this->switch_confirmed($user, $confirm, $carry, $relogin)) {
                return;
            }
            $sessionid = login_manager::log_in($user);
            \webservice::update_token_lastaccess($record);
            $url = login_manager::redirect_url($wantsurl);
            if ($redirect) {
                redirect($url);
            }
            $this->send_json(200, [
                'success' => true,
                'message' => get_string('loginsuccess', 'local_logintoken'),
                'user' => login_manager::user_summary($user),
                'redirect_url' => $url,
                'session_id' => $sessionid,
            ]);
        });
    }

    /**
     * Answers the seed's validation JSON for a token, without making a session.
     *
     * @param string $token the web service token
     */
    public function validate(string $token): void {
        $this->guarded('validate', true, function () use ($token) {
            [$record, $user] = $this->checker->check_token($token);
            $this->send_json(200, [
                'valid' => true,
                'message' => get_string('tokenvalid', 'local_logintoken'),
                'user' => login_manager::user_summary($user),
                'token_info' => login_manager::token_info($record),
            ]);
        });
    }

    /**
     * Redeems a login key from `local_logintoken_login_with_token` and redirects the browser.
     *
     * @param int $userid the user the key must belong to
     * @param string $key the login key
     * @param string $wantsurl local URL to land on, or ''
     * @param bool $confirm the browser's user confirmed the switch (with the sesskey)
     */
    public function redeem(int $userid, string $key, string $wantsurl, bool $confirm): void {
        $this->guarded('key', false, function () use ($userid, $key, $wantsurl, $confirm) {
            $user = login_manager::check_login_key($key, $userid);
            $this->checker->check_user($user);
            $this->checker->check_may_log_in($user);
            // The key is used up only when the login happens, not by the confirmation page.
            $carry = ['userid' => $userid, 'key' => $key, 'wantsurl' => $wantsurl];
            $relogin = function () use ($carry) {
                // The key's own URL, as login_with_token gave it (no empty wantsurl).
                return (new \moodle_url(pages::ENTRY, array_filter($carry, fn($value) => $value !== '')))->out(false);
            };
            if (!$this->switch_confirmed($user, $confirm, $carry, $relogin)) {
                return;
            }
            login_manager::use_login_key($userid);
            login_manager::log_in($user);
            redirect(login_manager::redirect_url($wantsurl));
        });
    }

    /**
     * Answers a request for a function this endpoint does not offer.
     */
    public function unknown_function(): void {
        $this->guarded('token', false, function () {
            throw new login_exception('unknownfunction', 400);
        });
    }

    /**
     * Whether the login may go on in this request: yes when nobody else is logged in in the
     * browser. Otherwise, without a confirmation, the confirmation page is answered; with one
     * that carries the session's sesskey, the other user is logged out and the browser is sent to
     * a one-time login URL, because Moodle cannot open a new user's session in the request that
     * closed the old one (`require_logout()` closes it; `tool_mobile`'s autologin refuses instead).
     *
     * @param \stdClass $user the user to log in
     * @param bool $confirm whether the request confirms the switch
     * @param array $carry the parameters the confirmation must send again
     * @param callable $relogin gives the URL that logs the user in on the next request
     * @return bool true to go on with the login here
     * @throws login_exception `invalidsesskey` (403) for a confirmation without the right sesskey
     */
    private function switch_confirmed(\stdClass $user, bool $confirm, array $carry, callable $relogin): bool {
        if (!login_manager::other_user_logged_in($user)) {
            return true;
        }
        if (!$confirm) {
            pages::confirm_switch($user, $carry);
            return false;
        }
        // confirm_sesskey() without a value would require_param() it: a missing sesskey is refused
        // like a wrong one, in this endpoint's JSON.
        $sesskey = optional_param('sesskey', '', PARAM_RAW);
        if ($sesskey === '' || !confirm_sesskey($sesskey)) {
            throw new login_exception('invalidsesskey', 403);
        }
        require_logout();
        redirect($relogin());
        return false;
    }

    /**
     * Runs one flow behind the guards and turns a refusal into the seed's error JSON.
     *
     * @param string $method what was attempted (`token`, `validate`, `key`), for the log
     * @param bool $validation whether the answer is a validation answer (adds `valid: false`)
     * @param callable $work the flow
     */
    private function guarded(string $method, bool $validation, callable $work): void {
        $retryafter = 0;
        try {
            $this->checker->require_enabled();
            $retryafter = $this->limiter->retry_after();
            if ($retryafter > 0) {
                throw new login_exception('ratelimited', 429);
            }
            $this->checker->require_https();
            $work();
        } catch (login_exception $e) {
            if ($e->counts_as_attempt()) {
                $this->limiter->record_failure();
                login_failed::create([
                    'relateduserid' => $e->get_related_userid(),
                    'other' => ['reason' => $e->get_reason(), 'method' => $method],
                ])->trigger();
            }
            $this->send_refusal($e, $validation, $retryafter);
        }
    }

    /**
     * Sends a refusal as the seed's error JSON (a validation refusal starts with `valid: false`).
     *
     * @param login_exception $e the refusal
     * @param bool $validation whether the answer is a validation answer
     * @param int $retryafter seconds for a `Retry-After` header, 0 for none
     */
    private function send_refusal(login_exception $e, bool $validation, int $retryafter): void {
        $body = [
            'success' => false,
            'error' => $e->get_title(),
            'message' => $e->get_description(),
            'errorcode' => $e->get_reason(),
        ];
        if ($validation) {
            $body = ['valid' => false] + $body;
        }
        $this->send_json($e->get_http_status(), $body, $retryafter);
    }

    /**
     * Sends a JSON answer with a status; answers carrying session ids or keys are never cached.
     *
     * @param int $status HTTP status
     * @param array $body the answer
     * @param int $retryafter seconds for a `Retry-After` header, 0 for none
     */
    private function send_json(int $status, array $body, int $retryafter = 0): void {
        // With @ as Moodle's send_headers(): the answer still goes out after earlier output.
        @http_response_code($status);
        @header('Content-Type: application/json; charset=utf-8');
        @header('Cache-Control: no-store');
        if ($retryafter > 0) {
            @header('Retry-After: ' . $retryafter);
        }
        echo json_encode($body);
    }
}
