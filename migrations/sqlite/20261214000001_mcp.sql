-- The Model Context Protocol server at /mcp (issue 45).
-- An operation's `mcp` is its exposure as a tool: {"enabled", "name",
-- "description"} (JSON); NULL follows the project's default
-- (SLUICE_MCP_TOOLS_BY_DEFAULT).
ALTER TABLE operations ADD COLUMN mcp TEXT;
-- How a request reached the gateway: `http`, or `mcp` for a tool call.
ALTER TABLE request_log ADD COLUMN via TEXT NOT NULL DEFAULT 'http';
-- MCP sessions (Mcp-Session-Id), so that any node of a cluster can serve
-- one: the client's `initialize` parameters (rmcp's SessionState, JSON),
-- the principal that opened it (only the same app and user may use it),
-- and when it was opened and last used (Unix ms).
CREATE TABLE mcp_sessions (
    id            TEXT PRIMARY KEY,
    app           TEXT,
    user_name     TEXT,
    state         TEXT,
    client_name   TEXT,
    client_version TEXT,
    protocol_version TEXT,
    created_ms    BIGINT NOT NULL,
    seen_ms       BIGINT NOT NULL
);
CREATE INDEX mcp_sessions_seen ON mcp_sessions(seen_ms);
-- Prompts the MCP server offers (prompts/list, prompts/get): a template
-- (MiniJinja syntax) filled with the client's arguments. `arguments` is
-- JSON: [{"name", "description", "required"}].
CREATE TABLE prompts (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    arguments   TEXT NOT NULL,
    template    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
