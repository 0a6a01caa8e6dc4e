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
 * English strings of the Moodle Bridge companion plugin.
 *
 * @package    local_bridge
 * @category   string
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$string['bridge:viewuserfiles'] = 'List and download learners\' private and submission files';
$string['downloaddisabled'] = 'File download through the Moodle Bridge plugin is disabled on this site.';
$string['duplicateidnumber'] = 'The ID number "{$a->idnumber}" is already used in this course by course module {$a->cmid}.';
$string['enabledownload'] = 'Allow file download';
$string['enabledownload_desc'] = 'Let local/bridge/download.php send the files that local_bridge_list_user_files lists, to tokens whose service includes that function.';
$string['idnumbernotfound'] = 'No activity in this course has the ID number "{$a}".';
$string['invaliddraftitemid'] = 'Draft area {$a} holds none of your files. Upload the files with webservice/upload.php and pass the itemid it answers.';
$string['listprivatefiles'] = 'List private files';
$string['listprivatefiles_desc'] = 'Let local_bridge_list_user_files list (and download.php send) the private files of a course\'s learners to users allowed to view learners\' files there.';
$string['nosubmissionaccess'] = 'You cannot see the submissions of the assignment "{$a}".';
$string['notalearner'] = 'The user with id {$a} holds no learner (student) role in this course: only learners\' files can be listed.';
$string['pluginname'] = 'Moodle Bridge';
$string['privacy:metadata'] = 'The Moodle Bridge plugin stores no personal data. It creates activities through Moodle\'s course API and reads files that Moodle stores.';
$string['privatefilesdisabled'] = 'Listing private files is disabled on this site.';
$string['sectionnotfound'] = 'The course has no section {$a}.';
$string['unsupportedmodule'] = 'Activities of type {$a} cannot be changed with this function; only page, resource, url and forum can.';
$string['usernotenrolled'] = 'The user with id {$a} is not an active participant of this course.';
