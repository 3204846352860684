-- Hardening (issue 42, item 8): an action's answers carry
-- `Content-Security-Policy: sandbox` unless its operation opts out, so a
-- page reflecting a consumer's input runs in an opaque origin. Existing
-- operations get the sandbox too.
ALTER TABLE operations ADD COLUMN sandbox INTEGER NOT NULL DEFAULT 1;
