-- Who changed what through the bridge: one row per write attempt (gateway, publisher,
-- file manager, command line), kept for operators (`moodle-bridge audit`).
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- When the write finished, Unix milliseconds.
    at_ms BIGINT NOT NULL,
    -- The API token's subject, or the operator for command-line actions.
    subject TEXT NOT NULL,
    -- Which token source vouched for the subject (bridge, shared-secret, identity-provider, cli).
    source TEXT NOT NULL,
    -- The route or command, e.g. "POST /api/moodle/courses".
    route TEXT NOT NULL,
    -- The Moodle web-service function called, when one was.
    moodle_function TEXT,
    -- The ids involved, as a JSON object, e.g. {"courseid":12}.
    object_ids TEXT NOT NULL,
    -- "ok", or the error code the caller was given.
    outcome TEXT NOT NULL,
    -- The HTTP status the caller was given (0 for command-line actions).
    status BIGINT NOT NULL,
    -- The X-Request-Id of the request, to find its log lines.
    request_id TEXT
);
CREATE INDEX audit_log_at_ms ON audit_log (at_ms);
