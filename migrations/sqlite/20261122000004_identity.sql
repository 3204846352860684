-- Who may call what (issue 6): scopes guard operations; roles group scopes
-- for users; apps hold client credentials and scopes. Lists are JSON arrays
-- of names. Passwords and client secrets are argon2id PHC strings.
CREATE TABLE scopes (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE roles (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    scopes      TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    email         TEXT,
    password_hash TEXT NOT NULL,
    roles         TEXT NOT NULL DEFAULT '[]',
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE apps (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    description       TEXT NOT NULL DEFAULT '',
    client_id         TEXT NOT NULL UNIQUE,
    secret_hash       TEXT NOT NULL,
    scopes            TEXT NOT NULL DEFAULT '[]',
    active            INTEGER NOT NULL DEFAULT 1,
    secret_rotated_at TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

-- Operations are private unless public; those that existed before this
-- migration were served to everyone, so they stay public.
ALTER TABLE operations ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
ALTER TABLE operations ADD COLUMN scopes TEXT NOT NULL DEFAULT '[]';
UPDATE operations SET public = 1;

-- One session per token grant; access tokens carry its id (`sid`), refresh
-- tokens (kept as SHA-256) rotate within it. Times here are Unix seconds.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    app_id      TEXT REFERENCES apps(id) ON DELETE CASCADE,
    user_id     TEXT REFERENCES users(id) ON DELETE CASCADE,
    scopes      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_app ON sessions(app_id);

CREATE TABLE refresh_tokens (
    token_sha256 TEXT PRIMARY KEY,
    session_id   TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
);

-- Revoked access-token ids (`jti`) and session ids (`sid`), kept until the
-- tokens would have expired anyway; every node polls this table.
CREATE TABLE token_revocations (
    id          TEXT PRIMARY KEY,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER NOT NULL
);
CREATE INDEX token_revocations_revoked_at ON token_revocations(revoked_at);

-- Rate-limit rules: the matching rule of highest priority applies; each
-- caller (user, else app, else client IP) gets `requests` per `window_seconds`.
CREATE TABLE rate_limits (
    name            TEXT PRIMARY KEY,
    priority        INTEGER NOT NULL DEFAULT 0,
    operation       TEXT,
    app             TEXT,
    user            TEXT,
    anonymous       INTEGER,
    requests        INTEGER NOT NULL,
    window_seconds  INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- One row per request served by the gateway; `at_ms` is Unix milliseconds.
CREATE TABLE request_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms        INTEGER NOT NULL,
    request_id   TEXT NOT NULL,
    operation    TEXT,
    app          TEXT,
    user         TEXT,
    ip           TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    status       INTEGER NOT NULL,
    duration_us  INTEGER NOT NULL,
    fuel_used    INTEGER,
    error        TEXT
);
-- One index only: every index slows the stream of inserts, and filtered
-- reads walk back from the newest id until a page is full.
CREATE INDEX request_log_at ON request_log(at_ms);

INSERT INTO scopes (name, description, created_at, updated_at)
VALUES ('admin', 'The admin API under /admin', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
INSERT INTO roles (name, description, scopes, created_at, updated_at)
VALUES ('admin', 'Administrators: the admin API', '["admin"]', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
INSERT INTO rate_limits (name, priority, requests, window_seconds, created_at, updated_at)
VALUES ('default', 0, 600, 60, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));

-- The admin token generated on first start is replaced by admin users; a
-- bootstrap token now needs SLUICE_ADMIN_TOKEN (an explicit opt-in).
DELETE FROM settings WHERE key = 'admin_token_sha256';
