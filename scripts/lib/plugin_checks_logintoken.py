"""The checks of local_logintoken (auth/logintoken.php and its two functions), for plugin_checks.py:
each role and each refusal, the token by POST only, no site administrators, no silent switch of a
browser where somebody else is logged in."""

import time

from plugin_checks_site import ENTRY, errorcode, hidden_inputs

USER_KEYS = {"id", "username", "firstname", "lastname", "email", "fullname"}


def logintoken_checks(site, c):
    entry_checks(site, c)
    transport_checks(site, c)
    admin_checks(site, c)
    switch_checks(site, c)
    refusal_checks(site, c)
    settings_checks(site, c)
    function_checks(site, c)


def entry_checks(site, c):
    t = site.tokens
    wwwroot = site.url + "/"
    r = site.entry({})
    c.answer("entry missing token", r)
    c.check("entry without a token is 400 missingtoken", r.status == 400 and errorcode(r) == "missingtoken", r.body[:200])
    r = site.entry({"wstoken": "0" * 32})
    c.answer("entry invalid token", r)
    c.check("entry with an unknown token is 401 with the seed's error",
            r.status == 401 and r.json() == {"success": False, "error": "Invalid token",
                                             "message": "The provided wstoken is invalid or expired",
                                             "errorcode": "invalidtoken"}, r.body[:200])

    for role, userid in [("student1_logintoken", 4), ("teacher1_logintoken", 3), ("student1_mobile", 4)]:
        r = site.entry({"wstoken": t[role]})
        c.answer(f"entry login {role}", r)
        body = r.json() or {}
        sid = r.cookie("MoodleSession")
        c.check(f"entry login with {role} answers the seed's success JSON with a session cookie",
                r.status == 200 and body.get("success") is True and body.get("message") == "Login successful"
                and body.get("user", {}).get("id") == userid and body.get("redirect_url") == wwwroot
                and sid and body.get("session_id") == sid and set(body.get("user", {})) == USER_KEYS,
                r.body[:300])
        if site.target == "real" and role == "student1_logintoken":
            page = site.request("GET", "/user/profile.php", cookie=f"MoodleSession={sid}")
            c.check("the session of a token login is logged in (real Moodle: profile page opens)",
                    page.status == 200 and b"Alice Anderson" in page.body, f"HTTP {page.status}")

    r = site.entry({"wstoken": t["teacher1_logintoken"], "redirect": "1"})
    c.check("entry redirect=1 redirects to the site with the session cookie",
            r.status == 303 and r.header("Location") == wwwroot and r.cookie("MoodleSession"),
            f"{r.status} {r.header('Location')}")
    r = site.entry({"wstoken": t["teacher1_logintoken"], "redirect": "1", "wantsurl": "/course/view.php?id=2"})
    c.check("entry redirect=1 with wantsurl lands on that local page",
            r.status == 303 and r.header("Location") == site.url + "/course/view.php?id=2", f"{r.header('Location')}")

    r = site.entry({"wstoken": t["student1_logintoken"], "wsfunction": "local_logintoken_validate_token"})
    c.answer("entry validate", r)
    body = r.json() or {}
    c.check("entry validation answers the seed's JSON without a login",
            r.status == 200 and body.get("valid") is True and body.get("message") == "Token is valid"
            and body.get("user", {}).get("id") == 4
            and set(body.get("token_info", {})) == {"created", "last_access", "valid_until"}
            and body["token_info"]["valid_until"] == 0 and not logged_in_cookie(site, r), r.body[:300])


def transport_checks(site, c):
    """The token travels by POST only, unless the site re-allows GET for old links."""
    t = site.tokens
    for name, query in [("login", {"wstoken": t["student1_logintoken"]}),
                        ("validation", {"wstoken": t["student1_logintoken"],
                                        "wsfunction": "local_logintoken_validate_token"}),
                        ("without a token", {})]:
        r = site.request("GET", ENTRY, query)
        c.answer(f"entry GET {name}", r)
        c.check(f"entry GET ({name}) is 405 with a page saying why, Allow: POST, and no session",
                r.status == 405 and r.header("Allow") == "POST"
                and (r.header("Content-Type") or "").startswith("text/html")
                and b"Token login needs POST" in r.body and (r.header("Cache-Control") or "") == "no-store"
                and not logged_in_cookie(site, r), f"HTTP {r.status} {r.header('Allow')} {r.body[:120]!r}")
    r = site.entry({}, query={"wstoken": t["student1_logintoken"]})
    c.answer("entry POST token in URL", r)
    c.check("a POST with the token in its URL is 400 tokeninurl, nobody logged in",
            r.status == 400 and errorcode(r) == "tokeninurl" and not logged_in_cookie(site, r), r.body[:200])
    site.fixture("config", "allowget", "1")
    r = site.request("GET", ENTRY, {"wstoken": t["student1_logintoken"]})
    c.check("with allowget on, a GET logs in again (old links)",
            r.status == 200 and (r.json() or {}).get("user", {}).get("id") == 4, r.body[:200])
    site.fixture("config", "allowget", "0")


