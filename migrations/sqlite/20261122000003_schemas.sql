-- Named JSON Schemas (2020-12) and each operation's contract: parameters,
-- incoming/outgoing schemas and throws, as one JSON document.
CREATE TABLE schemas (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    schema      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

ALTER TABLE operations ADD COLUMN contract TEXT NOT NULL DEFAULT '{}';
