-- API tokens and their revocation (security review, issue 11). The bridge's own tokens are
-- recorded when issued so `moodle-bridge token list` can show them; `token revoke` takes back
-- one token by its id or every token of a source and subject issued until then. Every
-- instance reloads the revocations every few seconds and checks them on every request.

-- Tokens the bridge issued (`token create`, token login). Never the token itself.
CREATE TABLE api_tokens (
    -- The token's jti.
    jti TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    -- Its scopes, space-separated.
    scopes TEXT NOT NULL,
    -- cli or token-login.
    issued_by TEXT NOT NULL,
    issued_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT
);
CREATE INDEX api_tokens_subject ON api_tokens (subject, issued_at_ms);

-- Revoked token ids (of any source), until the token would have expired (NULL: not known,
-- kept).
CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY,
    expires_at_ms BIGINT,
    revoked_at_ms BIGINT NOT NULL
);

-- Every token of this source and subject issued up to revoked_before_ms is revoked.
CREATE TABLE revoked_subjects (
    -- bridge, shared-secret or identity-provider.
    source TEXT NOT NULL,
    subject TEXT NOT NULL,
    revoked_before_ms BIGINT NOT NULL,
    PRIMARY KEY (source, subject)
);
