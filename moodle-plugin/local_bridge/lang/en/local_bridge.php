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
$string['creationfailed'] = 'The activity could not be made ({$a}); nothing of it was kept.';
$string['downloaddisabled'] = 'File download through the Moodle Bridge plugin is disabled on this site.';
$string['duplicateidnumber'] = 'The ID number "{$a->idnumber}" is already used in this course by course module {$a->cmid}.';
$string['duplicateidnumberincall'] = 'The ID number "{$a}" is given to more than one activity in this call; only the first is made.';
$string['enabledownload'] = 'Allow file download';
$string['enabledownload_desc'] = 'Let local/bridge/download.php send the files that local_bridge_list_user_files lists, to tokens whose service includes that function.';
$string['idnumbernotfound'] = 'No activity in this course has the ID number "{$a}".';
$string['invaliddraftitemid'] = 'Draft area {$a} holds none of your files. Upload the files with webservice/upload.php and pass the itemid it answers.';
$string['invalidquestion'] = 'Question {$a->number}: {$a->problem}';
$string['listprivatefiles'] = 'List private files';
$string['listprivatefiles_desc'] = 'Let local_bridge_list_user_files list (and download.php send) the private files of a course\'s learners to users allowed to view learners\' files there.';
$string['noquestions'] = 'A quiz needs at least one question.';
$string['nosubmissionaccess'] = 'You cannot see the submissions of the assignment "{$a}".';
$string['notalearner'] = 'The user with id {$a} holds no learner (student) role in this course: only learners\' files can be listed.';
$string['notaquiz'] = 'Course module {$a} is not a quiz.';
$string['pluginname'] = 'Moodle Bridge';
$string['privacy:metadata'] = 'The Moodle Bridge plugin stores no personal data. It creates activities through Moodle\'s course API and reads files that Moodle stores.';
$string['privatefilesdisabled'] = 'Listing private files is disabled on this site.';
$string['qproblem_correctanswer'] = 'a true/false question needs correctanswer (1 for true, 0 for false).';
$string['qproblem_emptyanswer'] = 'an answer has no text.';
$string['qproblem_field'] = '{$a->field} applies to {$a->type} questions only.';
$string['qproblem_format'] = 'unknown text format {$a}.';
$string['qproblem_name'] = 'its name must be at most 255 characters, without HTML.';
$string['qproblem_noanswers'] = '{$a} questions take no answers.';
$string['qproblem_nocorrect'] = 'no answer is marked correct.';
$string['qproblem_onecorrect'] = '{$a} answers are marked correct, but learners may choose only one (multipleanswers is 0).';
$string['qproblem_points'] = 'its points must be above 0 and at most {$a}.';
$string['qproblem_responseformat'] = 'responseformat must be one of {$a}.';
$string['qproblem_text'] = 'its text is empty.';
$string['qproblem_toomanyanswers'] = 'it has more than {$a} answers.';
$string['qproblem_twoanswers'] = 'a multiple-choice question needs at least two answers.';
$string['qproblem_type'] = 'the type "{$a}" is not one of multichoice, truefalse, shortanswer, essay.';
$string['questionname'] = 'Q{$a->number}: {$a->text}';
$string['quizhasattempts'] = 'Learners have attempted the quiz (course module {$a}): its questions can no longer be replaced. Make a new quiz, or change the questions in Moodle.';
$string['sectionnotfound'] = 'The course has no section {$a}.';
$string['toomanymodules'] = 'At most {$a->max} activities can be made in one call; this call has {$a->count}.';
$string['toomanyquestions'] = 'A quiz can be made with at most {$a} questions.';
$string['unsupportedmodule'] = 'Activities of type {$a} cannot be made or changed with this function; only page, resource, url, forum and quiz can.';
$string['usernotenrolled'] = 'The user with id {$a} is not an active participant of this course.';
