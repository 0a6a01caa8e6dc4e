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

namespace local_bridge\external;

use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;
use core_external\external_warnings;
use local_bridge\local\user_files;

/**
 * `local_bridge_list_user_files`: a learner's private files and assignment submission files in the
 * course, for users with `local/bridge:viewuserfiles` there. Only learners' files: the user must be
 * an active participant holding a student-archetype role in the course.
 *
 * @package    local_bridge
 * @category   external
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class list_user_files extends external_api {
    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'courseid' => new external_value(PARAM_INT, 'Course id'),
            'userid' => new external_value(PARAM_INT, 'The learner whose files to list'),
            'includeprivate' => new external_value(PARAM_BOOL, 'Include their private files', VALUE_DEFAULT, true),
            'includesubmissions' => new external_value(PARAM_BOOL, 'Include their assignment submission files',
                VALUE_DEFAULT, true),
        ]);
    }

    /**
     * Lists the files.
     *
     * @param int $courseid course id
     * @param int $userid the participant
     * @param bool $includeprivate include private files
     * @param bool $includesubmissions include submission files
     * @return array the files and warnings
     */
    public static function execute(int $courseid, int $userid, bool $includeprivate = true,
            bool $includesubmissions = true): array {
        $params = self::validate_parameters(self::execute_parameters(), [
            'courseid' => $courseid,
            'userid' => $userid,
            'includeprivate' => $includeprivate,
            'includesubmissions' => $includesubmissions,
        ]);
        $lister = new user_files(get_course($params['courseid']));
        self::validate_context($lister->get_context());
        require_capability('local/bridge:viewuserfiles', $lister->get_context());

        $user = $lister->require_participant($params['userid']);
        $lister->require_learner($user);
        return $lister->list($user, $params['includeprivate'], $params['includesubmissions']);
    }

    /**
     * Result.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'files' => new external_multiple_structure(new external_single_structure([
                'fileid' => new external_value(PARAM_INT, 'File id, for download.php'),
                'source' => new external_value(PARAM_ALPHA, 'private or submission'),
                'contextid' => new external_value(PARAM_INT, 'Context id'),
                'component' => new external_value(PARAM_COMPONENT, 'Component'),
                'filearea' => new external_value(PARAM_AREA, 'File area'),
                'itemid' => new external_value(PARAM_INT, 'Item id (the submission id for submission files)'),
                'filepath' => new external_value(PARAM_PATH, 'Directory, e.g. /physics/'),
                'filename' => new external_value(PARAM_FILE, 'File name'),
                'filesize' => new external_value(PARAM_INT, 'Size in bytes'),
                'mimetype' => new external_value(PARAM_RAW, 'MIME type'),
                'timecreated' => new external_value(PARAM_INT, 'Creation time'),
                'timemodified' => new external_value(PARAM_INT, 'Last change'),
                'cmid' => new external_value(PARAM_INT, 'The assignment\'s course module id; 0 for private files'),
                'assignmentname' => new external_value(PARAM_TEXT, 'The assignment\'s name; empty for private files'),
                'submissionstatus' => new external_value(PARAM_ALPHA, 'new, draft or submitted; empty for private files'),
                'downloadurl' => new external_value(PARAM_URL, 'download.php URL; add the token to fetch it'),
            ]), 'The files, private ones first'),
            'warnings' => new external_warnings(),
        ]);
    }
}
