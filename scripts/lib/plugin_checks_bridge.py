"""The checks of local_bridge for plugin_checks.py: the content functions (create, update, find by
ID number) for each role and refusal, and the file functions (list_user_files, download.php): files
of learners only, and Moodle's login checks for the token's user."""

from plugin_checks_site import DOWNLOAD, at_once, errorcode


def module_checks(site, c, run):
    missing = site.missing_record
    t = site.tokens
    admin, teacher, student = t["admin_bridge"], t["teacher1_bridge"], t["student1_bridge"]
    page = dict(courseid="2", section="1", content="<p>Made by the checks</p>")

    made = {}
    for role, token in [("admin", admin), ("teacher", teacher)]:
        r = site.ws(token, "local_bridge_create_page", name=f"Checks page {role}", idnumber=f"chk-{run}-page-{role}", **page)
        c.answer(f"create_page {role}", r)
        body = r.json() or {}
        made[role] = body.get("cmid")
        c.check(f"create_page as {role} makes the page and returns it",
                isinstance(body.get("cmid"), int) and body.get("modname") == "page" and body.get("section") == 1
                and body.get("courseid") == 2 and body.get("idnumber") == f"chk-{run}-page-{role}"
                and body.get("visible") is True and body.get("warnings") == []
                and body.get("url") == f"{site.url}/mod/page/view.php?id={body.get('cmid')}", r.body[:300])
    r = site.ws(student, "local_bridge_create_page", name="Checks page student", **page)
    c.answer("create_page student", r)
    c.check("create_page as a student is refused: nopermissions (Manage activities)",
            errorcode(r) == "nopermissions" and "(Manage activities)" in (r.json() or {}).get("message", ""), r.body[:200])

    r = site.ws(teacher, "local_bridge_create_page", name="Checks page again", idnumber=f"chk-{run}-page-admin", **page)
    c.answer("create_page duplicate idnumber", r)
    c.check("a duplicate ID number is refused: duplicateidnumber naming the existing module",
            errorcode(r) == "duplicateidnumber" and f"course module {made['admin']}." in (r.json() or {}).get("message", ""),
            r.body[:200])
    r = site.ws(teacher, "local_bridge_create_page", name="x", content="x", courseid="999999")
    c.answer("create_page unknown course", r)
    c.check(f"an unknown course is {missing['course']}", errorcode(r) == missing["course"], r.body[:200])
    r = site.ws(teacher, "local_bridge_create_page", name="x", content="x", courseid="2", section="99")
    c.answer("create_page unknown section", r)
    c.check("a missing section is sectionnotfound", errorcode(r) == "sectionnotfound", r.body[:200])
    r = site.ws(teacher, "local_bridge_create_page", name="  ", content="x", courseid="2")
    c.answer("create_page empty name", r)
    c.check("an empty name is invalidparameter", errorcode(r) == "invalidparameter", r.body[:200])
    r = site.ws(teacher, "local_bridge_create_page", name="x", content="x", courseid="2", contentformat="7")
    c.check("an unknown text format is invalidparameter", errorcode(r) == "invalidparameter", r.body[:200])
    r = site.ws(teacher, "local_bridge_create_page", name="x", content="x", courseid="2", idnumber="i" * 101)
    c.check("an ID number over 100 characters is invalidparameter", errorcode(r) == "invalidparameter", r.body[:200])
    r = site.ws(teacher, "local_bridge_create_page", name="<b>x</b>", content="x", courseid="2")
    c.check("a name with tags fails PARAM_TEXT validation (invalidparameter)", errorcode(r) == "invalidparameter", r.body[:200])

    url = dict(courseid="2", section="1", externalurl="https://example.org/reading")
    r = site.ws(admin, "local_bridge_create_url", name="Checks link", idnumber=f"chk-{run}-url", display="6", **url)
    c.answer("create_url admin", r)
    made["url"] = (r.json() or {}).get("cmid")
    c.check("create_url as admin makes a URL activity", (r.json() or {}).get("modname") == "url", r.body[:200])
    r = site.ws(teacher, "local_bridge_create_url", name="Checks link 2", display="2", **url)
    c.answer("create_url display not allowed", r)
    c.check("a display mode the site does not allow is invalidparameter", errorcode(r) == "invalidparameter", r.body[:200])
    r = site.ws(student, "local_bridge_create_url", name="x", **url)
    c.check("create_url as a student is nopermissions", errorcode(r) == "nopermissions", r.body[:200])

    r = site.ws(teacher, "local_bridge_create_forum", courseid="2", section="2", name="Checks forum", type="qanda",
                intro="<p>Ask here</p>", idnumber=f"chk-{run}-forum")
    c.answer("create_forum teacher", r)
    made["forum"] = (r.json() or {}).get("cmid")
    c.check("create_forum as teacher makes a Q and A forum in section 2",
            (r.json() or {}).get("modname") == "forum" and (r.json() or {}).get("section") == 2, r.body[:200])
    r = site.ws(teacher, "local_bridge_create_forum", courseid="2", name="News", type="news")
    c.answer("create_forum news", r)
    c.check("a news forum is refused with invalidparameter", errorcode(r) == "invalidparameter", r.body[:200])
    r = site.ws(student, "local_bridge_create_forum", courseid="2", name="x")
    c.check("create_forum as a student is nopermissions", errorcode(r) == "nopermissions", r.body[:200])

    content = b"Notes uploaded by the plugin checks.\n"
    up = site.upload(teacher, "checks-notes.txt", content)
    itemid = str(((up.json() or [{}])[0]).get("itemid", 0))
    r = site.ws(teacher, "local_bridge_create_resource", courseid="2", section="1", name="Checks file",
                draftitemid=itemid, idnumber=f"chk-{run}-file")
    c.answer("create_resource teacher", r)
    made["file"] = (r.json() or {}).get("cmid")
    c.check("create_resource as teacher makes a File activity from the draft",
            (r.json() or {}).get("modname") == "resource", r.body[:200])
    if made["file"]:
        r = site.ws(teacher, "core_course_get_contents", courseid="2",
                    **{"options[0][name]": "cmid", "options[0][value]": str(made["file"])})
        mods = [m for s in (r.json() or []) for m in s.get("modules", [])]
        files = [f.get("filename") for m in mods for f in m.get("contents", [])]
        c.check("the File activity holds the uploaded file (core_course_get_contents)",
                files == ["checks-notes.txt"], str(files))
    r = site.ws(admin, "local_bridge_create_resource", courseid="2", name="x", draftitemid=itemid)
    c.answer("create_resource other user's draft", r)
    c.check("another user's draft item id is invaliddraftitemid", errorcode(r) == "invaliddraftitemid", r.body[:200])
    r = site.ws(teacher, "local_bridge_create_resource", courseid="2", name="x", draftitemid="987654321")
    c.answer("create_resource unknown draft", r)
    c.check("an unknown draft item id is invaliddraftitemid", errorcode(r) == "invaliddraftitemid", r.body[:200])
    up2 = site.upload(admin, "admin.txt", b"admin\n")
    r = site.ws(student, "local_bridge_create_resource", courseid="2", name="x",
                draftitemid=str(((up2.json() or [{}])[0]).get("itemid", 0)))
    c.check("create_resource as a student is nopermissions", errorcode(r) == "nopermissions", r.body[:200])

    subsection_checks(site, c, run)
    concurrent_create_checks(site, c, run)

    # Updates.
    r = site.ws(teacher, "local_bridge_update_module", cmid=str(made["admin"]),
                **{"fields[name]": "Checks page renamed", "fields[content]": "<p>New text</p>"})
    c.answer("update_module page", r)
    c.check("update_module renames a page and changes its content",
            (r.json() or {}).get("name") == "Checks page renamed", r.body[:200])
    r = site.ws(teacher, "local_bridge_update_module", cmid=str(made["url"]),
                **{"fields[externalurl]": "https://example.org/other", "fields[visible]": "0"})
    c.answer("update_module url", r)
    c.check("update_module changes a URL and hides it", (r.json() or {}).get("visible") is False, r.body[:200])
    up3 = site.upload(teacher, "checks-notes-v2.txt", b"Second version.\n")
    r = site.ws(teacher, "local_bridge_update_module", cmid=str(made["file"]),
                **{"fields[draftitemid]": str(((up3.json() or [{}])[0]).get("itemid", 0))})
    c.answer("update_module resource", r)
    if made["file"]:
        r2 = site.ws(teacher, "core_course_get_contents", courseid="2",
                     **{"options[0][name]": "cmid", "options[0][value]": str(made["file"])})
        files = [f.get("filename") for s in (r2.json() or []) for m in s.get("modules", []) for f in m.get("contents", [])]
        c.check("update_module with a draft item id replaces the File's file", files == ["checks-notes-v2.txt"], str(files))
    r = site.ws(teacher, "local_bridge_update_module", cmid=str(made["forum"]),
                **{"fields[idnumber]": f"chk-{run}-page-teacher"})
    c.answer("update_module duplicate idnumber", r)
    c.check("update_module to another activity's ID number is duplicateidnumber",
            errorcode(r) == "duplicateidnumber", r.body[:200])
    r = site.ws(teacher, "local_bridge_update_module", cmid=str(made["forum"]),
                **{"fields[idnumber]": f"chk-{run}-forum"})
    c.check("update_module keeping its own ID number is fine", (r.json() or {}).get("modname") == "forum", r.body[:200])
    r = site.ws(teacher, "local_bridge_update_module", cmid=str(made["admin"]), **{"fields[externalurl]": "https://x.org"})
    c.answer("update_module field of another module", r)
    c.check("a field of another module type is invalidparameter", errorcode(r) == "invalidparameter", r.body[:200])
    r = site.ws(teacher, "local_bridge_update_module", cmid="6", **{"fields[name]": "x"})
    c.answer("update_module assignment", r)
    c.check("an assignment is unsupportedmodule", errorcode(r) == "unsupportedmodule", r.body[:200])
    r = site.ws(teacher, "local_bridge_update_module", cmid="999999", **{"fields[name]": "x"})
    c.answer("update_module unknown cm", r)
    c.check(f"an unknown course module is {missing['course_modules']}", errorcode(r) == missing["course_modules"],
            r.body[:200])
    r = site.ws(student, "local_bridge_update_module", cmid=str(made["admin"]), **{"fields[name]": "x"})
    c.answer("update_module student", r)
    c.check("update_module as a student is nopermissions", errorcode(r) == "nopermissions", r.body[:200])

    # Lookup.
    r = site.ws(teacher, "local_bridge_find_modules_by_idnumber", courseid="2",
                **{"idnumbers[0]": f"chk-{run}-forum", "idnumbers[1]": f"chk-{run}-page-admin",
                   "idnumbers[2]": f"chk-{run}-missing"})
    c.answer("find_modules_by_idnumber", r)
    body = r.json() or {}
    c.check("find_modules_by_idnumber finds both, in cmid order, and warns about the missing one",
            [m.get("cmid") for m in body.get("modules", [])] == sorted([made["admin"], made["forum"]])
            and [w.get("warningcode") for w in body.get("warnings", [])] == ["idnumbernotfound"]
            and body["warnings"][0].get("item") == f"chk-{run}-missing", r.body[:300])
    r = site.ws(student, "local_bridge_find_modules_by_idnumber", courseid="2", **{"idnumbers[0]": "x"})
    c.check("find_modules_by_idnumber as a student is nopermissions", errorcode(r) == "nopermissions", r.body[:200])
    r = site.ws(teacher, "local_bridge_find_modules_by_idnumber", courseid="2", **{"idnumbers[0]": ""})
    c.check("an empty ID number to find is invalidparameter", errorcode(r) == "invalidparameter", r.body[:200])


