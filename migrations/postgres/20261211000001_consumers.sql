-- The consumer side (the developer portal): consumers are users of kind
-- 'consumer' who sign up themselves; they own apps, personal access tokens
-- and webhooks, and may obtain only the scopes the admin opened to them.
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'user';
ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
-- 'unverified' (signed up, address not confirmed), 'awaiting_approval',
-- 'active' or 'deactivated'; admin users are always 'active' here and use
-- the 'active' flag alone.
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE users ADD COLUMN verified_at TEXT;
-- Emails are stored lower-cased; one consumer per address.
CREATE UNIQUE INDEX users_consumer_email ON users (email) WHERE kind = 'consumer';

-- One-time links sent by mail (activation, password reset), kept as SHA-256.
CREATE TABLE consumer_links (
    token_sha256 TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose      TEXT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE INDEX consumer_links_user ON consumer_links (user_id);

-- Apps a consumer made: owner_id is the consumer, label the name they gave.
ALTER TABLE apps ADD COLUMN owner_id TEXT REFERENCES users(id) ON DELETE CASCADE;
ALTER TABLE apps ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '[]';
CREATE INDEX apps_owner ON apps (owner_id);

-- Personal access tokens are sessions with a name.
ALTER TABLE sessions ADD COLUMN name TEXT;

-- Scopes and events the admin opened to consumers.
ALTER TABLE scopes ADD COLUMN consumers BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE events ADD COLUMN consumers BOOLEAN NOT NULL DEFAULT FALSE;
