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

namespace local_bridge\local;

/**
 * The work behind `download.php`, in the order of Moodle's own token entry points
 * (`webservice/pluginfile.php`, then a module's `pluginfile` callback): the token authenticates
 * its user as `webservice::authenticate_user()` does (expiry, IP restriction, suspended,
 * unconfirmed or `nologin` users refused), the service must allow downloads and offer
 * local_bridge_list_user_files, then `require_login()` in the course (active enrolment, or
 * `moodle/course:view`; hidden courses only with `moodle/course:viewhiddencourses`), the plugin's
 * capability, and only then the file — a learner's file the listing would show. Refusals are JSON
 * with an HTTP status.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class file_download {
    /** @var int[] HTTP status by error code; anything else is a 400. */
    const STATUS = [
        'invalidtoken' => 401,
        'accessexception' => 403,
        'wsaccessusersuspended' => 403,
        'wsaccessusernologin' => 403,
        'usernotconfirmed' => 403,
        'passwordisexpired' => 403,
        'requireloginerror' => 403,
        'usernotfullysetup' => 403,
        'sitepolicynotagreed' => 403,
        'forcepasswordchangenotice' => 403,
        'nopermissions' => 403,
        'downloaddisabled' => 403,
        'invalidrecord' => 404,
        'invalidcourseid' => 404,
        // Moodle 5.0+ names no table in a missing-record error unless debugging is on.
        'invalidrecordunknown' => 404,
        'filenotfound' => 404,
        'sitemaintenance' => 503,
    ];

    /**
     * Sends a file listed by local_bridge_list_user_files to the token's user.
     *
     * @param string $token web service token
     * @param int $courseid the course the file was listed in
     * @param int $fileid the file's id
     * @throws \moodle_exception on any refusal (see send_error())
     */
    public static function serve(string $token, int $courseid, int $fileid): void {
        $file = self::authorise($token, $courseid, $fileid);
        \core\session\manager::write_close();
        send_stored_file($file, 0, 0, true);
    }

    /**
     * Makes every check of serve() and returns the file it would send.
     *
     * @param string $token web service token
     * @param int $courseid the course the file was listed in
     * @param int $fileid the file's id
     * @return \stored_file
     * @throws \moodle_exception on any refusal
     */
    public static function authorise(string $token, int $courseid, int $fileid): \stored_file {
        global $CFG;
        require_once($CFG->dirroot . '/webservice/lib.php');
        require_once($CFG->libdir . '/filelib.php');

        if (!get_config('local_bridge', 'enabledownload')) {
            throw new \moodle_exception('downloaddisabled', 'local_bridge');
        }
        foreach (['token' => $token !== '', 'courseid' => $courseid > 0, 'fileid' => $fileid > 0] as $name => $given) {
            if (!$given) {
                throw new \moodle_exception('missingparam', 'error', '', $name);
            }
        }
        // Token, user (suspended, unconfirmed, nologin, expired password) and service, as
        // webservice/pluginfile.php checks them; the token's user becomes the session's user.
        $webservice = new \webservice();
        $service = $webservice->authenticate_user($token)['service'];
        if (empty($service->downloadfiles)) {
            throw new \webservice_access_exception('Web service file downloading must be enabled in external service settings');
        }
        if (!$webservice->service_function_exists('local_bridge_list_user_files', $service->id)) {
            throw new \webservice_access_exception('The service of this token does not include local_bridge_list_user_files');
        }
        $course = get_course($courseid);
        // What a module's pluginfile callback does for a web service token: the course's own login
        // checks, without a redirect.
        require_login($course, false, null, false, true);
        $lister = new user_files($course);
        require_capability('local/bridge:viewuserfiles', $lister->get_context());
        return $lister->downloadable_file($fileid);
    }

    /**
     * Answers a refusal in the shape of Moodle's file scripts, with a meaningful HTTP status.
     *
     * @param \moodle_exception $e the refusal
     */
    public static function send_error(\moodle_exception $e): void {
        http_response_code(self::STATUS[$e->errorcode] ?? 400);
        header('Content-Type: application/json; charset=utf-8');
        header('Cache-Control: no-store');
        echo json_encode([
            'error' => $e->getMessage(),
            'errorcode' => $e->errorcode,
            'stacktrace' => null,
            'debuginfo' => null,
            'reproductionlink' => null,
        ]);
    }
}