def concurrent_create_checks(site, c, run):
    """One ID number sent by several calls at once (a retry while the first attempt still runs, two
    bridge instances): the course's lock lets one make the activity, the others find it taken."""
    teacher = site.tokens["teacher1_bridge"]
    idnumber = f"chk-{run}-race"
    answers = at_once([lambda i=i: site.ws(teacher, "local_bridge_create_page", courseid="2", section="1",
                                          name=f"Race {i}", content="x", idnumber=idnumber) for i in range(4)])
    made = [(a.json() or {}).get("cmid") for a in answers if (a.json() or {}).get("cmid")]
    refused = [errorcode(a) for a in answers if not (a.json() or {}).get("cmid")]
    r = site.ws(teacher, "local_bridge_find_modules_by_idnumber", courseid="2", **{"idnumbers[0]": idnumber})
    found = [m.get("cmid") for m in (r.json() or {}).get("modules", [])]
    c.check("four create_page calls at once with one ID number make one page; the others are duplicateidnumber",
            len(made) == 1 and refused == ["duplicateidnumber"] * 3 and found == made, f"{made} {refused} {found}")


def subsection_checks(site, c, run):
    """Activities in a subsection's delegated section (mod_subsection, Moodle 4.5+ when enabled,
    on by default from 5.0): made, changed and found like any other."""
    section = site.setup.get("subsection_section")
    if section is None:
        print("skip subsections: mod_subsection is not enabled on this site")
        return
    teacher = site.tokens["teacher1_bridge"]
    r = site.ws(teacher, "local_bridge_create_page", courseid="4", section=str(section), name="Checks page in a subsection",
                content="<p>Nested</p>", idnumber=f"chk-{run}-subsection")
    body = r.json() or {}
    c.check(f"create_page places a page in a subsection's delegated section ({section})",
            body.get("modname") == "page" and body.get("section") == section and body.get("courseid") == 4, r.body[:300])
    r = site.ws(teacher, "local_bridge_update_module", cmid=str(body.get("cmid")),
                **{"fields[name]": "Checks page in a subsection, renamed"})
    c.check("update_module keeps the page in its subsection",
            (r.json() or {}).get("section") == section, r.body[:300])
    r = site.ws(teacher, "local_bridge_find_modules_by_idnumber", courseid="4", **{"idnumbers[0]": f"chk-{run}-subsection"})
    found = (r.json() or {}).get("modules", [])
    c.check("find_modules_by_idnumber finds it with its section",
            [(m.get("cmid"), m.get("section")) for m in found] == [(body.get("cmid"), section)], r.body[:300])


