-- Hardening (issue 42): an invocation's guest log is capped in records and
-- bytes; what a request's action dropped past the caps is counted in its
-- request log row (0: nothing dropped, and for rows written before).
ALTER TABLE request_log ADD COLUMN log_dropped_messages INTEGER NOT NULL DEFAULT 0;
ALTER TABLE request_log ADD COLUMN log_dropped_bytes INTEGER NOT NULL DEFAULT 0;
