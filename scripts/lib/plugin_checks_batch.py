"""The batch checks of local_bridge for plugin_checks.py: local_bridge_create_modules makes twenty
mixed activities in one call, one bad item failing alone; the same call again makes nothing new
(each item is idempotent by ID number); the call's refusals."""

from plugin_checks_quiz import GRADED, flatten, scrub
from plugin_checks_site import at_once, errorcode


def batch_items(site, token, run):
    """Nineteen good items of every type (files uploaded first) and one bad one (a javascript: URL),
    as the fourteenth."""
    items = []
    for i in range(5):
        items.append({"modname": "page", "idnumber": f"chk-{run}-b-page-{i}", "name": f"Batch page {i}",
                      "section": 3, "content": f"<p>Page {i}</p>"})
    for i in range(4):
        items.append({"modname": "url", "idnumber": f"chk-{run}-b-url-{i}", "name": f"Batch link {i}",
                      "section": 3, "externalurl": f"https://example.org/{i}", "display": 0})
    for i, kind in enumerate(["general", "qanda", "single", "blog"]):
        items.append({"modname": "forum", "idnumber": f"chk-{run}-b-forum-{i}", "name": f"Batch forum {i}",
                      "section": 4, "type": kind, "intro": "<p>Talk</p>"})
    items.append({"modname": "url", "idnumber": f"chk-{run}-b-bad", "name": "Batch bad link", "section": 3,
                  "externalurl": "javascript:alert(1)"})
    for i in range(3):
        up = site.upload(token, f"batch-{i}.txt", f"Batch file {i}\n".encode())
        itemid = ((up.json() or [{}])[0]).get("itemid", 0)
        items.append({"modname": "resource", "idnumber": f"chk-{run}-b-file-{i}", "name": f"Batch file {i}",
                      "section": 4, "draftitemid": itemid})
    for i in range(3):
        items.append({"modname": "quiz", "idnumber": f"chk-{run}-b-quiz-{i}", "name": f"Batch quiz {i}",
                      "section": 4, "questions": GRADED[: i + 2], "visible": i != 2})
    return items


