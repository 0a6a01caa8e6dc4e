"""The event checks of local_bridge for plugin_checks.py: local_bridge_get_events returns, in order,
the events every other check's writes caused (activities made and changed, a quiz attempted) and
those of its own scenario — a course made, a learner enrolled, an assignment submitted and graded,
the course changed and the learner unenrolled from the command line (origin cli), the course
deleted — each with its origin (web service or not, which service, whether through the caller's
token); what a learner and a teacher may see of them; its parameter refusals."""

import json

from plugin_checks_site import errorcode

# Seeded users (same ids on the real sites and the stand-in).
STUDENT2 = 5
TEACHER1 = 3
# PHYS101's "Lab report 1" (assign id 1).
LAB_REPORT = "1"
STUDENT_ROLE = "5"

# Values that differ between sites and runs: ids the sites hand out and times.
EVENT_VOLATILE = {"id", "objectid", "courseid", "contextid", "contextinstanceid", "timecreated"}
OTHER_VOLATILE = {"id", "instanceid", "itemid", "iteminstance", "quizid", "finalgrade"}


def get_events(site, token, afterid, limit=500):
    """Every event after a cursor, following `more`; (events, last answer)."""
    events, body = [], {}
    for _ in range(50):
        r = site.ws(token, "local_bridge_get_events", afterid=str(afterid), limit=str(limit))
        body = r.json() or {}
        events += body.get("events", [])
        afterid = body.get("lastid", afterid)
        if not body.get("more"):
            break
    return events, body


def cursor(site):
    """The newest event id now: where the checks' events start."""
    r = site.ws(site.tokens["admin_bridge"], "local_bridge_get_events", limit="1")
    return (r.json() or {}).get("newestid", 0)


def shape(event):
    """An event with the values that differ between sites zeroed and `other` decoded, to compare."""
    out = {k: (0 if k in EVENT_VOLATILE else v) for k, v in event.items()}
    try:
        other = json.loads(event.get("other") or "{}")
    except ValueError:
        other = {"__invalid__": event.get("other")}
    out["other"] = {k: (0 if k in OTHER_VOLATILE and isinstance(v, (int, float)) else v) for k, v in other.items()}
    return out


def short(event):
    return event.get("eventname", "").rsplit("\\", 1)[-1]