def logged_in_cookie(site, r):
    """Whether an answer set a session cookie of a logged-in user (real: the profile page opens)."""
    sid = r.cookie("MoodleSession")
    if not sid or site.target != "real":
        return False
    page = site.request("GET", "/user/profile.php", cookie=f"MoodleSession={sid}")
    return page.status == 200


def admin_checks(site, c):
    """Site administrators are not logged in, unless the site allows it."""
    t = site.tokens
    events_before = site.fixture("events")["login_failed"]
    r = site.entry({"wstoken": t["admin_logintoken"]})
    c.answer("entry login admin refused", r)
    c.check("a site administrator's token is 403 adminrefused, nobody logged in",
            r.status == 403 and errorcode(r) == "adminrefused" and not logged_in_cookie(site, r), r.body[:200])
    c.check("the refused administrator login is logged as a login_failed event",
            site.fixture("events")["login_failed"] - events_before == 1, "")
    r = site.entry({"wstoken": t["admin_logintoken"], "wsfunction": "local_logintoken_validate_token"})
    c.check("an administrator's token can still be validated (no login)",
            r.status == 200 and (r.json() or {}).get("user", {}).get("id") == 2, r.body[:200])
    r = site.ws(t["admin_logintoken"], "local_logintoken_login_with_token")
    c.answer("ws login_with_token admin refused", r)
    c.check("login_with_token gives a site administrator no login key: adminrefused",
            errorcode(r) == "adminrefused", r.body[:200])
    site.fixture("config", "refuseadmins", "0")
    r = site.entry({"wstoken": t["admin_logintoken"]})
    c.answer("entry login admin allowed", r)
    c.check("with refuseadmins off, the administrator logs in",
            r.status == 200 and (r.json() or {}).get("user", {}).get("id") == 2, r.body[:200])
    site.fixture("config", "refuseadmins", "1")


def switch_checks(site, c):
    """A browser where somebody else is logged in is asked (with Moodle's sesskey) before it
    switches users."""
    t = site.tokens
    teacher = site.entry({"wstoken": t["teacher1_logintoken"]}).cookie("MoodleSession")
    cookie = f"MoodleSession={teacher}"
    r = site.entry({"wstoken": t["student1_logintoken"]}, cookie=cookie)
    c.answer("entry switch asks", r)
    fields = dict(hidden_inputs(r.body))
    c.check("a token login in a browser where the teacher is logged in answers 409 with a confirmation "
            "form carrying the sesskey, and logs nobody in",
            r.status == 409 and (r.header("Content-Type") or "").startswith("text/html")
            and fields.get("sesskey") and fields.get("confirm") == "1"
            and fields.get("wstoken") == t["student1_logintoken"] and not logged_in_cookie(site, r),
            f"HTTP {r.status} {sorted(fields)}")
    if site.target == "real":
        page = site.request("GET", "/user/profile.php", cookie=cookie)
        c.check("the teacher is still logged in in that browser (real Moodle)",
                page.status == 200 and b"Tina Teacher" in page.body, f"HTTP {page.status}")
    r = site.entry({**fields, "sesskey": "x" * 10}, cookie=cookie)
    c.answer("entry switch wrong sesskey", r)
    c.check("a confirmation without the session's sesskey is 403 invalidsesskey",
            r.status == 403 and errorcode(r) == "invalidsesskey" and not logged_in_cookie(site, r), r.body[:200])
    r = site.entry({k: v for k, v in fields.items() if k != "sesskey"}, cookie=cookie)
    c.answer("entry switch no sesskey", r)
    c.check("a confirmation with no sesskey at all is 403 invalidsesskey too",
            r.status == 403 and errorcode(r) == "invalidsesskey", r.body[:200])
    r = site.entry(fields, cookie=cookie)
    c.answer("entry switch confirmed", r)
    location = r.header("Location") or ""
    c.check("the confirmation with the sesskey logs the teacher out and sends the browser to a one-time login "
            "link for the student (303)",
            r.status == 303 and location.startswith(site.url + ENTRY + "?userid=4&key="), f"HTTP {r.status} {location}")
    if site.target == "real":
        page = site.request("GET", "/user/profile.php", cookie=cookie)
        c.check("the teacher's session has ended (real Moodle: login page)", page.status == 303, f"HTTP {page.status}")
    fresh = r.cookie("MoodleSession")
    r = site.get_url(location, cookie=f"MoodleSession={fresh}" if fresh else None) if location else r
    sid = r.cookie("MoodleSession")
    c.check("that link logs the student in with a new session and lands on the site",
            r.status == 303 and r.header("Location") == site.url + "/" and sid and sid != teacher,
            f"HTTP {r.status} {r.header('Location')}")
    if site.target == "real":
        page = site.request("GET", "/user/profile.php", cookie=f"MoodleSession={sid}")
        c.check("the new session is the student's (real Moodle: profile page)",
                page.status == 200 and b"Alice Anderson" in page.body, f"HTTP {page.status}")
    r = site.entry({"wstoken": t["student1_logintoken"]}, cookie=f"MoodleSession={sid}")
    c.check("the same user logging in again is not asked", r.status == 200, f"HTTP {r.status}")

    teacher = site.entry({"wstoken": t["teacher1_logintoken"]}).cookie("MoodleSession")
    r = site.ws(t["student1_logintoken"], "local_logintoken_login_with_token")
    url = (r.json() or {}).get("loginurl", "")
    r = site.get_url(url, cookie=f"MoodleSession={teacher}") if url else r
    c.answer("entry key switch asks", r)
    fields = dict(hidden_inputs(r.body))
    c.check("a login key opened where the teacher is logged in asks too (409), keeping the key",
            r.status == 409 and fields.get("key") and fields.get("sesskey"), f"HTTP {r.status} {sorted(fields)}")
    r = site.entry(fields, cookie=f"MoodleSession={teacher}")
    location = r.header("Location") or ""
    c.check("confirming sends the browser to the same login key, still unused (303)",
            r.status == 303 and location == url, f"HTTP {r.status} {location}")
    fresh = r.cookie("MoodleSession")
    r = site.get_url(location, cookie=f"MoodleSession={fresh}" if fresh else None) if location else r
    c.check("the key then logs the student in once",
            r.status == 303 and r.cookie("MoodleSession"), f"HTTP {r.status} {r.body[:120]!r}")
    r = site.get_url(url) if url else r
    c.check("and is used up afterwards (401 invalidkey)", r.status == 401 and errorcode(r) == "invalidkey",
            f"HTTP {r.status}")


