-- The LTI 1.3 tool (seed 000) and its file manager: the platforms that may launch the bridge,
-- the tool's own signing keys, the short-lived login states and seen nonces of launches, and
-- the files copied from Moodle or uploaded through the file manager. Times are Unix
-- milliseconds unless a column says otherwise.

-- A platform (a Moodle site) the bridge is registered with as an LTI tool.
CREATE TABLE lti_registrations (
    -- The bridge's own id for the registration ("default" for the one the LTI_* variables make).
    id TEXT PRIMARY KEY,
    -- The platform's issuer (Moodle: its wwwroot, "Platform ID").
    issuer TEXT NOT NULL,
    -- The client id the platform gave the tool.
    client_id TEXT NOT NULL,
    -- The platform's OIDC authentication, token and key-set endpoints.
    auth_login_url TEXT NOT NULL,
    access_token_url TEXT NOT NULL,
    jwks_url TEXT NOT NULL,
    -- The client-assertion audience when it is not the token URL (OpenID authorization_server).
    token_audience TEXT,
    -- That platform's Moodle web services: a launch from it only ever reads this site's files.
    moodle_url TEXT NOT NULL,
    -- The web-service token for moodle_url, sealed (AES-GCM, key from SECRET_KEY); NULL until
    -- an administrator sets it (a dynamic registration does not carry one).
    moodle_token TEXT,
    -- How it was made: env, dynamic or cli.
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (issuer, client_id)
);

-- The deployments a platform made of the tool (Moodle: the tool type id, "1").
CREATE TABLE lti_deployments (
    registration_id TEXT NOT NULL REFERENCES lti_registrations (id) ON DELETE CASCADE,
    deployment_id TEXT NOT NULL,
    PRIMARY KEY (registration_id, deployment_id)
);

-- The tool's RSA keys. One signs (status current); retired ones stay published in the JWKS
-- until retired_until, so platforms that cached the key set keep verifying.
CREATE TABLE lti_tool_keys (
    -- RFC 7638 thumbprint: the JWKS kid.
    kid TEXT PRIMARY KEY,
    -- PKCS#8 PEM, sealed with a key derived from SECRET_KEY.
    private_pem TEXT NOT NULL,
    -- current or retired.
    status TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    retired_until_ms BIGINT
);
-- At most one signing key, even with two instances starting on an empty database at once.
CREATE UNIQUE INDEX lti_tool_keys_one_current ON lti_tool_keys (status) WHERE status = 'current';

-- OIDC login states: saved at /lti/login, taken once at /lti/launch.
CREATE TABLE lti_states (
    -- SHA-256 of the state, hex: the table never holds a usable state.
    state_hash TEXT PRIMARY KEY,
    -- The nonce sent with the state; the id_token must carry it.
    nonce TEXT NOT NULL,
    registration_id TEXT NOT NULL,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    deployment_id TEXT,
    target_link_uri TEXT NOT NULL,
    -- lti_storage_target, when the platform offered LTI platform storage.
    storage_target TEXT,
    -- Unix seconds, as the lti crate counts.
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Set by the one launch that takes the state; a second take finds it used.
    used_at BIGINT
);
CREATE INDEX lti_states_expires_at ON lti_states (expires_at);

-- Nonces of accepted id_tokens, kept until the token could no longer be replayed.
CREATE TABLE lti_nonces (
    issuer TEXT NOT NULL,
    nonce TEXT NOT NULL,
    -- Unix seconds.
    keep_until BIGINT NOT NULL,
    PRIMARY KEY (issuer, nonce)
);
CREATE INDEX lti_nonces_keep_until ON lti_nonces (keep_until);

-- Files the file manager stored: copied from a learner's Moodle files or uploaded.
CREATE TABLE stored_files (
    -- Random id, the {file_id} of /download_file and /delete_file.
    id TEXT PRIMARY KEY,
    -- The sanitised file name.
    name TEXT NOT NULL,
    size BIGINT NOT NULL,
    -- SHA-256 of the bytes, hex, counted while storing.
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    -- Where the bytes are (a key the bridge made).
    storage_key TEXT NOT NULL,
    -- The context the file was stored from: the registration and the LTI context (course) of
    -- the launch; a launch sees only its own context's files. '' for API uploads without one.
    platform TEXT NOT NULL,
    context_id TEXT NOT NULL,
    -- The Moodle course id of that context, when known.
    course_id BIGINT,
    -- For copies: submission or private, the file's reference in Moodle (pluginfile path or
    -- local_bridge file id), its owner, its time modified and where it sits in Moodle.
    moodle_source TEXT,
    moodle_ref TEXT,
    moodle_user_id BIGINT,
    moodle_modified BIGINT,
    moodle_location TEXT,
    -- Who stored it: the launch's user (lti:<registration>:<sub>) or the API token's subject.
    stored_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX stored_files_context ON stored_files (platform, context_id, created_at_ms);
CREATE INDEX stored_files_created ON stored_files (created_at_ms, id);
-- A Moodle file (as it was at one time modified) is stored once per context.
CREATE UNIQUE INDEX stored_files_moodle_once
    ON stored_files (platform, context_id, moodle_ref, moodle_modified);