def event_checks(site, c, run, start):
    t = site.tokens
    admin, teacher, student = t["admin_bridge"], t["teacher1_bridge"], t["student2_bridge"]
    # Grading through the mobile app's service (the bridge service of the stand-in's recorded site
    # lacks the assignment's grading functions), so its events name that service.
    grader = t["teacher1_mobile"]

    # The scenario: each write through a web service, as its own user.
    r = site.ws(admin, "core_course_create_courses", **{
        "courses[0][fullname]": f"Events check {run}", "courses[0][shortname]": f"EVC-{run}",
        "courses[0][categoryid]": "1"})
    courseid = ((r.json() or [{}])[0]).get("id")
    c.check("the scenario's course is made", isinstance(courseid, int), r.body[:200])
    r = site.ws(admin, "enrol_manual_enrol_users", **{
        "enrolments[0][roleid]": STUDENT_ROLE, "enrolments[0][userid]": str(STUDENT2),
        "enrolments[0][courseid]": str(courseid)})
    c.check("student2 is enrolled in it", r.json() is None, r.body[:200])
    r = site.ws(admin, "local_bridge_create_page", courseid=str(courseid), section="0", name="Events page",
                content="<p>Events</p>", idnumber=f"evc-{run}-page")
    c.check("a page is made in it", (r.json() or {}).get("modname") == "page", r.body[:200])
    r = site.ws(admin, "core_course_update_courses", **{
        "courses[0][id]": str(courseid), "courses[0][fullname]": f"Events check {run}, renamed"})
    c.check("it is renamed", (r.json() or {}).get("warnings") == [], r.body[:200])
    r = site.ws(grader, "mod_assign_revert_submissions_to_draft", assignmentid=LAB_REPORT,
                **{"userids[0]": str(STUDENT2)})
    c.check("teacher1 reverts student2's lab report to draft", r.json() == [], r.body[:200])
    r = site.ws(student, "mod_assign_submit_for_grading", assignmentid=LAB_REPORT, acceptsubmissionstatement="1")
    c.check("student2 submits it again", r.json() == [], r.body[:200])
    # Moodle records a grade event only when the grade changes: 70 then 71 changes it whatever the
    # last run left.
    for grade in ("70", "71"):
        r = site.ws(grader, "mod_assign_save_grade", assignmentid=LAB_REPORT, userid=str(STUDENT2), grade=grade,
                    attemptnumber="-1", addattempt="0", workflowstate="", applytoall="0")
        c.check(f"teacher1 grades it {grade}", r.json() is None, r.body[:200])
    # What each reader sees while student2 is enrolled.
    mine, _ = get_events(site, student, start)
    theirs, _ = get_events(site, teacher, start)
    cli = site.fixture("cli-changes", str(courseid), str(STUDENT2), f"Events check {run} (cli)")
    c.check("from the command line the course is renamed and student2 unenrolled", cli.get("done") is True, str(cli))
    r = site.ws(admin, "core_course_delete_courses", **{"courseids[0]": str(courseid)})
    c.check("the course is deleted", (r.json() or {}).get("warnings") == [], r.body[:200])

    events, last = get_events(site, admin, start)
    # Only the courses the checks write to: another client of the same site (the bridge's own
    # real-Moodle suite) may be making courses at the same time.
    # Nor the subsection checks' page: a target without a subsection (the stand-in, a 4.5 site with
    # mod_subsection off) skips them, and they check their own answers.
    checked = [e for e in events if e.get("courseid") in (2, 3, 4, courseid)
               and not str(shape(e)["other"].get("name", "")).startswith("Checks page in a subsection")]
    c.answer("get_events after the checks", _Shaped(last), [shape(e) for e in checked])
    ids = [e.get("id") for e in events]
    c.check("events come in increasing id order, once each", ids == sorted(set(ids)) and len(ids) > 0, str(ids)[:200])
    c.check("lastid is the last event's id and newestid is at least that",
            last.get("lastid") == (ids[-1] if ids else start) and last.get("newestid", 0) >= last.get("lastid", 0)
            and last.get("more") is False, str({k: v for k, v in last.items() if k != "events"}))

    ours = [e for e in events if e.get("courseid") == courseid or e.get("relateduserid") == STUDENT2
            and e.get("courseid") in (courseid, 2)]
    seq = [(short(e), e.get("origin")) for e in ours]
    expected = [
        ("course_created", "ws"), ("user_enrolment_created", "ws"), ("role_assigned", "ws"),
        ("course_module_created", "ws"), ("course_updated", "ws"),
        ("assessable_submitted", "ws"), ("user_graded", "ws"), ("user_graded", "ws"), ("user_graded", "ws"),
        ("user_graded", "ws"), ("course_updated", "cli"), ("role_unassigned", "cli"), ("user_enrolment_deleted", "cli"),
    ]
    c.check("the scenario's events, in order, with their origins", seq[:len(expected)] == expected, str(seq))
    tail = [short(e) for e in ours[len(expected):]]
    # delete_course() removes the activities with remove_course_contents(), which triggers no
    # course_module_deleted (course/lib.php, lib/moodlelib.php).
    c.check("deleting the course records course_deleted alone", tail == ["course_deleted"], str(tail))

    by = {short(e): e for e in ours}
    created = by.get("course_created", {})
    c.check("course_created: the course, the admin acting through this token of the bridge service",
            created.get("objectid") == courseid and created.get("userid") == 2 and created.get("service") == "bridge"
            and created.get("viacallertoken") is True
            and json.loads(created.get("other", "{}")).get("shortname") == f"EVC-{run}", str(created))
    enrolled = by.get("user_enrolment_created", {})
    c.check("user_enrolment_created names student2 and the manual enrolment method",
            enrolled.get("relateduserid") == STUDENT2 and json.loads(enrolled.get("other", "{}")) == {"enrol": "manual"},
            str(enrolled))
    role = by.get("role_assigned", {})
    c.check("role_assigned: the student role (objectid is the role), its short name",
            role.get("objectid") == int(STUDENT_ROLE) and role.get("relateduserid") == STUDENT2
            and json.loads(role.get("other", "{}")).get("roleshortname") == "student", str(role))
    page = by.get("course_module_created", {})
    c.check("course_module_created by local_bridge_create_page: module page, its name",
            page.get("contextlevel") == 70 and {k: v for k, v in json.loads(page.get("other", "{}")).items()
                                                if k != "instanceid"} == {"modulename": "page", "name": "Events page"},
            str(page))
    submitted = by.get("assessable_submitted", {})
    c.check("assessable_submitted: student2's submission through another token (not the caller's)",
            submitted.get("userid") == STUDENT2 and submitted.get("relateduserid") == STUDENT2
            and submitted.get("viacallertoken") is False and submitted.get("service") == "bridge"
            and json.loads(submitted.get("other", "{}")) == {"submission_editable": False}, str(submitted))
    graded = [e for e in ours if short(e) == "user_graded"][-2:]
    items = [json.loads(e.get("other", "{}")) for e in graded]
    c.check("each grading records user_graded twice: the assignment's grade item (by teacher1) and the course "
            "total (by the system, -1), through the mobile app's service",
            [(i.get("itemtype"), i.get("itemmodule"), i.get("finalgrade")) for i in items]
            == [("mod", "assign", 71), ("course", "", 71)]
            and [e.get("userid") for e in graded] == [TEACHER1, -1]
            and all(e.get("service") == "moodle_mobile_app" for e in graded), str(graded)[:400])
    clis = [e for e in ours if e.get("origin") == "cli"]
    c.check("the command line's changes: origin cli, no service, not the caller's token",
            len(clis) == 3 and all(e.get("service") == "" and e.get("viacallertoken") is False for e in clis),
            str(clis)[:300])
    deleted = by.get("course_deleted", {})
    c.check("course_deleted keeps the course's names", json.loads(deleted.get("other", "{}")).get("fullname")
            == f"Events check {run} (cli)", str(deleted))

    attempt = [e for e in events if short(e) == "attempt_submitted"]
    c.check("the quiz checks' attempt is recorded: attempt_submitted through the mobile service",
            len(attempt) == 1 and attempt[0].get("service") == "moodle_mobile_app" and attempt[0].get("origin") == "ws",
            str(attempt)[:300])
    learner = [short(e) for e in events if e.get("service") == "moodle_mobile_app" and e.get("relateduserid") == 4]
    if str(site.setup.get("release", "")).startswith("4."):
        expected = ["user_graded", "user_graded", "attempt_submitted"]
    else:
        expected = ["attempt_submitted", "user_graded", "user_graded", "attempt_graded"]
    c.check("the attempt's events in Moodle's order: 4.x grades then attempt_submitted; 5.0+ attempt_submitted, "
            "the grades, attempt_graded", learner == expected, str(learner))
    made = [e for e in events if short(e) == "course_module_created" and e.get("courseid") == 2]
    c.check("the other checks' activities are recorded (course_module_created in PHYS101)", len(made) >= 20,
            str(len(made)))

    visibility_checks(c, mine, theirs, courseid)
    parameter_checks(site, c, start)


