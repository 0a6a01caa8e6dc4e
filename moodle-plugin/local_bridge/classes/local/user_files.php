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

use context_course;
use context_module;
use context_user;
use moodle_exception;
use moodle_url;
use stdClass;
use stored_file;

/**
 * A learner's files as the bridge's file manager sees them: their private files and the files of
 * their latest submission to each of the course's assignments. Also decides whether a file id may
 * be downloaded through `download.php`.
 *
 * Moodle core lets nobody list another user's private files; the `local/bridge:viewuserfiles`
 * capability in the course is that permission here, and only for the course's learners: active
 * participants holding a role of the student archetype there. A teacher's or manager's files are
 * never listed or sent, whoever asks.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class user_files {
    /** @var stdClass The course. */
    private $course;

    /** @var context_course The course's context. */
    private $context;

    /**
     * Creates the lister for a course.
     *
     * @param stdClass $course a `course` record
     */
    public function __construct(stdClass $course) {
        $this->course = $course;
        $this->context = context_course::instance($course->id);
    }

    /**
     * The course's context.
     *
     * @return context_course
     */
    public function get_context(): context_course {
        return $this->context;
    }

    /**
     * A user who is an active participant of the course.
     *
     * @param int $userid user id
     * @return stdClass the `user` record
     * @throws \dml_missing_record_exception when there is no such user
     * @throws moodle_exception `usernotenrolled`
     */
    public function require_participant(int $userid): stdClass {
        global $DB;
        $user = $DB->get_record('user', ['id' => $userid, 'deleted' => 0], '*', MUST_EXIST);
        if (!is_enrolled($this->context, $user, '', true)) {
            throw new moodle_exception('usernotenrolled', 'local_bridge', '', $userid);
        }
        return $user;
    }

    /**
     * A participant who holds a learner role (one of the student archetype) in the course, here or
     * in a parent context (a category-level assignment counts, as it does for their capabilities).
     *
     * @param stdClass $user an active participant (see require_participant())
     * @throws moodle_exception `notalearner`
     */
    public function require_learner(stdClass $user): void {
        if (!self::is_learner($this->context, (int) $user->id)) {
            throw new moodle_exception('notalearner', 'local_bridge', '', $user->id);
        }
    }

    /**
     * Whether a user holds a role of the student archetype in a context or one of its parents.
     *
     * @param \context $context the course's context
     * @param int $userid the user
     * @return bool
     */
    public static function is_learner(\context $context, int $userid): bool {
        global $DB;
        [$insql, $params] = $DB->get_in_or_equal($context->get_parent_context_ids(true), SQL_PARAMS_NAMED, 'ctx');
        $params += ['userid' => $userid, 'archetype' => 'student'];
        return $DB->record_exists_sql(
            "SELECT 1
               FROM {role_assignments} ra
               JOIN {role} r ON r.id = ra.roleid
              WHERE ra.userid = :userid AND r.archetype = :archetype AND ra.contextid $insql",
            $params);
    }

    /**
     * Lists a learner's files.
     *
     * @param stdClass $user the learner
     * @param bool $private include private files
     * @param bool $submissions include assignment submission files
     * @return array{files: array, warnings: array}
     */
    public function list(stdClass $user, bool $private, bool $submissions): array {
        $fs = get_file_storage();
        $files = [];
        $warnings = [];
        if ($private && !get_config('local_bridge', 'listprivatefiles')) {
            $warnings[] = [
                'item' => 'private',
                'warningcode' => 'privatefilesdisabled',
                'message' => get_string('privatefilesdisabled', 'local_bridge'),
            ];
        } else if ($private) {
            $usercontext = context_user::instance($user->id);
            foreach ($fs->get_area_files($usercontext->id, 'user', 'private', 0, 'filepath, filename', false) as $file) {
                $files[] = $this->describe($file, 'private', null, null);
            }
        }
        if ($submissions) {
            foreach (get_fast_modinfo($this->course)->get_instances_of('assign') as $cm) {
                $cmcontext = context_module::instance($cm->id);
                if (!has_capability('mod/assign:grade', $cmcontext)) {
                    $warnings[] = [
                        'item' => 'assign',
                        'itemid' => (int) $cm->id,
                        'warningcode' => 'nopermission',
                        'message' => get_string('nosubmissionaccess', 'local_bridge', $cm->get_formatted_name()),
                    ];
                    continue;
                }
                foreach ($this->latest_submissions($cm->instance, (int) $user->id) as $submission) {
                    $area = $fs->get_area_files($cmcontext->id, 'assignsubmission_file', 'submission_files', $submission->id,
                        'filepath, filename', false);
                    foreach ($area as $file) {
                        $files[] = $this->describe($file, 'submission', $cm, $submission);
                    }
                }
            }
        }
        return ['files' => $files, 'warnings' => $warnings];
    }

    /**
     * A file the caller may download through `download.php`: one the listing would show, so the
     * file of a learner of this course (private, or of their submission to one of its assignments
     * the caller may grade).
     *
     * @param int $fileid the file's id
     * @return stored_file
     * @throws moodle_exception `filenotfound` for anything else, so nothing else can be probed
     */
    public function downloadable_file(int $fileid): stored_file {
        global $DB;
        $notfound = new moodle_exception('filenotfound', 'error');
        $file = get_file_storage()->get_file_by_id($fileid);
        if (!$file || $file->is_directory()) {
            throw $notfound;
        }
        $context = \context::instance_by_id($file->get_contextid(), IGNORE_MISSING);
        if (!$context) {
            throw $notfound;
        }
        if ($file->get_component() === 'user' && $file->get_filearea() === 'private'
                && $context->contextlevel == CONTEXT_USER) {
            if (!get_config('local_bridge', 'listprivatefiles')) {
                throw $notfound;
            }
            $ownerid = (int) $context->instanceid;
        } else if ($file->get_component() === 'assignsubmission_file' && $file->get_filearea() === 'submission_files'
                && $context->contextlevel == CONTEXT_MODULE) {
            $cm = get_coursemodule_from_id('assign', $context->instanceid, $this->course->id);
            $submission = $DB->get_record('assign_submission', ['id' => $file->get_itemid()]);
            if (!$cm || !$submission || !has_capability('mod/assign:grade', $context)) {
                throw $notfound;
            }
            $ownerid = (int) $submission->userid;
        } else {
            throw $notfound;
        }
        if (!is_enrolled($this->context, $ownerid, '', true) || !self::is_learner($this->context, $ownerid)) {
            throw $notfound;
        }
        return $file;
    }

    /**
     * The latest submission of a user to an assignment (individual submissions only).
     *
     * @param int $assignid assignment instance id
     * @param int $userid the user
     * @return stdClass[]
     */
    private function latest_submissions(int $assignid, int $userid): array {
        global $DB;
        return $DB->get_records('assign_submission', ['assignment' => $assignid, 'userid' => $userid, 'latest' => 1], 'id');
    }

    /**
     * A file as list_user_files returns it.
     *
     * @param stored_file $file the file
     * @param string $source `private` or `submission`
     * @param \cm_info|null $cm the assignment, for submission files
     * @param stdClass|null $submission the submission, for submission files
     * @return array
     */
    private function describe(stored_file $file, string $source, ?\cm_info $cm, ?stdClass $submission): array {
        $url = new moodle_url('/local/bridge/download.php', ['courseid' => $this->course->id, 'fileid' => $file->get_id()]);
        return [
            'fileid' => (int) $file->get_id(),
            'source' => $source,
            'contextid' => (int) $file->get_contextid(),
            'component' => $file->get_component(),
            'filearea' => $file->get_filearea(),
            'itemid' => (int) $file->get_itemid(),
            'filepath' => $file->get_filepath(),
            'filename' => $file->get_filename(),
            'filesize' => (int) $file->get_filesize(),
            'mimetype' => (string) $file->get_mimetype(),
            'timecreated' => (int) $file->get_timecreated(),
            'timemodified' => (int) $file->get_timemodified(),
            'cmid' => $cm ? (int) $cm->id : 0,
            'assignmentname' => $cm ? $cm->name : '',
            'submissionstatus' => $submission ? $submission->status : '',
            'downloadurl' => $url->out(false),
        ];
    }
}