def enrolled_ids(site, token, courseid):
    """The ids of the users enrolled in a course (core_enrol_get_enrolled_users)."""
    r = site.ws(token, "core_enrol_get_enrolled_users", courseid=courseid)
    users = r.json() if isinstance(r.json(), list) else []
    return {u.get("id") for u in users}


def file_checks(site, c):
    missing = site.missing_record
    t = site.tokens
    admin, teacher, student = t["admin_bridge"], t["teacher1_bridge"], t["student1_bridge"]
    listed = {}
    for role, token in [("admin", admin), ("teacher", teacher)]:
        r = site.ws(token, "local_bridge_list_user_files", courseid="2", userid="4")
        c.answer(f"list_user_files {role}", r)
        files = (r.json() or {}).get("files", [])
        names = [(f.get("source"), f.get("filepath") + f.get("filename", "")) for f in files]
        listed = {f["filename"]: f for f in files}
        c.check(f"list_user_files as {role} lists Alice's private and submission files",
                ("private", "/study_notes.txt") in names and ("private", "/physics/formulae.txt") in names
                and ("submission", "/lab_report_alice.pdf") in names
                and ("submission", "/pendulum_data_alice.csv") in names
                and [s for s, _ in names] == sorted(s for s, _ in names), str(names))
    r = site.ws(student, "local_bridge_list_user_files", courseid="2", userid="5")
    c.answer("list_user_files student", r)
    c.check("list_user_files as a student is nopermissions", errorcode(r) == "nopermissions", r.body[:200])
    # The seed leaves student4 (7) out of CHEM201 (3), but a shared site gathers enrolments (the
    # 5.0 site's recordings enrolled every student there): the first seeded student (4..8) not
    # in CHEM201, or else not in HIST110 (4), where teacher1 teaches too.
    courseid, outsider = next(((cid, uid) for cid in ("3", "4") for uid in range(4, 9)
                               if uid not in enrolled_ids(site, admin, cid)), ("3", 7))
    r = site.ws(teacher, "local_bridge_list_user_files", courseid=courseid, userid=str(outsider))
    c.answer("list_user_files not enrolled", r)
    c.check("a user who is not in the course is usernotenrolled", errorcode(r) == "usernotenrolled", r.body[:200])
    r = site.ws(admin, "local_bridge_list_user_files", courseid="2", userid="3")
    c.answer("list_user_files teacher's files", r)
    c.check("the files of a participant who is no learner (the teacher) are refused: notalearner",
            errorcode(r) == "notalearner", r.body[:200])
    r = site.ws(t["ltteacher_bridge"], "local_bridge_list_user_files", courseid="2", userid="4")
    c.answer("list_user_files suspended enrolment", r)
    c.check("an editing teacher whose enrolment is suspended cannot enter the course: requireloginerror",
            errorcode(r) == "requireloginerror", r.body[:200])
    r = site.ws(teacher, "local_bridge_list_user_files", courseid="2", userid="999999")
    c.answer("list_user_files unknown user", r)
    c.check(f"an unknown user is {missing['user']}", errorcode(r) == missing["user"], r.body[:200])
    r = site.ws(teacher, "local_bridge_list_user_files", courseid="2", userid="4", includeprivate="0")
    c.check("includeprivate=0 lists submission files only",
            {f.get("source") for f in (r.json() or {}).get("files", [])} == {"submission"}, r.body[:200])
    site.fixture("config", "local_bridge/listprivatefiles", "0")
    r = site.ws(teacher, "local_bridge_list_user_files", courseid="2", userid="4")
    c.answer("list_user_files private disabled", r)
    body = r.json() or {}
    c.check("with private files switched off they are left out with a privatefilesdisabled warning",
            {f.get("source") for f in body.get("files", [])} == {"submission"}
            and [w.get("warningcode") for w in body.get("warnings", [])] == ["privatefilesdisabled"], r.body[:300])
    site.fixture("config", "local_bridge/listprivatefiles", "1")

    csv = listed.get("pendulum_data_alice.csv", {})
    query = {"courseid": "2", "fileid": str(csv.get("fileid", 0))}
    r = site.request("POST", DOWNLOAD, form={**query, "token": teacher})
    c.check("download.php sends a listed file to the teacher (POST), as an attachment",
            r.status == 200 and len(r.body) == csv.get("filesize") and r.body.startswith(b"")
            and (r.header("Content-Disposition") or "").startswith("attachment"), f"HTTP {r.status} {r.body[:100]!r}")
    cases = [
        ("student token", {**query, "token": student}, 403, "nopermissions"),
        ("unknown token", {**query, "token": "0" * 32}, 401, "invalidtoken"),
        ("no token", query, 400, "missingparam"),
        ("service without list_user_files", {**query, "token": t["teacher1_mobile"]}, 403, "accessexception"),
        ("file not listed", {"courseid": "2", "fileid": "1", "token": teacher}, 404, "filenotfound"),
        ("unknown course", {"courseid": "999999", "fileid": query["fileid"], "token": teacher}, 404, missing["course"]),
        ("file from another course", {"courseid": "3", "fileid": query["fileid"], "token": teacher}, 404, "filenotfound"),
        ("a file of a non-learner (the teacher's own)",
         {"courseid": "2", "fileid": str(site.setup["teacher1_private_fileid"]), "token": admin}, 404, "filenotfound"),
        ("a teacher whose enrolment is suspended", {**query, "token": t["ltteacher_bridge"]}, 403, "requireloginerror"),
        ("a suspended user's token", {**query, "token": t["suspended_bridge"]}, 403, "wsaccessusersuspended"),
    ]
    for name, q, status, code in cases:
        r = site.request("GET", DOWNLOAD, q)
        c.answer(f"download {name}", r)
        c.check(f"download.php with {name} is {status} {code}", r.status == status and errorcode(r) == code,
                f"HTTP {r.status} {r.body[:200]!r}")