def visibility_checks(c, mine, theirs, courseid):
    """What student2 and teacher1 saw while student2 was enrolled in the course."""
    names = {(short(e), e.get("courseid")) for e in mine}
    c.check("student2 sees their own enrolment, role, submission and the course they joined",
            {("user_enrolment_created", courseid), ("role_assigned", courseid), ("assessable_submitted", 2),
             ("course_created", courseid), ("course_module_created", courseid)} <= names, str(sorted(names))[:400])
    c.check("student2 sees no grade event and nothing about other users",
            all(short(e) != "user_graded" for e in mine)
            and all(e.get("relateduserid") in (0, STUDENT2) for e in mine), str(mine)[:300])
    seen = {(short(e), e.get("courseid")) for e in theirs}
    c.check("teacher1 sees the submission and grades in PHYS101",
            {("assessable_submitted", 2), ("user_graded", 2)} <= seen, str(sorted(seen))[:300])
    c.check("teacher1 sees nothing of a course they are not in", all(e.get("courseid") != courseid for e in theirs),
            str([e for e in theirs if e.get("courseid") == courseid])[:300])


def parameter_checks(site, c, start):
    admin = site.tokens["admin_bridge"]
    for name, params in [("limit 0", {"limit": "0"}), ("limit 501", {"limit": "501"}),
                         ("afterid -1", {"afterid": "-1"})]:
        r = site.ws(admin, "local_bridge_get_events", **params)
        c.answer(f"get_events {name}", r)
        c.check(f"get_events with {name} is invalidparameter", errorcode(r) == "invalidparameter", r.body[:200])
    r = site.ws(admin, "local_bridge_get_events", afterid=str(start), limit="1")
    body = r.json() or {}
    first = (body.get("events") or [{}])[0]
    c.check("limit 1 returns one event, lastid is its id and more is true",
            len(body.get("events", [])) == 1 and body.get("lastid") == first.get("id") and body.get("more") is True,
            r.body[:300])
    r = site.ws(site.tokens["student1_mobile"], "local_bridge_get_events")
    c.check("a token of a service without the function is refused (accessexception)",
            errorcode(r) == "accessexception", r.body[:200])


class _Shaped:
    """A response whose body the checks replace (the harness records status and content type)."""

    def __init__(self, body):
        self.status = 200
        self._body = body

    def header(self, name):
        return "application/json; charset=utf-8" if name.lower() == "content-type" else None

    def json(self):
        return self._body
