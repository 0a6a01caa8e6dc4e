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
$string['coursebusy'] = 'Another call is still making or changing activities of this course; try again shortly.';
$string['duplicateidnumber'] = 'The ID number "{$a->idnumber}" is already used in this course by course module {$a->cmid}.';
$string['duplicateidnumberincall'] = 'The ID number "{$a}" is given to more than one activity in this call; only the first is made.';
$string['enabledownload'] = 'Allow file download';
$string['enabledownload_desc'] = 'Let local/bridge/download.php send the files that local_bridge_list_user_files lists, to tokens whose service includes that function.';
$string['eventretention'] = 'Keep events for';
$string['eventretention_desc'] = 'Events older than this are deleted by the scheduled task (at least a day). A receiver that stops reading for longer misses the events deleted meanwhile (local_bridge_get_events warns it: eventspurged).';
$string['eventsheading'] = 'Events';
$string['eventsheading_desc'] = 'The plugin records course, activity, enrolment, role, user, submission, grade and quiz attempt events, which applications read with local_bridge_get_events (for example Moodle Bridge\'s webhooks).';
$string['eventspurged'] = 'Events up to id {$a} were deleted by the retention setting before they were read; some events after your cursor are lost.';
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
$string['privacy:metadata:events'] = 'The events the plugin records for applications to read (local_bridge_get_events): which user acted and which user the event concerns, what happened, where and when.';
$string['privacy:metadata:events:contextid'] = 'The context the event happened in.';
$string['privacy:metadata:events:eventname'] = 'What happened (a Moodle event).';
$string['privacy:metadata:events:objectid'] = 'The id of the object the event is about.';
$string['privacy:metadata:events:other'] = 'Names and ids that describe the event, and for grades the grade given.';
$string['privacy:metadata:events:relateduserid'] = 'The user the event concerns.';
$string['privacy:metadata:events:timecreated'] = 'When the event happened.';
$string['privacy:metadata:events:userid'] = 'The user who acted.';
$string['privacy:metadata:eventstage'] = 'Events held for a moment until the change they describe is saved, then moved to the recorded events.';
$string['privacy:metadata:external'] = 'Applications connected through web services (such as Moodle Bridge) read the recorded events with local_bridge_get_events, as far as the connecting account may see them.';
$string['privacy:metadata:external:eventname'] = 'What happened.';
$string['privacy:metadata:external:other'] = 'Names, ids and grades that describe the event.';
$string['privacy:metadata:external:relateduserid'] = 'The user the event concerns.';
$string['privacy:metadata:external:userid'] = 'The user who acted.';
$string['privacy:path:events'] = 'Recorded events';
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
$string['recordevents'] = 'Record events';
$string['recordevents_desc'] = 'Record course, activity, enrolment, role, user, submission, grade and quiz attempt events for local_bridge_get_events. Off: nothing is recorded (events already recorded stay until the retention deletes them).';
$string['sectionnotfound'] = 'The course has no section {$a}.';
$string['taskpublishstaged'] = 'Publish Moodle Bridge events left staged';
$string['taskpurgeevents'] = 'Delete old Moodle Bridge events';
$string['toomanymodules'] = 'At most {$a->max} activities can be made in one call; this call has {$a->count}.';
$string['toomanyquestions'] = 'A quiz can be made with at most {$a} questions.';
$string['unsupportedmodule'] = 'Activities of type {$a} cannot be made or changed with this function; only page, resource, url, forum and quiz can.';
$string['usernotenrolled'] = 'The user with id {$a} is not an active participant of this course.';
