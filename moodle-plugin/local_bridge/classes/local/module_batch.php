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

use invalid_parameter_exception;
use moodle_exception;
use Throwable;

/**
 * Makes many activities of one course in one call (`local_bridge_create_modules`): every item is
 * checked first, as its own create function would check it, so a bad item fails alone and
 * nothing is written for it; then all good items are made in one database transaction.
 *
 * Each item is idempotent by its ID number: an item whose ID number an activity of the same type
 * already has in the course is answered `existed` with that activity, and not made again.
 *
 * If making an item fails although its checks passed (a module's own code refusing, a database
 * error), Moodle's delegated transactions cannot undo that item alone, so the whole transaction is
 * rolled back (`force_transaction_rollback()`, as mod_quiz's overdue-attempts task and the question
 * importer recover), the course cache is cleared, and the good items are made again one
 * transaction each, so that the failing one is the only one reported `failed`.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class module_batch {
    /** @var int Most items in one call. */
    const MAX_MODULES = 50;

    /** @var array Each module's own item fields: modname => [field => default, or null when required]. */
    const OWN_FIELDS = [
        'page' => ['content' => null, 'contentformat' => FORMAT_HTML],
        'url' => ['externalurl' => null, 'display' => 0],
        'resource' => ['draftitemid' => null, 'display' => 0],
        'forum' => ['type' => 'general'],
        'quiz' => ['questions' => null, 'grade' => 0.0, 'attempts' => 0, 'grademethod' => 1, 'timeopen' => 0,
            'timeclose' => 0, 'timelimit' => 0, 'questionsperpage' => 1, 'shuffleanswers' => true],
    ];

    /** @var module_writer The course's writer. */
    protected $writer;

    /** @var bool|null Whether the caller may add questions (checked once, for the first quiz). */
    private $canaddquestions = null;

    /**
     * A batch for a course.
     *
     * @param module_writer $writer the course's writer
     */
    public function __construct(module_writer $writer) {
        $this->writer = $writer;
    }

    /**
     * Checks and makes the items; the answer of local_bridge_create_modules.
     *
     * @param array $items the validated items
     * @return array `modules` (one result per item, in order) and `warnings` (one per failed item)
     * @throws moodle_exception `toomanymodules`; `coursebusy` (module_writer::locked())
     */
    public function run(array $items): array {
        $items = array_values($items);
        if (count($items) > self::MAX_MODULES) {
            throw new moodle_exception('toomanymodules', 'local_bridge', '',
                (object) ['max' => self::MAX_MODULES, 'count' => count($items)]);
        }
        // Under the course's lock: a batch sent again while the first one still runs waits for it,
        // then answers its activities `existed` (module_writer::locked()).
        return $this->writer->locked(function() use ($items): array {
            return $this->run_locked($items);
        });
    }

    /**
     * run() with the course's lock held.
     *
     * @param array $items the items, at most MAX_MODULES
     * @return array as run()
     */
    private function run_locked(array $items): array {
        $existing = [];
        foreach (get_fast_modinfo($this->writer->get_course_id())->get_cms() as $cm) {
            if ($cm->idnumber !== '' && !$cm->deletioninprogress && !isset($existing[$cm->idnumber])) {
                $existing[$cm->idnumber] = $cm;
            }
        }
        $results = [];
        $plans = [];
        $seen = [];
        foreach ($items as $i => $item) {
            try {
                if (isset($seen[$item['idnumber']])) {
                    throw new moodle_exception('duplicateidnumberincall', 'local_bridge', '', $item['idnumber']);
                }
                $seen[$item['idnumber']] = true;
                $cm = $existing[$item['idnumber']] ?? null;
                if ($cm && $cm->modname === $item['modname']) {
                    $results[$i] = self::result($item, 'existed', module_writer::export_cm($cm));
                    continue;
                }
                if ($cm) {
                    throw new moodle_exception('duplicateidnumber', 'local_bridge', '',
                        (object) ['idnumber' => $item['idnumber'], 'cmid' => (int) $cm->id]);
                }
                $plans[$i] = $this->plan($item);
            } catch (moodle_exception $e) {
                $results[$i] = self::failure($item, $e);
            }
        }
        $this->create_all($plans, $results);
        ksort($results);
        $warnings = [];
        foreach ($results as $result) {
            if ($result['status'] === 'failed') {
                $warnings[] = ['item' => clean_param($result['idnumber'], PARAM_TEXT), 'warningcode' => $result['errorcode'],
                    'message' => $result['message']];
            }
        }
        return ['modules' => array_values($results), 'warnings' => $warnings];
    }

    /**
     * Checks one item as its create function would, and says how to make it.
     *
     * @param array $item the item
     * @return array `item`, `modname`, `common` (the shared parameters), `fields` (the module's
     *     own), `questions` (a quiz's)
     * @throws moodle_exception the item's problem
     */
    protected function plan(array $item): array {
        $modname = $item['modname'];
        if (!isset(self::OWN_FIELDS[$modname])) {
            throw new moodle_exception('unsupportedmodule', 'local_bridge', '', $modname);
        }
        if ($item['idnumber'] === '') {
            throw new invalid_parameter_exception('idnumber: every item needs one');
        }
        $this->writer->require_can_add($modname);
        foreach (array_merge(...array_map('array_keys', array_values(self::OWN_FIELDS))) as $field) {
            if (array_key_exists($field, $item) && !array_key_exists($field, self::OWN_FIELDS[$modname])) {
                throw new invalid_parameter_exception("{$field}: does not apply to a {$modname}");
            }
        }
        $own = [];
        foreach (self::OWN_FIELDS[$modname] as $field => $default) {
            if (!array_key_exists($field, $item) && $default === null) {
                throw new invalid_parameter_exception("{$field}: required for a {$modname}");
            }
            $own[$field] = $item[$field] ?? $default;
        }
        if (clean_param($item['name'], PARAM_TEXT) !== $item['name']) {
            throw new invalid_parameter_exception('name: no HTML allowed');
        }
        module_writer::check_common($item['name'], $item['introformat'], $item['idnumber']);
        $common = array_intersect_key($item, array_flip(['section', 'name', 'intro', 'introformat', 'idnumber',
            'visible']));
        $questions = null;
        switch ($modname) {
            case 'page':
                module_writer::check_format('contentformat', $own['contentformat']);
                $fields = $own;
                break;
            case 'url':
                if (clean_param($own['externalurl'], PARAM_URL) !== $own['externalurl'] || $own['externalurl'] === '') {
                    throw new invalid_parameter_exception('externalurl: not an http(s) or ftp URL');
                }
                module_writer::check_display('url', $own['display']);
                $fields = $own;
                break;
            case 'resource':
                module_writer::check_display('resource', $own['display']);
                $fields = ['files' => $own['draftitemid'], 'display' => $own['display']];
                break;
            case 'forum':
                module_writer::check_forum_type($own['type']);
                $fields = $own;
                break;
            default:
                if ($this->canaddquestions === null) {
                    try {
                        quiz_writer::require_can_add_questions($this->writer->get_context());
                        $this->canaddquestions = true;
                    } catch (\required_capability_exception $e) {
                        $this->canaddquestions = $e;
                    }
                }
                if ($this->canaddquestions !== true) {
                    throw $this->canaddquestions;
                }
                $settings = array_intersect_key($own, array_flip(quiz_writer::SETTINGS));
                quiz_writer::check_settings($settings);
                question_writer::check_all($own['questions']);
                $questions = $own['questions'];
                $points = array_sum(array_column($questions, 'points'));
                $fields = quiz_writer::instance_fields($settings, $settings['grade'] > 0 ? $settings['grade'] : $points);
        }
        $this->writer->require_section($common['section']);
        if (isset($fields['files'])) {
            module_writer::require_draft_files($fields['files']);
        }
        return ['item' => $item, 'modname' => $modname, 'common' => $common, 'fields' => $fields,
            'questions' => $questions];
    }

    /**
     * Makes one checked item (inside the caller's transaction).
     *
     * @param array $plan what plan() returned
     * @return int the new course module id
     */
    protected function create_item(array $plan): int {
        $cmid = $this->writer->create($plan['modname'], $plan['common'], $plan['fields']);
        if ($plan['questions'] !== null) {
            quiz_writer::add_questions($cmid, $plan['questions']);
        }
        return $cmid;
    }

    /**
     * Makes the checked items: all in one transaction, or, if one of them fails, each in its own.
     *
     * @param array $plans index => plan
     * @param array $results index => result, filled in
     */
    private function create_all(array $plans, array &$results): void {
        global $DB;
        if (!$plans) {
            return;
        }
        if ($DB->is_transaction_started()) {
            // Inside the caller's own transaction nothing can be undone alone: all or nothing.
            foreach ($plans as $i => $plan) {
                $results[$i] = self::result($plan['item'], 'created', module_writer::export($this->create_item($plan)));
            }
            return;
        }
        try {
            $transaction = $DB->start_delegated_transaction();
            $cmids = [];
            foreach ($plans as $i => $plan) {
                $cmids[$i] = $this->create_item($plan);
            }
            $transaction->allow_commit();
            foreach ($cmids as $i => $cmid) {
                $results[$i] = self::result($plans[$i]['item'], 'created', module_writer::export($cmid));
            }
            return;
        } catch (Throwable $e) {
            $this->rollback();
        }
        foreach ($plans as $i => $plan) {
            try {
                $transaction = $DB->start_delegated_transaction();
                $cmid = $this->create_item($plan);
                $transaction->allow_commit();
                $results[$i] = self::result($plan['item'], 'created', module_writer::export($cmid));
            } catch (Throwable $e) {
                $this->rollback();
                $results[$i] = self::failure($plan['item'], $e);
            }
        }
    }

    /**
     * Undoes the open transaction (with the nested ones Moodle's API left open when it threw) and
     * clears the course cache, which may hold what was undone.
     */
    private function rollback(): void {
        global $DB;
        $DB->force_transaction_rollback();
        rebuild_course_cache($this->writer->get_course_id(), true);
    }

    /**
     * One item's result.
     *
     * @param array $item the item
     * @param string $status created, existed or failed
     * @param array|null $module the activity (module_writer::export()), null when failed
     * @param string $errorcode the error code when failed
     * @param string $message the error message when failed
     * @return array
     */
    private static function result(array $item, string $status, ?array $module, string $errorcode = '',
            string $message = ''): array {
        return [
            'idnumber' => $item['idnumber'],
            'status' => $status,
            'modname' => $module['modname'] ?? (string) $item['modname'],
            'cmid' => $module['cmid'] ?? 0,
            'instanceid' => $module['instanceid'] ?? 0,
            'section' => $module['section'] ?? (int) $item['section'],
            'name' => $module['name'] ?? clean_param($item['name'], PARAM_TEXT),
            'visible' => $module['visible'] ?? (bool) $item['visible'],
            'url' => $module['url'] ?? '',
            'errorcode' => $errorcode,
            'message' => $message,
        ];
    }

    /**
     * A failed item's result: the error's code and message (for a value check, with its detail,
     * which Moodle shows only in debuginfo; no other debuginfo, which may hold SQL).
     *
     * @param array $item the item
     * @param Throwable $e what went wrong
     * @return array
     */
    private static function failure(array $item, Throwable $e): array {
        if ($e instanceof moodle_exception) {
            $code = $e->errorcode;
            $message = $e->getMessage();
            if ($e instanceof invalid_parameter_exception && $e->debuginfo && strpos($message, $e->debuginfo) === false) {
                $message .= ' (' . $e->debuginfo . ')';
            }
        } else {
            $code = 'creationfailed';
            $message = get_string('creationfailed', 'local_bridge', get_class($e));
        }
        return self::result($item, 'failed', null, $code, $message);
    }
}
