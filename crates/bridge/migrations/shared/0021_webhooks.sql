-- Webhooks (issue 15): where each site's outbox was read up to, the subscriptions
-- applications made, and one delivery row per event and subscription.

-- One row per Moodle site: the outbox id read up to, and the lease of the one instance that
-- polls it (another takes over when the lease lapses).
CREATE TABLE event_cursors (
    site TEXT PRIMARY KEY,
    last_moodle_id BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until_ms BIGINT,
    updated_at_ms BIGINT NOT NULL
);

-- A subscription: where to deliver which events, for whom.
CREATE TABLE webhooks (
    -- Random id (`wh_…`).
    id TEXT PRIMARY KEY,
    -- The token's source and subject that made it; only it sees and changes it.
    owner TEXT NOT NULL,
    url TEXT NOT NULL,
    -- Event types delivered, space-separated (`*` every type).
    event_types TEXT NOT NULL,
    -- Only events of this Moodle course, when set.
    course_id BIGINT,
    description TEXT NOT NULL,
    -- 1 delivers; 0 paused by its owner or disabled after a day of failures.
    active BIGINT NOT NULL,
    -- 1 also delivers events the bridge's own writes caused (default 0: no echo loops).
    include_bridge BIGINT NOT NULL,
    -- The signing secret (`whsec_…`), sealed with a key derived from SECRET_KEY.
    secret TEXT NOT NULL,
    -- Why it was disabled, when the bridge disabled it.
    disabled_reason TEXT,
    -- The delivering instance's lease: one instance delivers a subscription, in order.
    lease_owner TEXT,
    lease_until_ms BIGINT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX webhooks_owner ON webhooks (owner);

-- One event for one subscription: pending until delivered, or failed after a day of tries.
CREATE TABLE webhook_deliveries (
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL,
    -- pending, delivered or failed.
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    -- Unix milliseconds of the next try (pending).
    next_attempt_ms BIGINT NOT NULL,
    -- The receiver's last HTTP status (0: no answer), and why the last try failed.
    last_status BIGINT,
    last_error TEXT,
    created_at_ms BIGINT NOT NULL,
    -- When the first try failed: retries stop a day after it.
    first_failed_at_ms BIGINT,
    delivered_at_ms BIGINT,
    PRIMARY KEY (webhook_id, event_id)
);
-- The oldest pending delivery of a subscription (its head: later ones wait for it).
CREATE INDEX webhook_deliveries_head ON webhook_deliveries (webhook_id, state, event_id);
