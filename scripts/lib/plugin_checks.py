#!/usr/bin/env python3
"""Drives every function and endpoint of local_logintoken and local_bridge through HTTP, for
each role (admin, editing teacher, student) and each refusal, against a real Moodle with the
plugins installed or against the stand-in (moodle-sim). Prints one line per check and a final
count; exits 1 on any failure.

    plugin_checks.py --url URL --target real --moodle-root DIR [--record FILE]
    plugin_checks.py --url URL --target sim [--compare FILE]

--record saves every answer; --compare checks that this target answers each request like the
recorded one (status, JSON keys and types at every depth, values except ids, times, keys and
tokens). The checks live in plugin_checks_logintoken.py, plugin_checks_bridge.py (activities and
files), plugin_checks_quiz.py (quizzes and a learner's attempt), plugin_checks_batch.py
(local_bridge_create_modules) and plugin_checks_events.py (local_bridge_get_events), the harness in plugin_checks_site.py. Standard library only.
"""

import argparse
import os
import sys
import time

from plugin_checks_batch import batch_checks
from plugin_checks_bridge import file_checks, module_checks
from plugin_checks_events import cursor, event_checks
from plugin_checks_logintoken import logintoken_checks
from plugin_checks_quiz import quiz_checks
from plugin_checks_site import Checks, Site

# The plugins' $plugin->version.
VERSIONS = {"local_logintoken": "2026120700", "local_bridge": "2026122000"}


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
    site.setup = setup
    site.tokens = setup["tokens"]
    # What this Moodle calls a missing record (5.0+ names no table unless debugging is on).
    site.missing_record = setup["missing_record"]
    c = Checks(args.record, args.compare)
    run = str(int(time.time()))
    print(f"checking local_logintoken and local_bridge on {args.url} ({args.target}, Moodle {setup['release']}), "
          f"run {run}")
    functions = setup.get("bridge_functions", [])
    c.check("all thirteen plugin functions are in the bridge service", len(functions) == 13, str(functions))
    info = site.ws(site.tokens["admin_bridge"], "core_webservice_get_site_info").json() or {}
    listed = {f.get("name"): f.get("version") for f in info.get("functions", [])}
    c.check("core_webservice_get_site_info lists them with the plugins' version",
            all(listed.get(f) == VERSIONS["local_bridge" if f.startswith("local_bridge_") else "local_logintoken"]
                for f in functions) and functions, str({f: listed.get(f) for f in functions})[:300])
    start = cursor(site)
    logintoken_checks(site, c)
    module_checks(site, c, run)
    quiz_checks(site, c, run)
    batch_checks(site, c, run)
    file_checks(site, c)
    event_checks(site, c, run, start)
    c.save()
    print(f"plugin checks ({args.target}): {c.passed}/{c.passed + len(c.failed)} passed")
    if c.failed:
        print("failed: " + "; ".join(c.failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