def refusal_checks(site, c):
    t = site.tokens
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
    for name, form, status, code in cases:
        r = site.entry(form)
        c.answer(f"entry {name}", r)
        body = r.json() or {}
        c.check(f"entry {name} is {status} {code}",
                r.status == status and body.get("errorcode") == code and body.get("success") is False
                and body.get("valid", False) is False, f"HTTP {r.status} {r.body[:200]!r}")
    events_after = site.fixture("events")["login_failed"]
    c.check("each refused token (not the malformed request) is logged as a login_failed event",
            events_after - events_before == 5, f"{events_after - events_before} events")


def settings_checks(site, c):
    t = site.tokens
    site.fixture("config", "allowedservices", "local_logintoken,moodle_mobile_app,bridge")
    r = site.entry({"wstoken": t["student2_bridge"]})
    c.check("a service added to the allowed services may log in", r.status == 200, r.body[:200])
    site.fixture("config", "allowedservices", "local_logintoken,moodle_mobile_app")
    site.fixture("config", "redirecturl", "https://bridge.example.org/after-login")
    r = site.entry({"wstoken": t["student1_logintoken"]})
    c.check("the configured redirect URL is the login's redirect_url",
            (r.json() or {}).get("redirect_url") == "https://bridge.example.org/after-login", r.body[:200])
    site.fixture("config", "redirecturl", "")

    site.fixture("config", "requirehttps", "1")
    r = site.entry({"wstoken": t["student1_logintoken"]})
    c.answer("entry https required", r)
    c.check("entry over HTTP when HTTPS is required is 403 httpsrequired",
            r.status == 403 and errorcode(r) == "httpsrequired", r.body[:200])
    r = site.ws(t["student1_logintoken"], "local_logintoken_login_with_token")
    c.answer("ws login_with_token https required", r)
    c.check("login_with_token over HTTP when HTTPS is required raises httpsrequired",
            errorcode(r) == "httpsrequired", r.body[:200])
    site.fixture("config", "requirehttps", "0")

    site.fixture("config", "enabled", "0")
    r = site.entry({"wstoken": t["student1_logintoken"]})
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
        site.entry({"wstoken": "1" * 32})
    r = site.entry({"wstoken": t["student1_logintoken"]})
    c.answer("entry rate limited", r)
    retry = r.header("Retry-After")
    c.check("after 3 failures from one address even a good token gets 429 with Retry-After",
            r.status == 429 and errorcode(r) == "ratelimited" and retry and 0 < int(retry) <= 900,
            f"HTTP {r.status} Retry-After {retry}")
    site.fixture("reset-attempts")
    site.fixture("config", "maxfailedattempts", "1000")
    r = site.entry({"wstoken": t["student1_logintoken"]})
    c.check("once the counter is cleared the address may log in again", r.status == 200, f"HTTP {r.status}")


def function_checks(site, c):
    """local_logintoken_validate_token and local_logintoken_login_with_token."""
    t = site.tokens

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
    r = site.ws(t["student1_bridge"], "local_logintoken_login_with_token")
    c.answer("ws login_with_token service not allowed", r)
    c.check("login_with_token with a token of a service not among the allowed services is servicenotallowed",
            errorcode(r) == "servicenotallowed", r.body[:200])
