"""The quiz checks of local_bridge for plugin_checks.py: a quiz made with every question type,
found by ID number, its questions replaced, then attempted by a learner through Moodle's own quiz
web services (mod_quiz_start_attempt, mod_quiz_get_attempt_data, mod_quiz_process_attempt) and
graded (mod_quiz_get_user_best_grade, the gradebook), after which replacing its questions is
refused (quizhasattempts)."""

from plugin_checks_site import errorcode

# Keys whose values differ between a real site and the stand-in (and between runs): ids the
# site hands out and times.
QUIZ_VOLATILE = {"id", "quiz", "uniqueid", "questionid", "coursemodule", "timestart", "timefinish",
                 "timemodified", "timemodifiedoffline", "lastactiontime", "gradednotificationsenttime",
                 "iteminstance", "gradedatesubmitted", "gradedategraded", "cmid", "instanceid",
                 "contextid", "timecreated", "added", "instance"}


def flatten(prefix, value, out=None):
    """A nested value in Moodle's bracket notation (`questions[0][answers][1][text]`)."""
    out = {} if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(f"{prefix}[{k}]", v, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            flatten(f"{prefix}[{i}]", v, out)
    else:
        out[prefix] = str(int(value)) if isinstance(value, bool) else str(value)
    return out


def scrub(value):
    """A copy with the volatile values zeroed and rendered HTML replaced by its length class, so
    two sites' answers can be compared."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in QUIZ_VOLATILE and isinstance(v, int) and not isinstance(v, bool):
                out[k] = 0
            elif k == "html" and isinstance(v, str):
                out[k] = "<html>"
            else:
                out[k] = scrub(v)
        return out
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


# Every question type; the first version of the checks' quiz.
ALL_TYPES = [
    {"type": "multichoice", "text": "<p>How many legs has a spider?</p>", "points": 2,
     "generalfeedback": "Spiders are arachnids.",
     "answers": [{"text": "8", "correct": True, "feedback": "Yes."}, {"text": "6", "feedback": "That is an insect."}]},
    {"type": "multichoice", "text": "<p>Which are prime?</p>", "points": 3,
     "answers": [{"text": "2", "correct": True}, {"text": "3", "correct": True}, {"text": "4"}]},
    {"type": "truefalse", "text": "<p>Water boils at 100 °C at sea level.</p>", "correctanswer": True,
     "feedbacktrue": "Right.", "feedbackfalse": "It does."},
    {"type": "shortanswer", "text": "<p>The capital of France?</p>", "points": 4,
     "answers": [{"text": "Paris", "correct": True, "feedback": "Yes."}, {"text": "*", "feedback": "No."}]},
    {"type": "essay", "text": "<p>Describe a pendulum.</p>", "points": 5, "graderinfo": "Period and length."},
]

# What the update puts in: questions graded automatically (2 + 3 + 1 + 4 = 10 marks).
GRADED = [
    {"type": "multichoice", "text": "<p>2 + 2?</p>", "points": 2,
     "answers": [{"text": "4", "correct": True}, {"text": "5"}, {"text": "22"}]},
    {"type": "multichoice", "text": "<p>Which are even?</p>", "points": 3,
     "answers": [{"text": "2", "correct": True}, {"text": "3"}, {"text": "4", "correct": True}]},
    {"type": "truefalse", "text": "<p>The Moon is a planet.</p>", "correctanswer": False},
    {"type": "shortanswer", "text": "<p>Chemical symbol of gold?</p>", "points": 4,
     "answers": [{"text": "Au", "correct": True}]},
]

# The right responses to GRADED, by slot (choices in answer order: the quiz does not shuffle).
RIGHT = {1: [("answer", "0")], 2: [("choice0", "1"), ("choice2", "1")], 3: [("answer", "0")], 4: [("answer", "Au")]}


def quiz_checks(site, c, run):
    t = site.tokens
    teacher, student, learner = t["teacher1_bridge"], t["student1_bridge"], t["student1_mobile"]
    idnumber = f"chk-{run}-quiz"
    base = dict(courseid="2", section="2", name="Checks quiz", shuffleanswers="0", idnumber=idnumber,
                intro="<p>Made by the checks</p>")
    r = site.ws(teacher, "local_bridge_create_quiz", **base, **flatten("questions", ALL_TYPES))
    c.answer("create_quiz teacher", r, scrub(r.json()))
    quiz = r.json() or {}
    cmid = quiz.get("cmid")
    c.check("create_quiz as teacher makes a quiz with its five questions, each worth its points",
            quiz.get("modname") == "quiz" and quiz.get("section") == 2
            and [(q.get("type"), q.get("maxmark")) for q in quiz.get("questions", [])]
            == [("multichoice", 2), ("multichoice", 3), ("truefalse", 1), ("shortanswer", 4), ("essay", 5)],
            r.body[:400])
    c.check("the quiz's grade and total of marks are the sum of the points (15)",
            quiz.get("grade") == 15 and quiz.get("sumgrades") == 15, r.body[:400])
    c.check("questions get numbered names from their text",
            (quiz.get("questions") or [{}])[0].get("name") == "Q1: How many legs has a spider?", r.body[:400])

    r = site.ws(student, "local_bridge_create_quiz", **{**base, "idnumber": ""}, **flatten("questions", GRADED))
    c.answer("create_quiz student", r)
    c.check("create_quiz as a student is nopermissions", errorcode(r) == "nopermissions", r.body[:200])
    r = site.ws(teacher, "local_bridge_create_quiz", **base, **flatten("questions", GRADED))
    c.answer("create_quiz duplicate idnumber", r)
    c.check("create_quiz with an ID number in use is duplicateidnumber", errorcode(r) == "duplicateidnumber",
            r.body[:200])
    bad = [GRADED[0], {**GRADED[1], "answers": [{"text": "2"}, {"text": "3"}]}]
    r = site.ws(teacher, "local_bridge_create_quiz", **{**base, "idnumber": ""}, **flatten("questions", bad))
    c.answer("create_quiz no correct answer", r)
    c.check("a question without a right answer is invalidquestion, naming it",
            errorcode(r) == "invalidquestion"
            and (r.json() or {}).get("message") == "Question 2: no answer is marked correct.", r.body[:200])
    r = site.ws(teacher, "local_bridge_create_quiz", **{**base, "idnumber": ""},
                **flatten("questions", [{"type": "truefalse", "text": "x"}]))
    c.check("a true/false question without correctanswer is invalidquestion", errorcode(r) == "invalidquestion",
            r.body[:200])
    r = site.ws(teacher, "local_bridge_create_quiz", **{**base, "idnumber": ""},
                **flatten("questions", [{"type": "matching", "text": "x"}]))
    c.check("an unsupported question type is invalidquestion", errorcode(r) == "invalidquestion", r.body[:200])
    r = site.ws(teacher, "local_bridge_create_quiz", **{**base, "idnumber": "", "timeopen": "2000", "timeclose": "1000"},
                **flatten("questions", GRADED))
    c.check("a quiz closing before it opens is invalidparameter", errorcode(r) == "invalidparameter", r.body[:200])

    r = site.ws(teacher, "local_bridge_find_modules_by_idnumber", courseid="2", **{"idnumbers[0]": idnumber})
    found = (r.json() or {}).get("modules", [])
    c.check("find_modules_by_idnumber finds the quiz",
            [(m.get("cmid"), m.get("modname")) for m in found] == [(cmid, "quiz")], r.body[:300])

    r = site.ws(teacher, "local_bridge_update_quiz", cmid=str(cmid),
                **{"fields[name]": "Checks quiz, graded", "fields[attempts]": "1"}, **flatten("questions", GRADED))
    c.answer("update_quiz replace questions", r, scrub(r.json()))
    quiz = r.json() or {}
    c.check("update_quiz replaces the questions of a quiz without attempts; the grade follows (10)",
            [(q.get("type"), q.get("maxmark")) for q in quiz.get("questions", [])]
            == [("multichoice", 2), ("multichoice", 3), ("truefalse", 1), ("shortanswer", 4)]
            and quiz.get("grade") == 10 and quiz.get("sumgrades") == 10 and quiz.get("name") == "Checks quiz, graded",
            r.body[:400])
    r = site.ws(teacher, "local_bridge_update_quiz", cmid="1", **{"fields[name]": "x"})
    c.answer("update_quiz not a quiz", r)
    c.check("update_quiz on a page is notaquiz", errorcode(r) == "notaquiz", r.body[:200])
    r = site.ws(student, "local_bridge_update_quiz", cmid=str(cmid), **{"fields[name]": "x"})
    c.check("update_quiz as a student is nopermissions", errorcode(r) == "nopermissions", r.body[:200])

    attempt_checks(site, c, learner, cmid)

    r = site.ws(teacher, "local_bridge_update_quiz", cmid=str(cmid), **flatten("questions", GRADED[:2]))
    c.answer("update_quiz after an attempt", r)
    c.check("once a learner has attempted it, replacing the questions is refused: quizhasattempts",
            errorcode(r) == "quizhasattempts" and f"course module {cmid})" in (r.json() or {}).get("message", ""),
            r.body[:300])
    r = site.ws(teacher, "local_bridge_update_quiz", cmid=str(cmid), **{"fields[name]": "Checks quiz, attempted"})
    c.check("its settings can still change", (r.json() or {}).get("name") == "Checks quiz, attempted"
            and len((r.json() or {}).get("questions", [])) == 4, r.body[:300])
    r = site.ws(teacher, "local_bridge_update_module", cmid=str(cmid), **{"fields[visible]": "0"})
    c.check("update_module hides a quiz", (r.json() or {}).get("visible") is False, r.body[:300])


def attempt_checks(site, c, learner, cmid):
    """A learner attempts the quiz through Moodle's own web services and gets the grade."""
    r = site.ws(learner, "mod_quiz_get_quizzes_by_courses", **{"courseids[0]": "2"})
    mine = [q for q in (r.json() or {}).get("quizzes", []) if q.get("coursemodule") == cmid]
    c.answer("mod_quiz_get_quizzes_by_courses", r, scrub(mine))
    quiz = mine[0] if mine else {}
    c.check("mod_quiz_get_quizzes_by_courses shows the learner the quiz: 10 marks, one attempt, answers after "
            "submission", quiz.get("grade") == 10 and quiz.get("sumgrades") == 10 and quiz.get("attempts") == 1
            and quiz.get("hasquestions") == 1 and quiz.get("preferredbehaviour") == "deferredfeedback"
            and quiz.get("reviewrightanswer") == 0x1110 and quiz.get("reviewcorrectness") == 0x1110, str(quiz)[:300])
    quizid = str(quiz.get("id", 0))
    r = site.ws(learner, "mod_quiz_start_attempt", quizid=quizid)
    c.answer("mod_quiz_start_attempt", r, scrub(r.json()))
    attempt = (r.json() or {}).get("attempt", {})
    c.check("mod_quiz_start_attempt starts an attempt", attempt.get("state") == "inprogress"
            and attempt.get("layout") == "1,0,2,0,3,0,4,0", r.body[:300])
    aid, uid = str(attempt.get("id", 0)), attempt.get("uniqueid")
    seq = {}
    for page in range(4):
        r = site.ws(learner, "mod_quiz_get_attempt_data", attemptid=aid, page=str(page))
        body = r.json() or {}
        c.answer(f"mod_quiz_get_attempt_data page {page}", r, scrub(body))
        for q in body.get("questions", []):
            seq[q.get("slot")] = q.get("sequencecheck")
            names = {1: "answer", 2: "choice0", 3: "answer", 4: "answer"}
            c.check(f"page {page}: slot {q.get('slot')} ({q.get('type')}) renders its input q{uid}:{q.get('slot')}_"
                    f"{names.get(q.get('slot'))}, hides the right answer, shows the marks it is worth",
                    f'name="q{uid}:{q.get("slot")}_{names.get(q.get("slot"))}"' in q.get("html", "")
                    and "correct" not in q.get("stateclass", "x") and q.get("maxmark") in (1, 2, 3, 4)
                    and "The correct answer" not in q.get("html", ""), str(q)[:300])
    c.check("the attempt has its four questions, one per page", sorted(seq) == [1, 2, 3, 4], str(seq))
    data = []
    for slot, fields in RIGHT.items():
        data.append((f"q{uid}:{slot}_:sequencecheck", str(seq.get(slot, 0))))
        data += [(f"q{uid}:{slot}_{k}", v) for k, v in fields]
    form = {}
    for i, (name, value) in enumerate(data):
        form[f"data[{i}][name]"] = name
        form[f"data[{i}][value]"] = value
    r = site.ws(learner, "mod_quiz_process_attempt", attemptid=aid, finishattempt="1", **form)
    c.answer("mod_quiz_process_attempt finish", r)
    c.check("mod_quiz_process_attempt with the right answers and finishattempt=1 finishes the attempt",
            (r.json() or {}).get("state") == "finished", r.body[:300])
    r = site.ws(learner, "mod_quiz_get_user_best_grade", quizid=quizid)
    c.answer("mod_quiz_get_user_best_grade", r)
    c.check("mod_quiz_get_user_best_grade: 10 of 10", (r.json() or {}).get("hasgrade") is True
            and (r.json() or {}).get("grade") == 10, r.body[:300])
    r = site.ws(learner, "mod_quiz_get_user_attempts", quizid=quizid)
    c.answer("mod_quiz_get_user_attempts", r, scrub(r.json()))
    attempts = (r.json() or {}).get("attempts", [])
    c.check("mod_quiz_get_user_attempts: one finished attempt with all 10 marks",
            [(a.get("state"), a.get("sumgrades")) for a in attempts] == [("finished", 10)], r.body[:300])
    if site.target == "real":
        r = site.ws(learner, "gradereport_user_get_grade_items", courseid="2", userid="4")
        items = [g for u in (r.json() or {}).get("usergrades", []) for g in u.get("gradeitems", [])
                 if g.get("itemmodule") == "quiz" and g.get("cmid") == cmid]
        c.check("the gradebook holds the quiz grade (gradereport_user_get_grade_items)",
                [(g.get("graderaw"), g.get("grademax")) for g in items] == [(10, 10)], str(items)[:300])
    else:
        print("skip gradebook report: the stand-in does not model the course gradebook "
              "(gradereport_user_get_grade_items); mod_quiz_get_user_best_grade carries the grade there")
    r = site.ws(learner, "mod_quiz_start_attempt", quizid=quizid)
    c.answer("mod_quiz_start_attempt no attempts left", r)
    c.check("a second attempt is refused (one attempt allowed)",
            errorcode(r) is not None or (r.json() or {}).get("warnings"), r.body[:300])
