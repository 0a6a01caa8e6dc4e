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
 * Token-authenticated download of a file listed by local_bridge_list_user_files:
 * `download.php?courseid=…&fileid=…&token=…` (GET, or POST to keep the token out of URLs).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

// As webservice/pluginfile.php: no session cookie, no redirects (require_login() throws instead).
define('AJAX_SCRIPT', true);
define('NO_MOODLE_COOKIES', true);
// Answers are JSON or a file: debugging output goes to the log, not into them.
define('NO_DEBUG_DISPLAY', true);

require(__DIR__ . '/../../config.php');

$token = optional_param('token', '', PARAM_ALPHANUM);
$courseid = optional_param('courseid', 0, PARAM_INT);
$fileid = optional_param('fileid', 0, PARAM_INT);

try {
    \local_bridge\local\file_download::serve($token, $courseid, $fileid);
} catch (moodle_exception $e) {
    \local_bridge\local\file_download::send_error($e);
}
