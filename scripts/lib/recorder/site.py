"""The real Moodle the recorder drives: a fresh install (the recipe in ../shared/real-moodle/)
seeded at the recorded site's seed time, a snapshot of it, putting the snapshot back before
each recording, and Moodle's debugging on or off. It sends no web-service request itself
(exchange.py does).

Why the seed time is fixed: the stand-in is seeded as the recorded site was (transcripts README,
"Seeded data"), and the conformance test compares the values seed.php computes from its clock
(assignment dates `time() + 14 days`, dates written into notifications, the theme revision in
image URLs) exactly. seed.php therefore runs under libfaketime at the second the recorded
site's seed ran, and the theme revision is set to the recorded one; everything else is Moodle's
own doing. The `bridge` service is given the recorded site's 36 functions in the recorded
order (the recipe's seed.php now adds every mod_assign_*, core_courseformat_* and tool_mobile_*
function as well, which the recordings and the stand-in do not have).
"""

import json
import os
import re
import shutil
import subprocess
import urllib.parse

# When the recorded site's seed.php read its clock ($now): 2026-11-21 23:19:16 UTC.
RECORDED_SEED_CLOCK = "2026-11-21 23:19:16"
# $CFG->themerev while seed.php ran (set by the install's cache purge) and after it.
SEED_THEME_REV = "1795303102"
THEME_REV = "1795303425"

# The recorded site's `bridge` service, in the order it lists them (seq 9 of
# real-moodle-4.5.6.jsonl).
BRIDGE_FUNCTIONS = [
    "core_webservice_get_site_info", "core_course_get_courses", "core_course_get_courses_by_field",
    "core_course_create_courses", "core_course_update_courses", "core_course_delete_courses",
    "core_course_get_categories", "core_course_create_categories", "core_course_get_contents",
    "core_user_get_users_by_field", "core_user_create_users", "enrol_manual_enrol_users",
    "core_enrol_get_enrolled_users", "message_popup_get_popup_notifications", "core_files_get_files",
    "core_files_upload", "core_user_add_user_private_files", "mod_assign_get_submissions",
    "mod_assign_get_assignments", "core_courseformat_new_module", "core_courseformat_create_module",
    "core_courseformat_update_course", "core_course_edit_module", "core_course_edit_section",
    "core_course_delete_modules", "core_course_get_course_module", "core_courseformat_get_state",
    "core_enrol_get_users_courses", "mod_assign_get_grades", "mod_assign_get_submission_status",
    "mod_assign_save_submission", "mod_assign_submit_for_grading", "core_user_get_users",
    "message_popup_get_unread_popup_notification_count", "core_message_get_unread_notification_count",
    "core_message_get_messages",
]

# Ids the recorded site had used up before the REST recordings (its LTI activity took course
# module 8 and contexts 29-30): table -> next id, as the stand-in's fixture reserves them.
RECORDED_NEXT_IDS = {"course_modules": 9, "context": 30, "lti": 2}

# assign_user_mapping of "Lab report 1" (assign 1): allocate_unique_ids() shuffles the
# participants at random; the recorded site gave Alice 2 and Bob 4 (the uniqueidforuser of its
# notifications), the others are given the ids left in user id order.
RECORDED_USER_MAPPING = {6: 1, 4: 2, 7: 3, 5: 4, 8: 5}

# When the recorded site's seed wrote its rows (its seed.php ran for about 22 s, the frozen
# clock here writes them all in one second): the times that order lists (notifications by
# time, files by the `modified` filter), as the stand-in's fixture has them.
SEED_TIMES_SQL = """
UPDATE mdl_notifications SET timecreated = CASE WHEN eventtype = 'enrolcoursewelcomemessage'
    THEN 1795303156 ELSE 1795303177 END;
UPDATE mdl_files SET timecreated = CASE WHEN component = 'mod_resource' THEN 1795303156
    ELSE 1795303177 END, timemodified = CASE WHEN component = 'mod_resource' THEN 1795303156
    ELSE 1795303177 END WHERE component IN ('mod_resource', 'user', 'assignsubmission_file');
UPDATE mdl_assign_submission SET timemodified = 1795303177, timecreated = CASE
    WHEN status = 'submitted' THEN 1795303157 ELSE 1795303177 END;
UPDATE mdl_assign_grades SET timecreated = 1795303177, timemodified = 1795303177;
"""

SNAPSHOT_DB_SUFFIX = "_recorder_seed"
# $CFG->debug for "developer" debugging (E_ALL | E_STRICT), as the debug recording was made.
DEBUG_DEVELOPER = "32767"


def run(cmd, env=None, quiet=False):
    """Runs a command, failing loudly; its output is shown unless quiet."""
    out = subprocess.DEVNULL if quiet else None
    subprocess.run(cmd, env=env, check=True, stdout=out)