def batch_checks(site, c, run):
    t = site.tokens
    teacher, student = t["teacher1_bridge"], t["student1_bridge"]
    items = batch_items(site, teacher, run)
    form = flatten("modules", items)
    r = site.ws(teacher, "local_bridge_create_modules", courseid="2", **form)
    c.answer("create_modules twenty items", r, scrub(r.json()))
    body = r.json() or {}
    results = body.get("modules", [])
    statuses = [(m.get("idnumber"), m.get("status")) for m in results]
    expected = [(i["idnumber"], "failed" if i["idnumber"].endswith("-b-bad") else "created") for i in items]
    c.check("create_modules makes 19 activities of five types in one call; the bad item fails alone",
            statuses == expected and len(results) == 20, str(statuses)[:400])
    bad = [m for m in results if m.get("status") == "failed"]
    c.check("the bad item says why: invalidparameter, naming the URL, and a warning repeats it",
            [(m.get("errorcode"), m.get("cmid")) for m in bad] == [("invalidparameter", 0)]
            and "externalurl" in bad[0].get("message", "")
            and [(w.get("item"), w.get("warningcode")) for w in body.get("warnings", [])]
            == [(f"chk-{run}-b-bad", "invalidparameter")], str(bad)[:300])
    made = {m.get("idnumber"): m for m in results if m.get("status") == "created"}
    c.check("each made item has its course module, type, section and visibility",
            all(isinstance(m.get("cmid"), int) and m.get("cmid") > 0 for m in made.values())
            and [made[i["idnumber"]].get("modname") for i in items if i["idnumber"] in made]
            == [i["modname"] for i in items if i["idnumber"] in made]
            and made[f"chk-{run}-b-quiz-2"].get("visible") is False
            and made[f"chk-{run}-b-forum-0"].get("section") == 4, str(results)[:300])

    r = site.ws(teacher, "core_course_get_contents", courseid="2")
    sections = {s.get("section"): [m.get("id") for m in s.get("modules", [])] for s in (r.json() or [])}
    order = [made[i["idnumber"]]["cmid"] for i in items if i["idnumber"] in made and i["section"] == 3]
    tail3 = sections.get(3, [])[-len(order):] if order else []
    c.check("section 3 lists the batch's activities at its end, in the call's order (core_course_get_contents)",
            tail3 == order, f"{tail3} != {order}")
    quizzes = [m for s in (r.json() or []) for m in s.get("modules", [])
               if m.get("id") == made.get(f"chk-{run}-b-quiz-0", {}).get("cmid")]
    c.answer("core_course_get_contents batch quiz", r, scrub(quizzes))
    c.check("core_course_get_contents shows a batch quiz as a quiz",
            [(m.get("modname"), m.get("name")) for m in quizzes] == [("quiz", "Batch quiz 0")], str(quizzes)[:300])

    r = site.ws(teacher, "local_bridge_create_modules", courseid="2", **form)
    c.answer("create_modules again", r, scrub(r.json()))
    again = (r.json() or {}).get("modules", [])
    c.check("the same call again makes nothing: every made item is existed, with the same course module",
            [(m.get("idnumber"), m.get("status"), m.get("cmid")) for m in again if m.get("status") != "failed"]
            == [(k, "existed", v.get("cmid")) for k, v in made.items()]
            and [m.get("idnumber") for m in again if m.get("status") == "failed"] == [f"chk-{run}-b-bad"],
            str(again)[:400])
    r = site.ws(teacher, "local_bridge_find_modules_by_idnumber", courseid="2",
                **{f"idnumbers[{i}]": item["idnumber"] for i, item in enumerate(items)})
    found = (r.json() or {}).get("modules", [])
    c.check("find_modules_by_idnumber finds each of the 19 exactly once",
            sorted(m.get("cmid") for m in found) == sorted(m.get("cmid") for m in made.values()), r.body[:300])

    clash = [{"modname": "page", "idnumber": f"chk-{run}-b-url-0", "name": "Clash", "content": "x"},
             {"modname": "page", "idnumber": f"chk-{run}-b-twice", "name": "Twice", "content": "x"},
             {"modname": "page", "idnumber": f"chk-{run}-b-twice", "name": "Twice again", "content": "x"},
             {"modname": "page", "idnumber": f"chk-{run}-b-nosection", "name": "Far", "content": "x", "section": 99},
             {"modname": "page", "idnumber": f"chk-{run}-b-html", "name": "<b>Bold</b>", "content": "x"},
             {"modname": "url", "idnumber": f"chk-{run}-b-stray", "name": "Stray", "externalurl": "https://x.org",
              "content": "x"},
             {"modname": "quiz", "idnumber": f"chk-{run}-b-badquiz", "name": "Bad quiz",
              "questions": [{"type": "truefalse", "text": "x"}]},
             {"modname": "lesson", "idnumber": f"chk-{run}-b-lesson", "name": "Lesson"}]
    r = site.ws(teacher, "local_bridge_create_modules", courseid="2", **flatten("modules", clash))
    c.answer("create_modules refusals", r, scrub(r.json()))
    got = [(m.get("status"), m.get("errorcode")) for m in (r.json() or {}).get("modules", [])]
    c.check("per item: an ID number of another type, twice in one call, a missing section, HTML in a name, a field "
            "of another type, a bad question and an unknown module each fail with their own code",
            got == [("failed", "duplicateidnumber"), ("created", ""), ("failed", "duplicateidnumberincall"),
                    ("failed", "sectionnotfound"), ("failed", "invalidparameter"), ("failed", "invalidparameter"),
                    ("failed", "invalidquestion"), ("failed", "unsupportedmodule")], str(got))
    r = site.ws(student, "local_bridge_create_modules", courseid="2", **flatten("modules", clash[:1]))
    c.answer("create_modules student", r)
    c.check("create_modules as a student is nopermissions", errorcode(r) == "nopermissions", r.body[:200])
    many = [{"modname": "page", "idnumber": f"chk-{run}-m-{i}", "name": f"P{i}", "content": "x"} for i in range(51)]
    r = site.ws(teacher, "local_bridge_create_modules", courseid="2", **flatten("modules", many))
    c.answer("create_modules too many", r)
    c.check("more than 50 items is toomanymodules", errorcode(r) == "toomanymodules", r.body[:200])
    r = site.ws(teacher, "local_bridge_find_modules_by_idnumber", courseid="2", **{"idnumbers[0]": f"chk-{run}-m-0"})
    c.check("and none of them is made", (r.json() or {}).get("modules") == [], r.body[:200])
    # The same batch sent three times at once: each activity is made once, by one of the calls.
    again = [{"modname": "page", "idnumber": f"chk-{run}-race-b-{i}", "name": f"Race batch {i}", "section": 3,
              "content": "x"} for i in range(5)]
    answers = at_once([lambda: site.ws(teacher, "local_bridge_create_modules", courseid="2",
                                       **flatten("modules", again)) for _ in range(3)])
    statuses = sorted(tuple(m.get("status") for m in (a.json() or {}).get("modules", [])) for a in answers)
    r = site.ws(teacher, "local_bridge_find_modules_by_idnumber", courseid="2",
                **{f"idnumbers[{i}]": item["idnumber"] for i, item in enumerate(again)})
    c.check("one batch sent three times at once makes each activity once: one call creates, two find them",
            statuses == [("created",) * 5] + [("existed",) * 5] * 2
            and len((r.json() or {}).get("modules", [])) == 5, f"{statuses} {r.body[:200]}")
