-- Keys that sign access tokens (and ID tokens): Ed25519 pairs whose public
-- halves are published at /authorization/jwks. The private seed is sealed
-- with XChaCha20-Poly1305 under the platform's secret key, bound to the
-- key id. The newest key not retired signs; a retired key still verifies
-- until `expires_at` (the end of the longest lifetime of a token it
-- signed), then it is deleted. Times are Unix seconds.
CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    algorithm    TEXT NOT NULL,
    seed_sealed  BLOB NOT NULL,
    public_key   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    retired_at   BIGINT,
    expires_at   BIGINT
);
