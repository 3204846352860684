-- The authorization-code grant (RFC 6749 §4.1 with PKCE, RFC 7636): each
-- code is kept as its SHA-256, works once, within its short life, for the
-- app, redirect URI and code verifier it was issued with. `session_id` is
-- the session its exchange opened, revoked when the code is presented
-- again (§4.1.2). Times are Unix seconds.
CREATE TABLE authorization_codes (
    code_sha256     TEXT PRIMARY KEY,
    app_id          TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    nonce           TEXT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT,
    session_id      TEXT
);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);

-- What a user let an app do: the scopes granted on the consent page, so
-- that the page is not shown again for them. The user (portal) or an
-- admin (console) withdraws it; withdrawing revokes the app's sessions
-- for the user.
CREATE TABLE consents (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    scopes      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, app_id)
);
CREATE INDEX consents_app ON consents (app_id);
