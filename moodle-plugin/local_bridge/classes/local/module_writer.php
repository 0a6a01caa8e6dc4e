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
use context_user;
use core_text;
use invalid_parameter_exception;
use moodle_exception;
use moodle_url;
use stdClass;

/**
 * Creates and updates activities of one course through Moodle's own course module API
 * (`create_module()`, `update_module()`, `file_save_draft_area_files()` via the modules'
 * callbacks), after the checks the activity form would make; never with SQL writes.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class module_writer {
    /** @var string[] The modules the plugin creates and updates. */
    const MODULES = ['page', 'resource', 'url', 'forum', 'quiz'];

    /** @var string[] Forum types a forum may be created with (each course has its own news forum). */
    const FORUM_TYPES = ['general', 'eachuser', 'single', 'qanda', 'blog'];

    /** @var int Longest ID number (`course_modules.idnumber`). */
    const IDNUMBER_MAX = 100;

    /** @var int Longest activity name. */
    const NAME_MAX = 255;

    /** @var int Seconds a call waits for another call making or changing activities of the same course. */
    const LOCK_WAIT = 60;

    /** @var stdClass The course. */
    private $course;

    /** @var context_course The course's context. */
    private $context;

    /**
     * Creates a writer for a course.
     *
     * @param stdClass $course a `course` record
     */
    public function __construct(stdClass $course) {
        $this->course = $course;
        $this->context = context_course::instance($course->id);
    }

    /**
     * A writer for a course by id.
     *
     * @param int $courseid course id
     * @return self
     * @throws \dml_missing_record_exception when the course does not exist
     */
    public static function for_course(int $courseid): self {
        return new self(get_course($courseid));
    }

    /**
     * The course's id.
     *
     * @return int
     */
    public function get_course_id(): int {
        return (int) $this->course->id;
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
     * Runs `$work` holding the course's lock (Moodle's lock API, `local_bridge` locks), with the
     * course record read again once the lock is held.
     *
     * The ID number check and the activity's creation are two steps: without the lock, two calls
     * for one ID number (a retry that arrives while the first attempt still runs, or two bridge
     * instances) both pass the check and both make the activity. Under the lock the second call
     * waits until the first has committed, then finds its activity (seen on Moodle 4.5.6: four
     * simultaneous create_page calls with one ID number made two pages). The lock is taken before
     * any transaction starts and released after its commit or rollback.
     *
     * @param callable $work what to do under the lock
     * @param int $wait seconds to wait for the lock (LOCK_WAIT; shorter in tests)
     * @return mixed what `$work` returns
     * @throws moodle_exception `coursebusy` when another call holds the lock for `$wait` seconds
     */
    public function locked(callable $work, int $wait = self::LOCK_WAIT) {
        global $DB;
        $factory = \core\lock\lock_config::get_lock_factory('local_bridge');
        $lock = $factory->get_lock('course_' . $this->course->id, $wait);
        if (!$lock) {
            throw new moodle_exception('coursebusy', 'local_bridge');
        }
        try {
            $this->course = $DB->get_record('course', ['id' => $this->course->id], '*', MUST_EXIST);
            return $work();
        } finally {
            $lock->release();
        }
    }

    /**
     * Refuses users who may not add this kind of activity (what `course/modedit.php` requires).
     *
     * @param string $modname module name
     * @throws \required_capability_exception
     */
    public function require_can_add(string $modname): void {
        require_capability('moodle/course:manageactivities', $this->context);
        require_capability("mod/{$modname}:addinstance", $this->context);
    }

    /**
     * Checks the values shared by all activities.
     *
     * @param string|null $name new name, null when unchanged
     * @param int|null $introformat new description format, null when unchanged
     * @param string|null $idnumber new ID number, null when unchanged
     * @throws invalid_parameter_exception
     */
    public static function check_common(?string $name, ?int $introformat, ?string $idnumber): void {
        if ($name !== null && (trim($name) === '' || core_text::strlen($name) > self::NAME_MAX)) {
            throw new invalid_parameter_exception('name: must be 1 to ' . self::NAME_MAX . ' characters long');
        }
        if ($introformat !== null) {
            self::check_format('introformat', $introformat);
        }
        if ($idnumber !== null && core_text::strlen($idnumber) > self::IDNUMBER_MAX) {
            throw new invalid_parameter_exception('idnumber: longer than ' . self::IDNUMBER_MAX . ' characters');
        }
    }

    /**
     * Checks a text format value.
     *
     * @param string $field the parameter's name
     * @param int $format the value
     * @throws invalid_parameter_exception
     */
    public static function check_format(string $field, int $format): void {
        // The FORMAT_* constants are strings.
        if (!in_array($format, array_map('intval', [FORMAT_MOODLE, FORMAT_HTML, FORMAT_PLAIN, FORMAT_MARKDOWN]), true)) {
            throw new invalid_parameter_exception("{$field}: unknown text format {$format}");
        }
    }

    /**
     * Checks a display mode against the module's allowed ones (its `displayoptions` setting).
     *
     * @param string $modname `url` or `resource`
     * @param int $display the value
     * @throws invalid_parameter_exception
     */
    public static function check_display(string $modname, int $display): void {
        $allowed = array_map('intval', explode(',', (string) get_config($modname, 'displayoptions')));
        if (!in_array($display, $allowed, true)) {
            throw new invalid_parameter_exception("display: {$display} is not allowed for {$modname} (allowed: "
                . implode(', ', $allowed) . ')');
        }
    }

    /**
     * Checks a forum type.
     *
     * @param string $type the value
     * @throws invalid_parameter_exception
     */
    public static function check_forum_type(string $type): void {
        if (!in_array($type, self::FORUM_TYPES, true)) {
            throw new invalid_parameter_exception("type: {$type} is not a forum type that can be created (allowed: "
                . implode(', ', self::FORUM_TYPES) . ')');
        }
    }

    /**
     * Refuses a section number the course does not have.
     *
     * @param int $section the section number
     * @throws moodle_exception `sectionnotfound`
     */
    public function require_section(int $section): void {
        global $DB;
        if (!$DB->record_exists('course_sections', ['course' => $this->course->id, 'section' => $section])) {
            throw new moodle_exception('sectionnotfound', 'local_bridge', '', $section);
        }
    }

    /**
     * Refuses an ID number another activity of the course already has.
     *
     * Moodle does not enforce unique activity ID numbers; callers find what an earlier attempt made
     * by its ID number, so a second activity with the same one must not come into being.
     *
     * @param string $idnumber the ID number ('' is never a duplicate)
     * @param int $exceptcmid the activity being updated, 0 when creating
     * @throws moodle_exception `duplicateidnumber`
     */
    public function require_unique_idnumber(string $idnumber, int $exceptcmid = 0): void {
        global $DB;
        if ($idnumber === '') {
            return;
        }
        $existing = $DB->get_records_select('course_modules',
            'course = :course AND idnumber = :idnumber AND id <> :except AND deletioninprogress = 0',
            ['course' => $this->course->id, 'idnumber' => $idnumber, 'except' => $exceptcmid], 'id', 'id', 0, 1);
        if ($existing) {
            $a = (object) ['idnumber' => $idnumber, 'cmid' => (int) reset($existing)->id];
            throw new moodle_exception('duplicateidnumber', 'local_bridge', '', $a);
        }
    }

    /**
     * Refuses a draft item id that holds none of the caller's files.
     *
     * Draft areas live in their owner's user context, so another user's draft item id finds nothing.
     *
     * @param int $draftitemid the draft item id from `webservice/upload.php`
     * @throws moodle_exception `invaliddraftitemid`
     */
    public static function require_draft_files(int $draftitemid): void {
        global $USER;
        $files = $draftitemid > 0
            ? get_file_storage()->get_area_files(context_user::instance($USER->id)->id, 'user', 'draft', $draftitemid,
                'id', false)
            : [];
        if (!$files) {
            throw new moodle_exception('invaliddraftitemid', 'local_bridge', '', $draftitemid);
        }
    }

    /**
     * Checks the section, the ID number and (for a File) the draft area, then creates the activity
     * in a transaction and returns it. Capabilities and values are checked by the caller first.
     *
     * @param string $modname module name
     * @param array $params the validated parameters of the create function
     * @param array $fields the module's own fields
     * @param callable|null $after what else to do in the same transaction, given the new course
     *     module id (a quiz's questions)
     * @return array the activity (see structures::module_result())
     */
    public function create_checked(string $modname, array $params, array $fields, ?callable $after = null): array {
        return $this->locked(function() use ($modname, $params, $fields, $after): array {
            global $DB;
            $this->require_section($params['section']);
            $this->require_unique_idnumber($params['idnumber']);
            if (isset($fields['files'])) {
                self::require_draft_files($fields['files']);
            }
            $transaction = $DB->start_delegated_transaction();
            $cmid = $this->create($modname, $params, $fields);
            if ($after) {
                $after($cmid);
            }
            $transaction->allow_commit();
            return self::export($cmid) + ['warnings' => []];
        });
    }

    /**
     * Creates an activity with `create_module()`, starting from the defaults the activity form uses.
     *
     * @param string $modname module name
     * @param array $common `section`, `name`, `intro`, `introformat`, `idnumber`, `visible`
     * @param array $fields the module's own fields (`content`, `externalurl`, `files`, `type`, …)
     * @return int the new course module id
     */
    public function create(string $modname, array $common, array $fields): int {
        global $CFG;
        require_once($CFG->dirroot . '/course/modlib.php');
        require_once($CFG->libdir . '/resourcelib.php');

        [, , , , $data] = prepare_new_moduleinfo_data($this->course, $modname, $common['section']);
        $data->name = $common['name'];
        $data->introeditor = [
            'text' => $common['intro'],
            'format' => $common['introformat'],
            'itemid' => $data->introeditor['itemid'],
        ];
        $data->visible = (int) $common['visible'];
        $data->visibleoncoursepage = 1;
        $data->cmidnumber = $common['idnumber'];
        $data->showdescription = 0;
        foreach (self::instance_defaults($modname) + $fields as $field => $value) {
            $data->$field = $value;
        }
        $moduleinfo = create_module($data);
        return (int) $moduleinfo->coursemodule;
    }

    /**
     * Updates an activity with `update_module()`, starting from its current settings as the
     * activity form loads them; only the given fields change.
     *
     * @param stdClass $cm the course module record
     * @param array $changes field => new value (`name`, `intro`, `introformat`, `idnumber`, `visible`,
     *     `content`, `contentformat`, `externalurl`, `display`, `draftitemid`, a quiz's settings)
     */
    public function update(stdClass $cm, array $changes): void {
        global $CFG;
        require_once($CFG->dirroot . '/course/modlib.php');

        [, , , $data] = get_moduleinfo_data($cm, $this->course);
        self::unpack_display_options($data);
        if (isset($changes['name'])) {
            $data->name = $changes['name'];
        }
        if (isset($changes['intro'])) {
            $data->introeditor['text'] = $changes['intro'];
        }
        if (isset($changes['introformat'])) {
            $data->introeditor['format'] = $changes['introformat'];
        }
        if (isset($changes['visible'])) {
            $data->visible = (int) $changes['visible'];
        }
        if (isset($changes['idnumber'])) {
            $data->cmidnumber = $changes['idnumber'];
        }
        foreach (['content', 'contentformat', 'externalurl', 'display'] as $field) {
            if (isset($changes[$field])) {
                $data->$field = $changes[$field];
            }
        }
        if ($cm->modname === 'page') {
            // Item id 0: the page's embedded files stay as they are.
            $data->page = ['text' => $data->content, 'format' => $data->contentformat, 'itemid' => 0];
        }
        if ($cm->modname === 'resource') {
            // A draft item id replaces the activity's files; 0 keeps them.
            $data->files = $changes['draftitemid'] ?? 0;
        }
        if ($cm->modname === 'quiz') {
            quiz_writer::prepare_update($data, $changes);
        }
        update_module($data);
    }

    /**
     * Checks the ID number and (for a File) the draft area, then updates the activity in a
     * transaction and returns it. Capabilities and values are checked by the caller first.
     *
     * @param stdClass $cm the course module record
     * @param array $changes the validated `fields` of local_bridge_update_module
     * @param callable|null $after what else to do in the same transaction (a quiz's questions); when
     *     given, an update without field changes leaves the activity's settings alone
     * @return array the activity (see structures::module_result())
     */
    public function update_checked(stdClass $cm, array $changes, ?callable $after = null): array {
        return $this->locked(function() use ($cm, $changes, $after): array {
            global $DB;
            if (isset($changes['idnumber'])) {
                $this->require_unique_idnumber($changes['idnumber'], (int) $cm->id);
            }
            if (isset($changes['draftitemid'])) {
                self::require_draft_files($changes['draftitemid']);
            }
            $transaction = $DB->start_delegated_transaction();
            if ($changes || !$after) {
                $this->update($cm, $changes);
            }
            if ($after) {
                $after();
            }
            $transaction->allow_commit();
            return self::export((int) $cm->id) + ['warnings' => []];
        });
    }

    /**
     * Refuses fields that do not belong to the activity's module.
     *
     * @param string $modname module name
     * @param array $changes field => value
     * @throws invalid_parameter_exception
     */
    public static function check_fields_apply(string $modname, array $changes): void {
        $own = [
            'page' => ['content', 'contentformat'],
            'url' => ['externalurl', 'display'],
            'resource' => ['display', 'draftitemid'],
            'forum' => [],
            'quiz' => quiz_writer::SETTINGS,
        ];
        $shared = ['name', 'intro', 'introformat', 'idnumber', 'visible'];
        foreach (array_keys($changes) as $field) {
            if (!in_array($field, $shared, true) && !in_array($field, $own[$modname], true)) {
                throw new invalid_parameter_exception("fields => {$field}: does not apply to a {$modname}");
            }
        }
    }

    /**
     * An activity as the plugin's functions return it.
     *
     * @param int $cmid course module id
     * @return array
     */
    public static function export(int $cmid): array {
        return self::export_cm(get_coursemodule_from_id('', $cmid, 0, true, MUST_EXIST));
    }

    /**
     * An activity as the plugin's functions return it, from a course module record with its
     * section number (`get_coursemodule_from_id(…, true)`) or a `cm_info`.
     *
     * @param object $cm the course module
     * @return array
     */
    public static function export_cm(object $cm): array {
        return [
            'cmid' => (int) $cm->id,
            'instanceid' => (int) $cm->instance,
            'courseid' => (int) $cm->course,
            'section' => (int) $cm->sectionnum,
            'modname' => $cm->modname,
            'name' => $cm->name,
            'idnumber' => (string) $cm->idnumber,
            'visible' => (bool) $cm->visible,
            'url' => (new moodle_url("/mod/{$cm->modname}/view.php", ['id' => $cm->id]))->out(false),
        ];
    }

    /**
     * The settings a new activity of a module gets from the module's site defaults, as the
     * activity form would fill them in.
     *
     * @param string $modname module name
     * @return array
     */
    private static function instance_defaults(string $modname): array {
        $config = get_config($modname);
        $popup = [
            'popupwidth' => $config->popupwidth ?? 620,
            'popupheight' => $config->popupheight ?? 450,
        ];
        switch ($modname) {
            case 'page':
                return $popup + [
                    'display' => $config->display ?? RESOURCELIB_DISPLAY_OPEN,
                    'printintro' => $config->printintro ?? 0,
                    'printlastmodified' => $config->printlastmodified ?? 1,
                ];
            case 'url':
                return $popup + ['printintro' => $config->printintro ?? 1];
            case 'resource':
                return $popup + [
                    'printintro' => $config->printintro ?? 1,
                    'showsize' => $config->showsize ?? 0,
                    'showtype' => $config->showtype ?? 0,
                    'showdate' => $config->showdate ?? 0,
                    'filterfiles' => $config->filterfiles ?? 0,
                ];
            case 'forum':
                return [
                    'assessed' => 0,
                    'scale' => 0,
                    'grade_forum' => 0,
                    'forcesubscribe' => 0,
                    'trackingtype' => $config->trackingtype ?? 1,
                ];
        }
        return [];
    }

    /**
     * Spreads an instance's serialised display options (and URL parameters) into fields, as the
     * modules' `data_preprocessing()` does, so an update keeps them.
     *
     * @param stdClass $data the instance as `get_moduleinfo_data()` returns it
     */
    private static function unpack_display_options(stdClass $data): void {
        if (!empty($data->displayoptions)) {
            foreach ((array) unserialize_array($data->displayoptions) as $option => $value) {
                $data->$option = $value;
            }
        }
        foreach (['showsize', 'showtype', 'showdate'] as $flag) {
            if ($data->modulename === 'resource' && !isset($data->$flag)) {
                $data->$flag = 0;
            }
        }
        if ($data->modulename === 'url' && !empty($data->parameters)) {
            $i = 0;
            foreach ((array) unserialize_array($data->parameters) as $parameter => $variable) {
                $data->{'parameter_' . $i} = $parameter;
                $data->{'variable_' . $i} = $variable;
                $i++;
            }
        }
    }
}
