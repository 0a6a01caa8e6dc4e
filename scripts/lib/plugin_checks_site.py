"""The harness of the plugin checks (plugin_checks.py): HTTP access to a target (a real Moodle
with the plugins installed, or the stand-in) and its fixture commands, the count of checks, and the
comparison of one target's answers with the other's. Standard library only."""

import http.client
import json
import os
import re
import subprocess
import threading
import sys
import urllib.parse
import uuid
from html.parser import HTMLParser

SETUP_PHP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "real-moodle-plugins-setup.php")
ENTRY = "/local/logintoken/auth/logintoken.php"
DOWNLOAD = "/local/bridge/download.php"


def moodle_docroot(root):
    """The folder of a Moodle's web code under MOODLE_REAL_ROOT: www/public on Moodle 5.1+ (it has
    public/version.php), else www."""
    www = os.path.join(root, "www")
    public = os.path.join(www, "public")
    return public if os.path.isfile(os.path.join(public, "version.php")) else www


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

    def entry(self, form, cookie=None, query=None):
        """A POST to auth/logintoken.php (the token travels in the body)."""
        return self.request("POST", ENTRY, query=query, form=form, cookie=cookie)

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
        """Runs a fixture command (setup, config NAME VALUE, reset-attempts, events, cli-changes COURSE USER FULLNAME)."""
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
            elif name == "cli-changes":
                courseid, userid, fullname = int(command[1]), int(command[2]), command[3]
                resp = self.request("POST", "/__sim/plugins/changes", body=json.dumps({
                    "origin": "cli", "userid": 2, "changes": [
                        {"rename_course": {"courseid": courseid, "fullname": fullname}},
                        {"unenrol": {"courseid": courseid, "userid": userid}}]}).encode(),
                    headers={"Content-Type": "application/json"})
            else:
                resp = self.request("POST", "/__sim/plugins/setup")
            if resp.status != 200:
                sys.exit(f"fixture {command}: HTTP {resp.status} {resp.body[:200]!r}")
            return resp.json()
        cmd = ["php", SETUP_PHP, f"--moodle={moodle_docroot(self.moodle_root)}", *command]
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

    def answer(self, name, resp, body=None):
        """Records an answer, and compares it with the recorded one of the other target. `body`
        replaces the JSON body when only part of it can be compared (a list that grows with
        every run on a real site, rendered HTML)."""
        shape = {"status": resp.status, "content_type": resp.header("Content-Type"),
                 "body": resp.json() if body is None else body}
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




class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.found.append((a["name"], a.get("value") or ""))


def hidden_inputs(html):
    """The (name, value) pairs of a page's hidden form fields."""
    parser = _Inputs()
    parser.feed(html.decode("utf-8", "replace") if isinstance(html, bytes) else html)
    return parser.found


def at_once(calls):
    """Runs the calls (functions of no arguments) in threads started together; their results, in order."""
    results = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i):
        start.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
