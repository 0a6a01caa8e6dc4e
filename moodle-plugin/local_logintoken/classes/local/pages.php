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
use single_button;
use stdClass;

/**
 * The two HTML pages of `auth/logintoken.php`: the refusal of a token sent by GET (405) and the
 * confirmation asked before a browser where somebody else is logged in switches to the token's
 * user (409). Everything else the script answers is JSON or a redirect.
 *
 * @package    local_logintoken
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class pages {
    /** @var string The entry script. */
    const ENTRY = '/local/logintoken/auth/logintoken.php';

    /**
     * Answers 405: token login takes the token by POST only; the page says why.
     */
    public static function post_required(): void {
        global $OUTPUT;
        @header('Allow: POST');
        echo self::start(405, get_string('postrequired', 'local_logintoken'));
        echo $OUTPUT->heading(get_string('postrequired', 'local_logintoken'));
        echo \html_writer::tag('p', get_string('postrequired_desc', 'local_logintoken'));
        echo $OUTPUT->footer();
    }

    /**
     * Answers 409: the browser's session belongs to somebody else. The page names both users and
     * offers to continue (a POST carrying the request again, `confirm=1` and the session's
     * `sesskey`, so another site cannot switch the browser's user) or to stay.
     *
     * @param stdClass $user the user the request would log in
     * @param array $params the request's parameters to carry (token or login key, landing page)
     */
    public static function confirm_switch(stdClass $user, array $params): void {
        global $OUTPUT, $USER;
        echo self::start(409, get_string('confirmswitch', 'local_logintoken'));
        $a = (object) ['current' => s(fullname($USER)), 'new' => s(fullname($user))];
        $continue = new single_button(new moodle_url(self::ENTRY, $params + ['confirm' => 1]),
            get_string('confirmswitchcontinue', 'local_logintoken'), 'post');
        $cancel = new single_button(new moodle_url('/'), get_string('confirmswitchcancel', 'local_logintoken'), 'get');
        echo $OUTPUT->confirm(get_string('confirmswitch_desc', 'local_logintoken', $a), $continue, $cancel);
        echo $OUTPUT->footer();
    }

    /**
     * Sets the status, the page's title and layout and returns the page's header. These pages are
     * never stored (the confirmation carries the token): `no-store` replaces the `Cache-Control`
     * the theme's header sends. Headers are sent with `@` as Moodle's own output code sends them
     * (`send_headers()`), so a page rendered after output (unit tests) still renders.
     *
     * @param int $status HTTP status
     * @param string $title page title
     * @return string the page header
     */
    private static function start(int $status, string $title): string {
        global $OUTPUT, $PAGE;
        @http_response_code($status);
        $PAGE->set_pagelayout('login');
        $PAGE->set_title($title);
        $PAGE->set_heading($title);
        $header = $OUTPUT->header();
        @header('Cache-Control: no-store');
        return $header;
    }
}
