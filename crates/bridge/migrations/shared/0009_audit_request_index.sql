-- The HTTP layer settles the status of a request's audit rows once it has answered
-- (services record what happened, the HTTP layer alone decides the status): find them by
-- request id.
CREATE INDEX audit_log_request_id ON audit_log (request_id);
