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

/**
 * Token login entry point: a POST with `wstoken=…` logs the token's user in,
 * `&wsfunction=local_logintoken_validate_token` only validates the token, and `?userid=…&key=…`
 * (GET or POST) redeems a login key from `local_logintoken_login_with_token`.
 *
 * A token is taken from a POST body only (a token in a URL ends up in web server and proxy logs);
 * a GET is answered with a page saying so, unless the site re-allows GET (`allowget`).
 *
 * @package    local_logintoken
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

// Answers are JSON, redirects or two small pages: debugging output goes to the log, not into them.
define('NO_DEBUG_DISPLAY', true);

require(__DIR__ . '/../../../config.php');

$token = optional_param('wstoken', '', PARAM_ALPHANUM);
$wsfunction = optional_param('wsfunction', '', PARAM_ALPHANUMEXT);
$key = optional_param('key', '', PARAM_ALPHANUM);
$userid = optional_param('userid', 0, PARAM_INT);
$redirect = optional_param('redirect', false, PARAM_BOOL);
$wantsurl = optional_param('wantsurl', '', PARAM_LOCALURL);
$confirm = optional_param('confirm', false, PARAM_BOOL);

$PAGE->set_context(context_system::instance());
$PAGE->set_url(new moodle_url('/local/logintoken/auth/logintoken.php'));

$endpoint = new \local_logintoken\local\endpoint(getremoteaddr());
if ($key !== '') {
    $endpoint->redeem($userid, $key, $wantsurl, $confirm);
} else if (!$endpoint->accepts_token_transport($_SERVER['REQUEST_METHOD'] ?? 'GET', isset($_GET['wstoken']))) {
    // Answered: a 405 page, or a refusal of a token in the URL.
    exit;
} else if ($wsfunction === 'local_logintoken_validate_token') {
    $endpoint->validate($token);
} else if ($wsfunction === '' || $wsfunction === 'local_logintoken_login_with_token') {
    $endpoint->login($token, $redirect, $wantsurl, $confirm);
} else {
    $endpoint->unknown_function();
}
