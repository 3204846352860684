-- The device authorization grant (RFC 8628): a CLI or a device without a
-- browser asks for a device code and a short user code; the user enters
-- the user code on a page where they are signed in and approves or denies;
-- the device polls the token endpoint with the device code meanwhile. Both
-- codes are kept as their SHA-256 only. `app_id` is NULL for Sluice's own
-- CLI (`sluice login --device`), whose session is the user's own. `status`
-- is pending, approved, denied or spent; `interval_secs` grows by 5 s at
-- each poll that comes too soon (§3.5 slow_down). Times are Unix seconds.
CREATE TABLE device_codes (
    device_code_sha256  TEXT PRIMARY KEY,
    user_code_sha256    TEXT NOT NULL UNIQUE,
    app_id              TEXT REFERENCES apps(id) ON DELETE CASCADE,
    scope               TEXT,
    resource            TEXT,
    requested_from      TEXT NOT NULL,
    status              TEXT NOT NULL,
    user_id             TEXT REFERENCES users(id) ON DELETE CASCADE,
    scopes              TEXT,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    interval_secs       BIGINT NOT NULL,
    polled_at           BIGINT
);
CREATE INDEX device_codes_expires ON device_codes (expires_at);

-- The grant types an app that registered itself (RFC 7591) named, as a
-- JSON array; NULL for the admin's, a deploy's and consumers' apps. A
-- public client may start a device request only when it named that grant.
ALTER TABLE apps ADD COLUMN grant_types TEXT;

-- When the user who approved a code signed in (OpenID Connect's
-- `auth_time`), Unix seconds.
ALTER TABLE authorization_codes ADD COLUMN auth_time BIGINT;

-- Resource indicators (RFC 8707): the resource a code or a session's
-- tokens are bound to (their `aud`); NULL for the whole API (the issuer).
ALTER TABLE authorization_codes ADD COLUMN resource TEXT;
ALTER TABLE sessions ADD COLUMN audience TEXT;
