-- Control plane: actions with their versions, operations, and settings.
-- Times are RFC 3339 text in UTC.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE actions (
    name          TEXT PRIMARY KEY,
    description   TEXT NOT NULL DEFAULT '',
    fuel          INTEGER NOT NULL,
    memory_bytes  INTEGER NOT NULL,
    timeout_ms    INTEGER NOT NULL,
    config        TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- Each upload of new bytes is a new version; the component is stored with
-- its SHA-256 so the engine can cache compiled code by content.
CREATE TABLE action_versions (
    action      TEXT NOT NULL REFERENCES actions(name) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL,
    wasm        BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (action, version)
);

CREATE TABLE operations (
    name            TEXT PRIMARY KEY,
    method          TEXT NOT NULL,
    path            TEXT NOT NULL,
    -- method + path with parameter names erased, so /a/:x and /a/:y clash
    route_key       TEXT NOT NULL UNIQUE,
    action          TEXT NOT NULL REFERENCES actions(name),
    action_version  INTEGER,
    description     TEXT NOT NULL DEFAULT '',
    stability       TEXT NOT NULL DEFAULT 'experimental',
    active          INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX operations_action ON operations(action);
