-- The publisher (seeds 002 and 003): the application's own courses and assets, the LMS
-- sessions its users log in with, what was made for them in Moodle, and the jobs that push.
-- Times are Unix milliseconds. `out_of_date` is not stored: it is read off `version` against
-- `pushed_version` (a local edit after the last push), so an edit never writes the mapping.

-- A course of the application, owned by the API token's subject that made it.
CREATE TABLE courses (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The bearer token's subject: only it sees, changes and pushes the course.
    owner TEXT NOT NULL,
    -- Moodle's full name.
    name TEXT NOT NULL,
    -- Moodle's short name (unique in Moodle; a taken one gets a -2, -3… suffix there).
    shortname TEXT NOT NULL,
    -- Moodle's summary (HTML).
    description TEXT NOT NULL,
    -- Category names from the top, joined by "/"; made in Moodle where missing.
    category_path TEXT NOT NULL,
    -- Bumped by every change, compared with lms_courses.pushed_version.
    version BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX courses_owner ON courses (owner);

-- The content of a course: pages, files, URLs, forums, quizzes, question papers.
CREATE TABLE assets (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    -- The seed's asset_name: the client's key, unique in the course.
    name TEXT NOT NULL,
    -- page, file, url, forum, quiz or question-paper.
    asset_type TEXT NOT NULL,
    -- asset_content as JSON text, checked against the type's schema on write; for a file
    -- its name, type, size and SHA-256 (the bytes are in storage).
    content TEXT NOT NULL,
    -- Where a file asset's bytes are (storage key made by the bridge), else NULL.
    storage_key TEXT,
    -- Bumped by every change, compared with lms_assets.pushed_version.
    version BIGINT NOT NULL,
    -- The seed's asset_last_updated_at / asset_last_updated_by.
    updated_at_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (course_id, name)
);

-- An LMS login (POST /api/login-lms): the handle given to the client is only stored hashed,
-- the user's Moodle token only encrypted (AES-GCM, key from SECRET_KEY).
CREATE TABLE lms_sessions (
    -- SHA-256 of the handle, hex: a leaked table yields no usable handle.
    id TEXT PRIMARY KEY,
    -- The bearer subject that logged in: the handle works for it alone.
    owner TEXT NOT NULL,
    -- The configured Moodle site (LMS_SITES name) the token belongs to.
    site TEXT NOT NULL,
    -- The user's Moodle web-service token, sealed.
    moodle_token TEXT NOT NULL,
    -- Who the token is in Moodle (for /api/lms/me without a call, and the audit log).
    moodle_user_id BIGINT NOT NULL,
    username TEXT NOT NULL,
    email TEXT NOT NULL,
    fullname TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    -- Set by POST /api/lms/logout; a revoked handle is refused like an expired one.
    revoked_at_ms BIGINT
);
CREATE INDEX lms_sessions_expiry ON lms_sessions (expires_at_ms);

-- A Moodle category the publisher made or adopted, per site and path prefix, so a path is
-- looked up in Moodle once.
CREATE TABLE lms_categories (
    site TEXT NOT NULL,
    -- "Science" or "Science/Physics".
    path TEXT NOT NULL,
    moodle_category_id BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (site, path)
);

-- A local course in one Moodle site: its mapping and sync state.
CREATE TABLE lms_courses (
    course_id BIGINT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    site TEXT NOT NULL,
    -- NULL until the course exists in Moodle.
    moodle_course_id BIGINT,
    -- The short name Moodle accepted (the local one, or with a suffix).
    shortname TEXT,
    -- SHA-256 of the fields last pushed: an unchanged course is not written again.
    content_hash TEXT,
    -- courses.version last pushed.
    pushed_version BIGINT NOT NULL,
    -- pending, syncing, synced or failed.
    sync_status TEXT NOT NULL,
    -- Why the last attempt failed, for GET /api/sync/status.
    last_error TEXT,
    -- Attempts since the last success.
    attempts BIGINT NOT NULL,
    synced_at_ms BIGINT,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (course_id, site)
);

-- An asset in one Moodle site: the activity made for it and its sync state.
CREATE TABLE lms_assets (
    asset_id BIGINT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    site TEXT NOT NULL,
    -- Denormalised for the per-course queries.
    course_id BIGINT NOT NULL,
    -- The Moodle course the activity is in (a push to another lms_course_id starts afresh).
    moodle_course_id BIGINT,
    -- The course module id, NULL until made.
    cmid BIGINT,
    -- What the asset became: page, resource, url or forum.
    modname TEXT,
    -- SHA-256 of what was last pushed: an unchanged asset is not written again.
    content_hash TEXT,
    -- assets.version last pushed.
    pushed_version BIGINT NOT NULL,
    -- pending, syncing, synced, failed or pending_plugin.
    sync_status TEXT NOT NULL,
    last_error TEXT,
    attempts BIGINT NOT NULL,
    synced_at_ms BIGINT,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (asset_id, site)
);
CREATE INDEX lms_assets_course ON lms_assets (course_id, site);

-- Persisted work (a push): claimed with a lease, so a job whose process died is taken over
-- once the lease runs out, and resumed (every step first looks up what it would make).
CREATE TABLE jobs (
    -- A random UUID, the id clients poll (GET /api/jobs/{id}).
    id TEXT PRIMARY KEY,
    -- What to run: "push".
    kind TEXT NOT NULL,
    -- The bearer subject the job works for; only it may read the job.
    owner TEXT NOT NULL,
    -- What the job works on, e.g. "course:12@default": finds the last push of a course.
    work_key TEXT NOT NULL,
    -- The job's arguments, JSON (never a secret).
    args TEXT NOT NULL,
    -- The secret it acts with (the user's Moodle token), sealed; kept out of args.
    credential TEXT,
    -- queued, running, succeeded or failed.
    state TEXT NOT NULL,
    -- Claims that ended or were lost to a dying process (waiting for Moodle does not count).
    attempts BIGINT NOT NULL,
    -- Not before this time (backoff while Moodle is unreachable).
    run_after_ms BIGINT NOT NULL,
    -- The process working on it, and until when its claim holds (renewed while it runs).
    lease_owner TEXT,
    lease_until_ms BIGINT,
    -- The answer (JSON) when succeeded; {status, detail} when failed or waiting.
    result TEXT,
    error TEXT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    finished_at_ms BIGINT
);
CREATE INDEX jobs_runnable ON jobs (state, run_after_ms);
CREATE INDEX jobs_work_key ON jobs (work_key, created_at_ms);

-- A job's progress, for GET /api/jobs/{id}/events (server-sent events) and the CLI.
CREATE TABLE job_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at_ms BIGINT NOT NULL,
    -- started, progress, waiting, succeeded or failed.
    kind TEXT NOT NULL,
    -- JSON: {asset, status, done, total} for progress.
    data TEXT NOT NULL
);
CREATE INDEX job_events_job ON job_events (job_id, id);
