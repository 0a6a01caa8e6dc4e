-- The client's network address of each audited request (security review, issue 11): behind a
-- load balancer it is the address a TRUSTED_PROXIES peer forwarded, so the log says which
-- client acted, not which proxy. NULL for command-line actions and rows written before.
ALTER TABLE audit_log ADD COLUMN client_address TEXT;
