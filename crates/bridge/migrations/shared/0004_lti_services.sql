-- The LTI Advantage services a platform grants in its launches: Assignment and Grade Services
-- (the `…/lti-ags/claim/endpoint` claim) and Names and Role Provisioning (the
-- `…/lti-nrps/claim/namesroleservice` claim). The file manager's later API calls carry only the
-- launch token, and may reach another instance of the bridge, so the service URLs a launch
-- brought are kept here. Every launch overwrites its rows: a platform that stops granting a
-- service stops being called for it. Times are Unix milliseconds.

-- The services of one context (course) of one deployment of one platform.
CREATE TABLE lti_context_services (
    registration_id TEXT NOT NULL REFERENCES lti_registrations (id) ON DELETE CASCADE,
    deployment_id TEXT NOT NULL,
    -- The LTI context id (Moodle: the course id).
    context_id TEXT NOT NULL,
    -- The AGS scopes granted, space-separated; NULL when the launch had no AGS claim (the
    -- platform did not grant grade services), '' when the claim listed none.
    ags_scopes TEXT,
    -- The AGS line items container URL (Moodle: …/lineitems?type_id=1), when granted.
    ags_lineitems TEXT,
    -- The NRPS context_memberships_url; NULL when the launch had no NRPS claim.
    nrps_memberships TEXT,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (registration_id, deployment_id, context_id)
);

-- The line item of one resource link (the AGS claim's `lineitem`: present when the link has
-- exactly one), where a score goes when the caller names no other.
CREATE TABLE lti_link_lineitems (
    registration_id TEXT NOT NULL REFERENCES lti_registrations (id) ON DELETE CASCADE,
    deployment_id TEXT NOT NULL,
    context_id TEXT NOT NULL,
    -- The LTI resource link id (Moodle: the activity's lti instance id).
    resource_link_id TEXT NOT NULL,
    -- NULL when the link's last launch carried no line item.
    lineitem TEXT,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (registration_id, deployment_id, context_id, resource_link_id)
);