def sudo_as(user, *cmd):
    """A command line run as another user (the recorder runs as root or with sudo rights)."""
    if os.geteuid() == 0 and user == "root":
        return list(cmd)
    return ["sudo", "-n", "-u", user, *cmd]


class Site:
    """A real Moodle installed by the recipe under `root` (www/, data/, tokens.json)."""

    def __init__(self, root, url, recipe, dbname="moodle"):
        self.root = root
        self.url = url.rstrip("/")
        self.recipe = recipe
        self.dbname = dbname
        self.www = os.path.join(root, "www")
        self.data = os.path.join(root, "data")
        self.snapshot_db = dbname + SNAPSHOT_DB_SUFFIX
        self.snapshot_data = os.path.join(root, "data" + SNAPSHOT_DB_SUFFIX.replace("_", "."))

    # ------------------------------------------------------------------ helpers
    def php(self, *args, clock=None):
        """Runs Moodle's PHP CLI as the web server user, its clock started at `clock` when given
        and running a hundred times slower, so that a seed of a few seconds stays within its
        first second (a clock that stands still makes Moodle's waits never end)."""
        cmd = ["env", "TZ=UTC"]
        if clock:
            # File times stay real (NO_FAKE_STAT): Moodle compares them with its own time stamps.
            cmd += ["NO_FAKE_STAT=1", "faketime", "-f", f"@{clock} x0.01"]
        run(sudo_as("www-data", *cmd, "php", *args), quiet=True)

    def cfg(self, name, value):
        """`set_config($name, $value)` through admin/cli/cfg.php."""
        self.php(os.path.join(self.www, "admin/cli/cfg.php"), f"--name={name}", f"--set={value}")

    def sql(self, statement, db=None):
        """Runs SQL as the PostgreSQL superuser."""
        run(sudo_as("postgres", "psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", db or "postgres",
                    "-c", statement), quiet=True)

    def query(self, statement):
        """Rows of a query on the site's database, as lists of strings."""
        out = subprocess.run(sudo_as("postgres", "psql", "-tA", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                                     "-d", self.dbname, "-c", statement),
                             check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def release(self):
        """`$release` of the installed code (version.php), e.g. `4.5.6 (Build: 20250811)`."""
        for sub in ("public", ""):
            path = os.path.join(self.www, sub, "version.php")
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as f:
                    m = re.search(r"^\$release\s*=\s*'([^']*)'", f.read(), re.M)
                if m:
                    return m.group(1)
        raise SystemExit(f"record-moodle: no $release in {self.www}/version.php")

    def tokens(self):
        """The seeded tokens by transcript role name (tokens.json)."""
        with open(os.path.join(self.root, "tokens.json"), encoding="utf-8") as f:
            return json.load(f)["tokens"]

    # ------------------------------------------------------------------ reset
    def reset(self, conf):
        """Reinstalls the site from scratch (install.sh with the site's settings: source git
        directory and commit, port, database, nginx site), seeds it as recorded and takes the
        snapshot."""
        if shutil.which("faketime") is None:
            raise SystemExit("record-moodle: libfaketime is needed (apt-get install faketime)")
        port = str(urllib.parse.urlsplit(self.url).port or 80)
        env = dict(os.environ, MOODLE_REAL_ROOT=self.root, RESET="1", SKIP_SEED="1",
                   MOODLE_REAL_PORT=port, MOODLE_REAL_DBNAME=self.dbname,
                   MOODLE_REAL_NGINX_SITE=conf["MOODLE_REAL_NGINX_SITE"],
                   MOODLE_REF=conf["MOODLE_REF"])
        env.pop("SKIP_LTI", None)
        print(f"==> reinstalling {self.url} (install.sh, RESET=1, without its seed)", flush=True)
        run(["bash", os.path.join(self.recipe, "install.sh"), conf["MOODLE_SRC_GIT"]], env=env,
            quiet=True)
        print(f"==> seeding at the recorded seed time ({RECORDED_SEED_CLOCK} UTC)", flush=True)
        self.cfg("themerev", SEED_THEME_REV)
        # make_localcache_directory() purges the local cache again whenever its time stamp file
        # is older than $CFG->localcachedirpurged (the install's purge, "in the future" for the
        # frozen clock) and recurses without end; seed.php's own purge sets it again.
        self.cfg("localcachedirpurged", "0")
        seed = os.path.join(self.root, "seed.php")
        shutil.copyfile(os.path.join(self.recipe, "seed.php"), seed)
        tokens = os.path.join(self.root, "tokens.json")
        open(tokens, "w").close()
        shutil.chown(tokens, "www-data")
        self.php(seed, f"--moodle={self.www}", f"--tokens={tokens}", clock=RECORDED_SEED_CLOCK)
        self.php(os.path.join(self.www, "admin/cli/adhoc_task.php"), "--execute",
                 clock=RECORDED_SEED_CLOCK)
        os.chmod(tokens, 0o644)
        self.cfg("themerev", THEME_REV)
        self.set_bridge_functions()
        self.align_with_recorded_site()
        self.take_snapshot()

    def set_bridge_functions(self):
        """Gives the `bridge` service exactly the recorded site's functions, in its order."""
        values = ", ".join(f"((SELECT id FROM mdl_external_services WHERE shortname = 'bridge'), '{f}')"
                           for f in BRIDGE_FUNCTIONS)
        self.sql("DELETE FROM mdl_external_services_functions WHERE externalserviceid = "
                 "(SELECT id FROM mdl_external_services WHERE shortname = 'bridge'); "
                 f"INSERT INTO mdl_external_services_functions (externalserviceid, functionname) "
                 f"VALUES {values};", db=self.dbname)

    def align_with_recorded_site(self):
        """What the recorded site had that a fresh seed does not make alike: used-up ids, the
        random user mapping, and no password-change time preferences (its users show none)."""
        for table, nextid in RECORDED_NEXT_IDS.items():
            self.sql(f"SELECT setval('mdl_{table}_id_seq', GREATEST({nextid - 1}, "
                     f"(SELECT COALESCE(MAX(id), 1) FROM mdl_{table})))", db=self.dbname)
        old = {int(u): int(i) for i, u in self.query(
            "SELECT id, userid FROM mdl_assign_user_mapping WHERE assignment = 1")}
        rows = ", ".join(f"({new}, 1, {user})" for user, new in RECORDED_USER_MAPPING.items())
        self.sql("DELETE FROM mdl_assign_user_mapping WHERE assignment = 1; "
                 f"INSERT INTO mdl_assign_user_mapping (id, assignment, userid) VALUES {rows}; "
                 "SELECT setval('mdl_assign_user_mapping_id_seq', "
                 "(SELECT MAX(id) FROM mdl_assign_user_mapping))", db=self.dbname)
        renumber = {str(old_id): str(RECORDED_USER_MAPPING[user]) for user, old_id in old.items()
                    if user in RECORDED_USER_MAPPING}
        for nid, customdata in self.query("SELECT id, customdata FROM mdl_notifications "
                                          "WHERE customdata LIKE '%\"instance\":\"1\"%uniqueidforuser%'"):
            data = json.loads(customdata)
            data["uniqueidforuser"] = renumber.get(data["uniqueidforuser"], data["uniqueidforuser"])
            text = json.dumps(data, separators=(",", ":")).replace("/", "\\/").replace("'", "''")
            self.sql(f"UPDATE mdl_notifications SET customdata = '{text}' WHERE id = {nid}",
                     db=self.dbname)
        self.sql("DELETE FROM mdl_user_preferences WHERE name = 'auth_manual_passwordupdatetime'",
                 db=self.dbname)
        self.sql(SEED_TIMES_SQL, db=self.dbname)
        # The renumbering above moved some notifications to the end of the table, in whatever
        # order its query returned them (a new random mapping each reset), and lists ordered
        # only by time (core_message_get_messages: timecreated DESC) give the rows of one
        # second in table order. Rewrite the table in id order, as the seed inserted it.
        self.sql("CLUSTER mdl_notifications USING mdl_noti_id_pk", db=self.dbname)

    # ------------------------------------------------------------------ snapshot
    def _disconnect(self, db):
        self.sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}' "
                 "AND pid <> pg_backend_pid();")

    def take_snapshot(self):
        """Copies the database and the dataroot aside."""
        print("==> snapshot of the freshly seeded site", flush=True)
        self.sql(f'DROP DATABASE IF EXISTS "{self.snapshot_db}"')
        self._disconnect(self.dbname)
        self.sql(f'CREATE DATABASE "{self.snapshot_db}" TEMPLATE "{self.dbname}"')
        if os.path.exists(self.snapshot_data):
            shutil.rmtree(self.snapshot_data)
        run(["cp", "-a", self.data, self.snapshot_data])

    def has_snapshot(self):
        """Whether a snapshot was taken (by `reset`)."""
        return os.path.isdir(self.snapshot_data)

    def restore(self, debug=False):
        """Puts the freshly seeded site back (database and dataroot), debugging on or off."""
        if not self.has_snapshot():
            raise SystemExit("record-moodle: no snapshot of a freshly seeded site; run `record-moodle reset`")
        self.sql(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        self.sql(f'CREATE DATABASE "{self.dbname}" TEMPLATE "{self.snapshot_db}" OWNER moodleuser')
        shutil.rmtree(self.data)
        run(["cp", "-a", self.snapshot_data, self.data])
        if debug:
            self.cfg("debug", DEBUG_DEVELOPER)
