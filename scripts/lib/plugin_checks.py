#!/usr/bin/env python3
"""Drives every function and endpoint of local_logintoken and local_bridge through HTTP, for
each role (admin, editing teacher, student) and each refusal, against a real Moodle with the
plugins installed or against the stand-in (moodle-sim). Prints one line per check and a final
count; exits 1 on any failure.

    plugin_checks.py --url URL --target real --moodle-root DIR [--record FILE]
    plugin_checks.py --url URL --target sim [--compare FILE]

--record saves every answer; --compare checks that this target answers each request like the
recorded one (status, JSON keys and types at every depth, values except ids, times, keys and
tokens). Standard library only.
"""

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import uuid

SETUP_PHP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "real-moodle-plugins-setup.php")
ENTRY = "/local/logintoken/auth/logintoken.php"
DOWNLOAD = "/local/bridge/download.php"


class Response:
    """An HTTP answer."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return values[-1] if values else None

    def cookie(self, name):
        """The last value Set-Cookie gives a cookie (PHP may send several)."""
        found = None
        for k, v in self.headers:
            if k.lower() == "set-cookie" and v.startswith(name + "="):
                found = v.split(";", 1)[0].split("=", 1)[1]
        return found

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None


class Site:
    """HTTP access to the target and its fixture commands."""

    def __init__(self, url, target, moodle_root):
        self.url = url.rstrip("/")
        parsed = urllib.parse.urlsplit(self.url)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.target = target
        self.moodle_root = moodle_root
        self.tokens = {}

    def request(self, method, path, query=None, form=None, body=None, headers=None, cookie=None):
        if query:
            path += "?" + urllib.parse.urlencode(query)
        hdrs = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        if cookie:
            hdrs["Cookie"] = cookie
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        out = Response(resp.status, resp.getheaders(), resp.read())
        conn.close()
        return out

    def get_url(self, url, cookie=None):
        parsed = urllib.parse.urlsplit(url)
        path = parsed.path + ("?" + parsed.query if parsed.query else "")
        return self.request("GET", path, cookie=cookie)

    def ws(self, token, function, **params):
        form = [("wstoken", token), ("wsfunction", function), ("moodlewsrestformat", "json")]
        form += list(params.items())
        return self.request("POST", "/webservice/rest/server.php", form=form)

    def upload(self, token, filename, content):
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="token"\r\n\r\n{token}\r\n'.encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="file_1"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        return self.request("POST", "/webservice/upload.php", body=b"".join(parts),
                            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def fixture(self, *command):
        """Runs a fixture command (setup, config NAME VALUE, reset-attempts, events)."""
        if self.target == "sim":
            name = command[0]
            if name == "config":
                resp = self.request("POST", "/__sim/plugins/config", body=json.dumps(
                    {"name": command[1], "value": command[2]}).encode(),
                    headers={"Content-Type": "application/json"})
            elif name == "reset-attempts":
                resp = self.request("DELETE", "/__sim/plugins/attempts")
            elif name == "events":
                resp = self.request("GET", "/__sim/plugins/events")
            else:
                resp = self.request("POST", "/__sim/plugins/setup")
            if resp.status != 200:
                sys.exit(f"fixture {command}: HTTP {resp.status} {resp.body[:200]!r}")
            return resp.json()
        cmd = ["php", SETUP_PHP, f"--moodle={self.moodle_root}/www", *command]
        if os.geteuid() == 0:
            cmd = ["sudo", "-u", "www-data", *cmd]
        else:
            cmd = ["sudo", "-n", "-u", "www-data", *cmd]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        return json.loads(out)


class Checks:
    """Counts, prints and records checks."""

    def __init__(self, record, compare):
        self.passed = 0
        self.failed = []
        self.record_path = record
        self.recorded = {}
        self.expected = {}
        if compare:
            with open(compare, encoding="utf-8") as f:
                self.expected = json.load(f)

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed.append(name)
            print(f"FAIL {name}: {detail}")

    def answer(self, name, resp):
        """Records an answer, and compares it with the recorded one of the other target."""
        shape = {"status": resp.status, "content_type": resp.header("Content-Type"), "body": resp.json()}
        if shape["body"] is None:
            shape["body"] = {"__bytes__": len(resp.body)}
        self.recorded[name] = shape
        if name in self.expected:
            diffs = compare(self.expected[name], shape)
            self.check(f"{name} answers like the recorded target", not diffs, "; ".join(diffs[:6]))

    def save(self):
        if self.record_path:
            with open(self.record_path, "w", encoding="utf-8") as f:
                json.dump(self.recorded, f, indent=1)


# Values that differ between sites and runs: generated ids, times, keys, tokens, URLs with ids.
VOLATILE = {"cmid", "instanceid", "fileid", "contextid", "itemid", "key", "loginurl", "validuntil",
            "session_id", "created", "last_access", "valid_until", "timecreated", "timemodified",
            "url", "downloadurl", "suspended_userid", "__bytes__"}


def normalise(text):
    return re.sub(r"\d+", "N", text)


def compare(expected, actual, path="$"):
    diffs = []
    if isinstance(expected, dict) and isinstance(actual, dict):
        if list(expected) != list(actual):
            diffs.append(f"{path}: keys {list(expected)} != {list(actual)}")
        for k in expected:
            if k in actual:
                if k in VOLATILE and not isinstance(expected[k], (dict, list)):
                    if type(expected[k]) is not type(actual[k]):
                        diffs.append(f"{path}.{k}: type {type(expected[k]).__name__} != {type(actual[k]).__name__}")
                    continue
                diffs += compare(expected[k], actual[k], f"{path}.{k}")
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            diffs.append(f"{path}: {len(expected)} items != {len(actual)}")
        for i, (e, a) in enumerate(zip(expected, actual)):
            diffs += compare(e, a, f"{path}[{i}]")
    elif isinstance(expected, str) and isinstance(actual, str):
        if normalise(expected) != normalise(actual):
            diffs.append(f"{path}: {expected!r} != {actual!r}")
    elif type(expected) is not type(actual) or (not isinstance(expected, (int, float)) and expected != actual):
        diffs.append(f"{path}: {expected!r} != {actual!r}")
    elif isinstance(expected, (int, float)) and expected != actual and path.rsplit(".", 1)[-1] not in VOLATILE:
        diffs.append(f"{path}: {expected!r} != {actual!r}")
    return diffs


def errorcode(resp):
    body = resp.json()
    return body.get("errorcode") if isinstance(body, dict) else None


def logintoken_checks(site, c, run):
    t = site.tokens
    wwwroot = site.url + "/"

    r = site.request("GET", ENTRY)
    c.answer("entry missing token", r)
    c.check("entry without a token is 400 missingtoken", r.status == 400 and errorcode(r) == "missingtoken", r.body[:200])
    r = site.request("GET", ENTRY, {"wstoken": "0" * 32})
    c.answer("entry invalid token", r)
    c.check("entry with an unknown token is 401 with the seed's error",
            r.status == 401 and r.json() == {"success": False, "error": "Invalid token",
                                             "message": "The provided wstoken is invalid or expired",
                                             "errorcode": "invalidtoken"}, r.body[:200])

    for role, userid in [("student1_logintoken", 4), ("admin_logintoken", 2), ("teacher1_logintoken", 3)]:
        r = site.request("GET", ENTRY, {"wstoken": t[role]})
        c.answer(f"entry login {role}", r)
        body = r.json() or {}
        sid = r.cookie("MoodleSession")
        c.check(f"entry login with {role} answers the seed's success JSON with a session cookie",
                r.status == 200 and body.get("success") is True and body.get("message") == "Login successful"
                and body.get("user", {}).get("id") == userid and body.get("redirect_url") == wwwroot
                and sid and body.get("session_id") == sid
                and set(body.get("user", {})) == {"id", "username", "firstname", "lastname", "email", "fullname"},
                r.body[:300])
        if site.target == "real" and role == "student1_logintoken":
            page = site.request("GET", "/user/profile.php", cookie=f"MoodleSession={sid}")
            c.check("the session of a token login is logged in (real Moodle: profile page opens)",
                    page.status == 200 and b"Alice Anderson" in page.body, f"HTTP {page.status}")

    r = site.request("POST", ENTRY, form={"wstoken": t["student1_mobile"]})
    c.answer("entry login by POST with a mobile token", r)
    c.check("entry login by POST with a moodle_mobile_app token succeeds",
            r.status == 200 and (r.json() or {}).get("user", {}).get("username") == "student1", r.body[:200])

    r = site.request("GET", ENTRY, {"wstoken": t["teacher1_logintoken"], "redirect": "1"})
    c.check("entry redirect=1 redirects to the site with the session cookie",
            r.status == 303 and r.header("Location") == wwwroot and r.cookie("MoodleSession"),
            f"{r.status} {r.header('Location')}")
    r = site.request("GET", ENTRY, {"wstoken": t["teacher1_logintoken"], "redirect": "1",
                                    "wantsurl": "/course/view.php?id=2"})
    c.check("entry redirect=1 with wantsurl lands on that local page",
            r.status == 303 and r.header("Location") == site.url + "/course/view.php?id=2", f"{r.header('Location')}")

    r = site.request("GET", ENTRY, {"wstoken": t["student1_logintoken"], "wsfunction": "local_logintoken_validate_token"})
    c.answer("entry validate", r)
    body = r.json() or {}
    c.check("entry validation answers the seed's JSON without a login",
            r.status == 200 and body.get("valid") is True and body.get("message") == "Token is valid"
            and body.get("user", {}).get("id") == 4
            and set(body.get("token_info", {})) == {"created", "last_access", "valid_until"}
            and body["token_info"]["valid_until"] == 0, r.body[:300])

    cases = [
        ("expired token", {"wstoken": t["student2_expired"]}, 401, "tokenexpired"),
        ("expired token validation", {"wstoken": t["student2_expired"],
                                      "wsfunction": "local_logintoken_validate_token"}, 401, "tokenexpired"),
        ("IP-restricted token", {"wstoken": t["student3_iprestricted"]}, 403, "iprestricted"),
        ("suspended user's token", {"wstoken": t["suspended_logintoken"]}, 403, "usersuspended"),
        ("token of a service not allowed", {"wstoken": t["student2_bridge"]}, 403, "servicenotallowed"),
        ("unknown wsfunction", {"wstoken": t["student1_logintoken"], "wsfunction": "core_x"}, 400, "unknownfunction"),
    ]
    events_before = site.fixture("events")["login_failed"]
    for name, query, status, code in cases:
        r = site.request("GET", ENTRY, query)
        c.answer(f"entry {name}", r)
        body = r.json() or {}
        c.check(f"entry {name} is {status} {code}",
                r.status == status and body.get("errorcode") == code and body.get("success") is False
                and body.get("valid", False) is False, f"HTTP {r.status} {r.body[:200]!r}")
    events_after = site.fixture("events")["login_failed"]
    c.check("each refused token (not the malformed request) is logged as a login_failed event",
            events_after - events_before == 5, f"{events_after - events_before} events")

    site.fixture("config", "allowedservices", "local_logintoken,moodle_mobile_app,bridge")
    r = site.request("GET", ENTRY, {"wstoken": t["student2_bridge"]})
    c.check("a service added to the allowed services may log in", r.status == 200, r.body[:200])
    site.fixture("config", "allowedservices", "local_logintoken,moodle_mobile_app")
    site.fixture("config", "redirecturl", "https://bridge.example.org/after-login")
    r = site.request("GET", ENTRY, {"wstoken": t["student1_logintoken"]})
    c.check("the configured redirect URL is the login's redirect_url",
            (r.json() or {}).get("redirect_url") == "https://bridge.example.org/after-login", r.body[:200])
    site.fixture("config", "redirecturl", "")

    site.fixture("config", "requirehttps", "1")
    r = site.request("GET", ENTRY, {"wstoken": t["student1_logintoken"]})
    c.answer("entry https required", r)
    c.check("entry over HTTP when HTTPS is required is 403 httpsrequired",
            r.status == 403 and errorcode(r) == "httpsrequired", r.body[:200])
    r = site.ws(t["student1_logintoken"], "local_logintoken_login_with_token")
    c.answer("ws login_with_token https required", r)
    c.check("login_with_token over HTTP when HTTPS is required raises httpsrequired",
            errorcode(r) == "httpsrequired", r.body[:200])
    site.fixture("config", "requirehttps", "0")

    site.fixture("config", "enabled", "0")
    r = site.request("GET", ENTRY, {"wstoken": t["student1_logintoken"]})
    c.answer("entry disabled", r)
    c.check("entry with token login switched off is 403 logindisabled",
            r.status == 403 and errorcode(r) == "logindisabled", r.body[:200])
    r = site.ws(t["student1_logintoken"], "local_logintoken_validate_token")
    c.answer("ws validate disabled", r)
    c.check("validate_token with token login switched off raises logindisabled",
            errorcode(r) == "logindisabled", r.body[:200])
    site.fixture("config", "enabled", "1")

    site.fixture("config", "maxfailedattempts", "3")
    site.fixture("reset-attempts")
    for _ in range(3):
        site.request("GET", ENTRY, {"wstoken": "1" * 32})
    r = site.request("GET", ENTRY, {"wstoken": t["student1_logintoken"]})
    c.answer("entry rate limited", r)
    retry = r.header("Retry-After")
    c.check("after 3 failures from one address even a good token gets 429 with Retry-After",
            r.status == 429 and errorcode(r) == "ratelimited" and retry and 0 < int(retry) <= 900,
            f"HTTP {r.status} Retry-After {retry}")
    site.fixture("reset-attempts")
    site.fixture("config", "maxfailedattempts", "1000")
    r = site.request("GET", ENTRY, {"wstoken": t["student1_logintoken"]})
    c.check("once the counter is cleared the address may log in again", r.status == 200, f"HTTP {r.status}")

    # Web service functions.
    r = site.ws(t["student1_logintoken"], "local_logintoken_validate_token")
    c.answer("ws validate_token", r)
    body = r.json() or {}
    c.check("validate_token describes the calling token and its user",
            body.get("valid") is True and body.get("user", {}).get("username") == "student1"
            and set(body.get("token_info", {})) == {"created", "last_access", "valid_until"}, r.body[:300])
    r = site.ws(t["admin_bridge"], "local_logintoken_validate_token")
    c.check("validate_token works for a token of the bridge service it was added to",
            (r.json() or {}).get("user", {}).get("id") == 2, r.body[:200])

    r = site.ws(t["student1_logintoken"], "local_logintoken_login_with_token", wantsurl="/course/view.php?id=2")
    c.answer("ws login_with_token", r)
    body = r.json() or {}
    url = body.get("loginurl", "")
    c.check("login_with_token returns a key, the URL redeeming it and its expiry",
            body.get("key") and url.startswith(site.url + ENTRY) and "key=" + body["key"] in url
            and 0 < body.get("validuntil", 0) - time.time() <= 61 and body.get("user", {}).get("id") == 4, r.body[:300])
    if url:
        r = site.get_url(url)
        c.check("the login URL logs the browser in and lands on wantsurl",
                r.status == 303 and r.header("Location") == site.url + "/course/view.php?id=2"
                and r.cookie("MoodleSession"), f"{r.status} {r.header('Location')}")
        r = site.get_url(url)
        c.answer("entry login key reused", r)
        c.check("a login key works once: the second use is 401 invalidkey",
                r.status == 401 and errorcode(r) == "invalidkey", r.body[:200])
    r = site.ws(t["teacher1_logintoken"], "local_logintoken_login_with_token", ipaddress="10.1.2.3")
    url = (r.json() or {}).get("loginurl", "")
    r = site.get_url(url) if url else r
    c.check("a login key bound to another address is refused with 401 invalidkey",
            r.status == 401 and errorcode(r) == "invalidkey", r.body[:200])
    r = site.ws(t["teacher1_logintoken"], "local_logintoken_login_with_token", ipaddress="not-an-ip")
    c.answer("ws login_with_token bad ip", r)
    c.check("login_with_token refuses a malformed address with invalidparameter",
            errorcode(r) == "invalidparameter", r.body[:200])
    r = site.request("GET", ENTRY, {"userid": "4", "key": "f" * 32})
    c.check("an unknown login key is 401 invalidkey", r.status == 401 and errorcode(r) == "invalidkey", r.body[:200])



def module_checks(site, c, run):
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
    c.check("an unknown course is invalidrecord", errorcode(r) == "invalidrecord", r.body[:200])
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
    c.check("an unknown course module is invalidcoursemodule", errorcode(r) == "invalidcoursemodule", r.body[:200])
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


def file_checks(site, c):
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
    r = site.ws(teacher, "local_bridge_list_user_files", courseid="3", userid="7")
    c.answer("list_user_files not enrolled", r)
    c.check("a user who is not in the course is usernotenrolled", errorcode(r) == "usernotenrolled", r.body[:200])
    r = site.ws(teacher, "local_bridge_list_user_files", courseid="2", userid="999999")
    c.answer("list_user_files unknown user", r)
    c.check("an unknown user is invaliduser", errorcode(r) == "invaliduser", r.body[:200])
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
        ("unknown course", {"courseid": "999999", "fileid": query["fileid"], "token": teacher}, 404, "invalidrecord"),
        ("file from another course", {"courseid": "3", "fileid": query["fileid"], "token": teacher}, 404, "filenotfound"),
    ]
    for name, q, status, code in cases:
        r = site.request("GET", DOWNLOAD, q)
        c.answer(f"download {name}", r)
        c.check(f"download.php with {name} is {status} {code}", r.status == status and errorcode(r) == code,
                f"HTTP {r.status} {r.body[:200]!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--target", choices=["real", "sim"], required=True)
    ap.add_argument("--moodle-root", default=os.environ.get("MOODLE_REAL_ROOT", ""))
    ap.add_argument("--record")
    ap.add_argument("--compare")
    args = ap.parse_args()

    site = Site(args.url, args.target, args.moodle_root)
    setup = site.fixture("setup")
    site.tokens = setup["tokens"]
    c = Checks(args.record, args.compare)
    run = str(int(time.time()))
    print(f"checking local_logintoken and local_bridge on {args.url} ({args.target}), run {run}")
    functions = setup.get("bridge_functions", [])
    c.check("all nine plugin functions are in the bridge service", len(functions) == 9, str(functions))
    info = site.ws(site.tokens["admin_bridge"], "core_webservice_get_site_info").json() or {}
    listed = {f.get("name"): f.get("version") for f in info.get("functions", [])}
    c.check("core_webservice_get_site_info lists them with the plugins' version",
            all(listed.get(f) == "2026112200" for f in functions) and functions, str(listed)[:200])
    logintoken_checks(site, c, run)
    module_checks(site, c, run)
    file_checks(site, c)
    c.save()
    print(f"plugin checks ({args.target}): {c.passed}/{c.passed + len(c.failed)} passed")
    if c.failed:
        print("failed: " + "; ".join(c.failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
