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

use core_text;
use moodle_exception;
use question_bank;
use stdClass;

/**
 * Checks the questions of a quiz as the bridge sends them and saves each one through its question
 * type's own `save_question()` (what the question editing form does), never with SQL writes.
 *
 * A question, as `structures::question()` describes it: `type` (multichoice, truefalse,
 * shortanswer, essay), `text`, `textformat`, `name`, `points`, `generalfeedback`, `answers`
 * (`text`, `correct`, `feedback`) and the type's own optional fields.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class question_writer {
    /** @var string[] The question types a quiz may be made with. */
    const QTYPES = ['multichoice', 'truefalse', 'shortanswer', 'essay'];

    /** @var int Most questions in one quiz. */
    const MAX_QUESTIONS = 100;

    /** @var int Most answers of one question. */
    const MAX_ANSWERS = 20;

    /** @var float Most points one question may carry (`quiz_slots.maxmark` is NUMBER(12,7)). */
    const MAX_POINTS = 1000;

    /** @var string[] Essay response formats that need no file area. */
    const ESSAY_FORMATS = ['editor', 'plain', 'monospaced'];

    /** @var array Fields of one question type only: field => type. */
    const OWN_FIELDS = [
        'multipleanswers' => 'multichoice',
        'correctanswer' => 'truefalse',
        'feedbacktrue' => 'truefalse',
        'feedbackfalse' => 'truefalse',
        'usecase' => 'shortanswer',
        'responseformat' => 'essay',
        'graderinfo' => 'essay',
    ];

    /**
     * Refuses a list of questions a quiz cannot be made from, naming the first problem.
     *
     * @param array $questions the questions (validated parameters)
     * @throws moodle_exception `invalidquestion`
     */
    public static function check_all(array $questions): void {
        if (!$questions) {
            throw new moodle_exception('noquestions', 'local_bridge');
        }
        if (count($questions) > self::MAX_QUESTIONS) {
            throw new moodle_exception('toomanyquestions', 'local_bridge', '', self::MAX_QUESTIONS);
        }
        foreach (array_values($questions) as $i => $question) {
            $problem = self::problem($question);
            if ($problem !== null) {
                throw new moodle_exception('invalidquestion', 'local_bridge', '',
                    (object) ['number' => $i + 1, 'problem' => $problem]);
            }
        }
    }

    /**
     * What is wrong with one question, or null.
     *
     * @param array $q the question
     * @return string|null the problem, in words
     */
    public static function problem(array $q): ?string {
        if (!in_array($q['type'], self::QTYPES, true)) {
            return get_string('qproblem_type', 'local_bridge', $q['type']);
        }
        if (trim(strip_tags($q['text'], '<img><audio><video>')) === '') {
            return get_string('qproblem_text', 'local_bridge');
        }
        if (!in_array((int) $q['textformat'], array_map('intval', [FORMAT_MOODLE, FORMAT_HTML, FORMAT_PLAIN,
                FORMAT_MARKDOWN]), true)) {
            return get_string('qproblem_format', 'local_bridge', $q['textformat']);
        }
        if (core_text::strlen($q['name']) > 255 || clean_param($q['name'], PARAM_TEXT) !== $q['name']) {
            return get_string('qproblem_name', 'local_bridge');
        }
        if (!is_finite($q['points']) || $q['points'] <= 0 || $q['points'] > self::MAX_POINTS) {
            return get_string('qproblem_points', 'local_bridge', self::MAX_POINTS);
        }
        foreach (self::OWN_FIELDS as $field => $type) {
            if (array_key_exists($field, $q) && $q['type'] !== $type) {
                return get_string('qproblem_field', 'local_bridge', (object) ['field' => $field, 'type' => $type]);
            }
        }
        $answers = $q['answers'];
        if (count($answers) > self::MAX_ANSWERS) {
            return get_string('qproblem_toomanyanswers', 'local_bridge', self::MAX_ANSWERS);
        }
        foreach ($answers as $answer) {
            if (trim($answer['text']) === '') {
                return get_string('qproblem_emptyanswer', 'local_bridge');
            }
        }
        $correct = count(array_filter($answers, fn($a) => !empty($a['correct'])));
        switch ($q['type']) {
            case 'multichoice':
                if (count($answers) < 2) {
                    return get_string('qproblem_twoanswers', 'local_bridge');
                }
                if ($correct === 0) {
                    return get_string('qproblem_nocorrect', 'local_bridge');
                }
                if (isset($q['multipleanswers']) && !$q['multipleanswers'] && $correct > 1) {
                    return get_string('qproblem_onecorrect', 'local_bridge', $correct);
                }
                return null;
            case 'truefalse':
                if ($answers) {
                    return get_string('qproblem_noanswers', 'local_bridge', 'truefalse');
                }
                if (!isset($q['correctanswer'])) {
                    return get_string('qproblem_correctanswer', 'local_bridge');
                }
                return null;
            case 'shortanswer':
                if ($correct === 0) {
                    return get_string('qproblem_nocorrect', 'local_bridge');
                }
                return null;
            default:
                if ($answers) {
                    return get_string('qproblem_noanswers', 'local_bridge', 'essay');
                }
                if (isset($q['responseformat']) && !in_array($q['responseformat'], self::ESSAY_FORMATS, true)) {
                    return get_string('qproblem_responseformat', 'local_bridge', implode(', ', self::ESSAY_FORMATS));
                }
                return null;
        }
    }

    /**
     * Saves a new question in a category through its question type (`save_question()`, which runs
     * in its own delegated transaction and fires `question_created`).
     *
     * @param array $q the question, checked by check_all()
     * @param stdClass $category the question category
     * @param int $number its position in the quiz, from 1 (for its default name)
     * @return stdClass the saved question (`id`, `qtype`, …)
     */
    public static function save(array $q, stdClass $category, int $number): stdClass {
        global $CFG;
        require_once($CFG->libdir . '/questionlib.php');

        $form = self::form_data($q, $number);
        $form->category = $category->id . ',' . $category->contextid;
        $question = new stdClass();
        $question->qtype = $q['type'];
        $question->category = $category->id;
        return question_bank::get_qtype($q['type'])->save_question($question, $form);
    }

    /**
     * The question as the question editing form would submit it.
     *
     * @param array $q the question
     * @param int $number its position in the quiz, from 1
     * @return stdClass
     */
    public static function form_data(array $q, int $number): stdClass {
        $format = $q['textformat'];
        $form = new stdClass();
        $form->name = $q['name'] !== '' ? $q['name']
            : get_string('questionname', 'local_bridge', (object) [
                'number' => $number,
                'text' => shorten_text(trim(html_to_text($q['text'], 0, false)), 50),
            ]);
        $form->questiontext = ['text' => $q['text'], 'format' => $format];
        $form->generalfeedback = ['text' => $q['generalfeedback'], 'format' => $format];
        $form->defaultmark = round($q['points'], 7);
        $form->status = \core_question\local\bank\question_version_status::QUESTION_STATUS_READY;
        $form->idnumber = '';
        $empty = ['text' => '', 'format' => $format];

        switch ($q['type']) {
            case 'multichoice':
                $correct = count(array_filter($q['answers'], fn($a) => !empty($a['correct'])));
                $single = isset($q['multipleanswers']) ? !$q['multipleanswers'] : $correct === 1;
                $form->single = $single ? '1' : '0';
                $form->shuffleanswers = 1;
                $form->answernumbering = 'abc';
                $form->showstandardinstruction = 0;
                $form->shownumcorrect = 1;
                $form->penalty = 0.3333333;
                $form->correctfeedback = $empty;
                $form->partiallycorrectfeedback = $empty;
                $form->incorrectfeedback = $empty;
                // One right answer: it is worth everything. Several: they share the marks, and each
                // wrong choice takes one share away, so choosing everything earns nothing.
                $share = round(1 / $correct, 7);
                foreach (array_values($q['answers']) as $i => $answer) {
                    $form->answer[$i] = ['text' => $answer['text'], 'format' => $format];
                    $form->fraction[$i] = !empty($answer['correct']) ? ($single ? 1.0 : $share) : ($single ? 0.0 : -$share);
                    $form->feedback[$i] = ['text' => $answer['feedback'], 'format' => $format];
                }
                break;
            case 'truefalse':
                $form->correctanswer = $q['correctanswer'] ? '1' : '0';
                $form->feedbacktrue = ['text' => $q['feedbacktrue'] ?? '', 'format' => $format];
                $form->feedbackfalse = ['text' => $q['feedbackfalse'] ?? '', 'format' => $format];
                $form->penalty = 1;
                break;
            case 'shortanswer':
                $form->usecase = !empty($q['usecase']) ? 1 : 0;
                $form->penalty = 0.3333333;
                foreach (array_values($q['answers']) as $i => $answer) {
                    $form->answer[$i] = trim($answer['text']);
                    $form->fraction[$i] = !empty($answer['correct']) ? 1.0 : 0.0;
                    $form->feedback[$i] = ['text' => $answer['feedback'], 'format' => $format];
                }
                break;
            case 'essay':
                $form->penalty = 0;
                $form->responseformat = $q['responseformat'] ?? 'editor';
                $form->responserequired = 1;
                $form->responsefieldlines = 10;
                $form->attachments = 0;
                $form->attachmentsrequired = 0;
                $form->maxbytes = 0;
                $form->filetypeslist = '';
                $form->graderinfo = ['text' => $q['graderinfo'] ?? '', 'format' => $format];
                $form->responsetemplate = $empty;
                break;
        }
        return $form;
    }
}
