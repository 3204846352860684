-- Outside identity providers: "sign in with …" an OpenID Connect provider
-- (found by its issuer's discovery document) or an OAuth2 provider with a
-- user endpoint (GitHub-style, by explicit endpoints), for consumers in
-- the portal or for administrators in the console (`audience`).
-- `accounts` is `link` (only an account with the same verified email,
-- or one linked before) or `create` (else a new account; for the console
-- with `roles`). The client secret is sealed with SLUICE_SECRET_KEY.
CREATE TABLE identity_providers (
    name                    TEXT PRIMARY KEY,
    kind                    TEXT NOT NULL,
    label                   TEXT NOT NULL,
    audience                TEXT NOT NULL,
    issuer                  TEXT,
    authorization_endpoint  TEXT,
    token_endpoint          TEXT,
    userinfo_endpoint       TEXT,
    client_id               TEXT NOT NULL,
    client_secret_sealed    BLOB NOT NULL,
    scopes                  TEXT NOT NULL,
    accounts                TEXT NOT NULL,
    roles                   TEXT NOT NULL,
    email_domains           TEXT NOT NULL,
    subject_claim           TEXT NOT NULL,
    email_claim             TEXT NOT NULL,
    name_claim              TEXT NOT NULL,
    trust_email             INTEGER NOT NULL,
    active                  INTEGER NOT NULL,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);

-- Which account an identity at a provider signs in as, once linked.
CREATE TABLE external_identities (
    provider    TEXT NOT NULL REFERENCES identity_providers(name) ON DELETE CASCADE,
    subject     TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email       TEXT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX external_identities_user ON external_identities (user_id);

-- Sign-ins under way: the state sent to the provider (kept as its
-- SHA-256), with the PKCE verifier and nonce to check its answer, the page
-- to return to, and the SHA-256 of the cookie that binds the sign-in to
-- the browser that started it (RFC 9700 §4.7, RFC 6749 §10.12). A few
-- minutes, once.
CREATE TABLE provider_logins (
    state_sha256    TEXT PRIMARY KEY,
    provider        TEXT NOT NULL REFERENCES identity_providers(name) ON DELETE CASCADE,
    pkce_verifier   TEXT NOT NULL,
    nonce           TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    return_to       TEXT NOT NULL,
    browser_sha256  TEXT NOT NULL,
    expires_at      BIGINT NOT NULL
);

-- The one-time code that hands a finished sign-in to the portal or the
-- console page, which exchanges it for tokens (kept as its SHA-256), in
-- the same browser (its cookie's SHA-256).
CREATE TABLE provider_handoffs (
    code_sha256     TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    browser_sha256  TEXT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
