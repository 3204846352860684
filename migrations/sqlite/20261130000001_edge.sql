-- The edge: an operation's own CORS policy (JSON; NULL inherits
-- SLUICE_CORS_ORIGINS), and IP rules checked before authentication.
-- `expires_ms` is Unix milliseconds (NULL: never); `source` is `admin` for
-- rules an admin wrote and `ban` for the brute-force bans the token
-- endpoint adds.
ALTER TABLE operations ADD COLUMN cors TEXT;
CREATE TABLE ip_rules (
    name        TEXT PRIMARY KEY,
    cidr        TEXT NOT NULL,
    effect      TEXT NOT NULL,
    operation   TEXT,
    expires_ms  BIGINT,
    source      TEXT NOT NULL DEFAULT 'admin',
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
