-- Dynamic registrations wait for an administrator (security review, issue 11): anyone able to
-- put a JSON file under an allowed address could otherwise register their own keys for a
-- trusted platform. `active` registrations accept launches; `pending` ones (made by
-- /lti/register) do not until `moodle-bridge lti approve`. Registrations made before this
-- migration were made by an operator or accepted already, so they stay active.
ALTER TABLE lti_registrations ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
