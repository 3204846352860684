-- Connections: named links to backends. The config (URL, password …) is
-- sealed with XChaCha20-Poly1305 under the platform's secret key, the
-- connection's name as associated data; nothing readable is stored.
CREATE TABLE connections (
    name           TEXT PRIMARY KEY,
    class          TEXT NOT NULL,
    config_sealed  BLOB NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- Grants: the connections each action may open.
CREATE TABLE action_grants (
    action      TEXT NOT NULL REFERENCES actions(name) ON DELETE CASCADE,
    connection  TEXT NOT NULL REFERENCES connections(name),
    PRIMARY KEY (action, connection)
);
CREATE INDEX action_grants_connection ON action_grants(connection);
