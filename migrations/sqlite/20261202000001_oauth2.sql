-- OAuth2 for `http` connections (issue 20). The tokens an authorization
-- (or a client credentials grant) gave each connection, sealed like the
-- configs; absent or with tokens_sealed NULL: not authorized.
CREATE TABLE connection_tokens (
    connection     TEXT PRIMARY KEY,
    tokens_sealed  BLOB,
    -- Unix ms when the access token expires; NULL: the provider did not say.
    expires_ms     BIGINT,
    -- authorized | needs_authorization
    status         TEXT NOT NULL,
    -- Why the connection needs authorization again (the provider's answer).
    error          TEXT,
    updated_ms     BIGINT NOT NULL
);

-- Authorization flows in progress: the state sent to the provider and the
-- PKCE verifier (sealed), used once by the callback within 10 minutes.
CREATE TABLE oauth2_flows (
    state            TEXT PRIMARY KEY,
    connection       TEXT NOT NULL,
    verifier_sealed  BLOB NOT NULL,
    redirect_uri     TEXT NOT NULL,
    created_ms       BIGINT NOT NULL
);
