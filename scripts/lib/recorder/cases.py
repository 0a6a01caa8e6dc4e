"""The declarative case lists (`testdata/moodle-cases/*.toml`): reading a file, filling each
case from the file's `[defaults]`, and turning a case into the request to send — REST calls
get `wstoken`, `wsfunction` and `moodlewsrestformat` first, as the existing recordings have
them; `<TOKEN>` anywhere stands for the role's token; `{{case:path}}` for a value of an earlier
answer (e.g. a draft item id: `{{upload_first:0.itemid}}`).

A case:

    [[case]]
    name = "get_courses_ids_as_strings"      # unique in the file
    function = "core_course_get_courses"      # a REST call (POST to webservice/rest/server.php)
    role = "teacher1_bridge"                  # a tokens.json role, "invalid" or "none"
    params = { "options[ids][0]" = " 2" }     # the function's parameters, bracket notation
    format = "xml"                            # moodlewsrestformat; "" leaves it out
    note = "what it shows"
    moodle = ["5.0"]                          # only recorded on these Moodle branches (all if absent)

or any other request: `method`, `path`, `query`, `params` (form fields), `headers`, `files`
(`{field, filename, size, content_type}`; the content is made from the name, as the replay does).
"""

import json
import re
import tomllib

REST_PATH = "/webservice/rest/server.php"
# The made-up token of the `invalid` role, as in the existing recordings.
INVALID_TOKEN = "not0a0real0token0000000000000000"
REFERENCE = re.compile(r"\{\{([A-Za-z0-9_]+):([^}]*)\}\}")
CASE_KEYS = {"name", "function", "role", "params", "format", "note", "method", "path", "query",
             "headers", "files", "wstoken", "moodle"}
RELEASE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?(\+)?")


def load(path):
    """The cases of a file, each complete (defaults applied), in file order."""
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    defaults = doc.get("defaults", {})
    cases = []
    names = set()
    for raw in doc.get("case", []):
        case = {**defaults, **raw}
        unknown = set(case) - CASE_KEYS
        if unknown:
            raise SystemExit(f"{path}: case {case.get('name')}: unknown keys {sorted(unknown)}")
        if "name" not in case or "role" not in case:
            raise SystemExit(f"{path}: a case needs `name` and `role`: {raw}")
        if case["name"] in names:
            raise SystemExit(f"{path}: case {case['name']} appears twice")
        names.add(case["name"])
        cases.append(case)
    return cases


def branch(release):
    """The Moodle branch of a `$release` string: `4.5`, `5.0`."""
    m = RELEASE.match(release)
    if not m:
        raise SystemExit(f"record-moodle: cannot read the release {release!r}")
    return f"{m.group(1)}.{m.group(2)}"


def label(release):
    """The name a recording carries for a site's release: the point release of a stock
    release (`4.5.6`), the branch of a weekly build (`5.0.6+` is `5.0`)."""
    m = RELEASE.match(release)
    if m and m.group(3) and not m.group(4):
        return f"{m.group(1)}.{m.group(2)}.{m.group(3)}"
    return branch(release)


def applies(case, release):
    """Whether a case is recorded on a site of this release (its `moodle` branches, or all)."""
    wanted = case.get("moodle")
    return wanted is None or branch(release) in wanted


def _lookup(doc, path):
    for part in [p for p in path.split(".") if p]:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


class Resolver:
    """Values of earlier answers, for `{{case:path}}` references."""

    def __init__(self):
        self.answers = {}

    def remember(self, name, body_text):
        try:
            self.answers[name] = json.loads(body_text)
        except ValueError:
            self.answers[name] = None

    def text(self, value):
        def sub(m):
            doc = self.answers.get(m.group(1))
            if doc is None:
                raise SystemExit(f"reference {m.group(0)}: no JSON answer of case {m.group(1)} yet")
            return str(_lookup(doc, m.group(2)))
        return REFERENCE.sub(sub, value)


def _scalar(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v)


def request(case, tokens, resolver):
    """(what is sent with real secrets, what is recorded) for a case: method, path, query,
    fields, files, headers."""
    role = case["role"]
    token = {"invalid": INVALID_TOKEN, "none": None}.get(role, tokens.get(role))
    if role not in ("invalid", "none") and token is None:
        raise SystemExit(f"case {case['name']}: no token for role {role} in tokens.json")

    def value(v):
        v = resolver.text(_scalar(v))
        return v.replace("<TOKEN>", token) if token else v

    params = {k: value(v) for k, v in case.get("params", {}).items()}
    query = {k: value(v) for k, v in case.get("query", {}).items()}
    if case.get("function") is not None and "path" not in case:
        head = {}
        if token is not None and case.get("wstoken", True):
            head["wstoken"] = token
        head["wsfunction"] = case["function"]
        fmt = case.get("format", "json")
        if fmt != "":
            head["moodlewsrestformat"] = fmt
        method = case.get("method", "POST")
        if method == "GET":
            query = {**head, **params, **query}
            params = {}
        else:
            params = {**head, **params}
        path = REST_PATH
    else:
        method = case.get("method", "GET")
        path = case["path"]
    return {
        "method": method,
        "path": path,
        "query": query,
        "fields": params,
        "files": case.get("files", []),
        "headers": {k: value(v) for k, v in case.get("headers", {}).items()},
    }
