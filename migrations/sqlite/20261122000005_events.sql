-- Events, triggers, webhooks and cronjobs (issue 7). Times in *_ms columns
-- are Unix milliseconds; the others RFC 3339 text.
CREATE TABLE events (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    schema      TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE triggers (
    name        TEXT PRIMARY KEY,
    event       TEXT NOT NULL REFERENCES events(name),
    action      TEXT NOT NULL REFERENCES actions(name),
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX triggers_event ON triggers(event);

-- The signing secret (`whsec_<base64>`) is sealed like connection configs.
CREATE TABLE webhooks (
    name            TEXT PRIMARY KEY,
    event           TEXT NOT NULL REFERENCES events(name),
    url             TEXT NOT NULL,
    secret_sealed   BLOB NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX webhooks_event ON webhooks(event);

-- The outbox: each dispatched event once, written before the dispatching
-- request is answered, and one delivery per trigger and webhook subscribed
-- at that moment.
CREATE TABLE outbox (
    id          TEXT PRIMARY KEY,
    event       TEXT NOT NULL,
    payload     BLOB NOT NULL,
    source      TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id       TEXT NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    target          TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    locked_until_ms INTEGER,
    created_ms      INTEGER NOT NULL,
    finished_ms     INTEGER
);
CREATE INDEX deliveries_due ON deliveries(state, next_attempt_ms);
CREATE INDEX deliveries_target ON deliveries(kind, target, id);

CREATE TABLE delivery_attempts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id      INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    attempt          INTEGER NOT NULL,
    at_ms            INTEGER NOT NULL,
    status_code      INTEGER,
    response_excerpt TEXT,
    duration_ms      INTEGER NOT NULL,
    error            TEXT,
    next_retry_ms    INTEGER
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id);

CREATE TABLE cronjobs (
    name            TEXT PRIMARY KEY,
    schedule        TEXT NOT NULL,
    action          TEXT NOT NULL REFERENCES actions(name),
    active          INTEGER NOT NULL DEFAULT 1,
    missed          TEXT NOT NULL DEFAULT 'run_once',
    description     TEXT NOT NULL DEFAULT '',
    last_tick_ms    INTEGER,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- One row per run; (cronjob, tick_ms) is unique, so each tick is claimed
-- by one node only. Manual runs have tick_ms = NULL.
CREATE TABLE cronjob_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    cronjob      TEXT NOT NULL REFERENCES cronjobs(name) ON DELETE CASCADE,
    tick_ms      INTEGER,
    started_ms   INTEGER NOT NULL,
    duration_ms  INTEGER,
    outcome      TEXT NOT NULL DEFAULT 'running',
    status_code  INTEGER,
    error        TEXT,
    UNIQUE (cronjob, tick_ms)
);
