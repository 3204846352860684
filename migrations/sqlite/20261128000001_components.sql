-- Components uploaded by content (PUT /admin/components/{sha256}) before a
-- deploy names them; a deploy moves them into action_versions.
CREATE TABLE components (
    sha256     TEXT PRIMARY KEY NOT NULL,
    wasm       BLOB NOT NULL,
    size_bytes INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
