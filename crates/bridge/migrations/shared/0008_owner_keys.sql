-- Publisher data and API-stored files are owned by token source and subject together
-- (security review, issue 11): before, an identity provider's user named "alice" reached the
-- courses, jobs, LMS sessions and files of a bridge-token subject "alice". Owners are now
-- "<source>:<subject>" (bridge, shared-secret, identity-provider). Rows made before cannot
-- say which source made them; they are given to the shared-secret source, the way seed 002's
-- applications sign their users' tokens.
UPDATE courses SET owner = 'shared-secret:' || owner;
UPDATE lms_sessions SET owner = 'shared-secret:' || owner;
UPDATE jobs SET owner = 'shared-secret:' || owner;
-- Files stored through an API token are filed under their owner ("api:<owner>") so each token
-- sees its own (every file only with the files:admin scope).
UPDATE stored_files SET platform = 'api:shared-secret:' || stored_by,
    stored_by = 'shared-secret:' || stored_by
    WHERE platform = '';
