//! Who is calling: OAuth2 tokens (RFC 6749) as signed JWTs (RFC 9068
//! profile), passwords and client secrets as argon2id hashes, and the
//! scopes a caller may obtain. Shared by the token endpoint, the gateway,
//! the admin API and the CLI.

pub mod codes;
pub mod device;
pub mod federation;
pub mod keys;
pub mod oidc;
pub mod passwords;
pub mod registration;
pub mod resource;
pub mod scopes;
pub mod tokens;

pub use tokens::{Caller, Issued, TokenError, TokenSettings, Tokens};

/// Current Unix time in seconds.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// SHA-256 (lower-case hex) of `secret`: how codes, refresh tokens and
/// other one-time secrets are stored, so that the table never holds a
/// usable one.
pub fn sha256_hex(secret: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

/// `bytes` random bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut buf);
    hex::encode(buf)
}

/// The issuer identifier of a server that listens at `listen`: its public
/// URL (`SLUICE_PUBLIC_URL`) when set, else `http(s)://<address>:<port>`,
/// where an unspecified address (`0.0.0.0`, `::`) reads as `localhost`.
/// RFC 8414 §2 and OpenID Connect Discovery §3 want it to be the URL
/// clients reach the server at, without a query or fragment.
pub fn issuer_at(public_url: Option<&str>, listen: std::net::SocketAddr, tls: bool) -> String {
    if let Some(url) = public_url {
        return url.trim_end_matches('/').to_string();
    }
    let scheme = if tls { "https" } else { "http" };
    let host = match listen.ip() {
        ip if ip.is_unspecified() => "localhost".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    format!("{scheme}://{host}:{}", listen.port())
}

/// The control-plane setting holding the issuer the last server started
/// with, which `sluice token` and the worker use when not told one.
const ISSUER_SETTING: &str = "token_issuer";

/// The issuer to use, recorded in the control plane for the commands that
/// cannot know the server's address (`sluice token`, `sluice worker`):
/// `settings.issuer` when configured; else, on a shared (PostgreSQL)
/// control plane, the one a node recorded first, so that nodes listening
/// at different addresses without `SLUICE_PUBLIC_URL` still accept each
/// other's tokens; else the one derived from this server's address; else
/// (a command serving nothing) the recorded one.
///
/// # Errors
/// When none of them is known (`SLUICE_TOKEN_ISSUER` says what to use
/// then), or the database fails.
pub async fn settle_issuer(db: &sqlx::AnyPool, settings: &TokenSettings) -> anyhow::Result<String> {
    let recorded = crate::store::settings::get(db, ISSUER_SETTING).await?;
    let shared = crate::store::dialect(db) == crate::store::Dialect::Postgres;
    let issuer = match (&settings.derived_issuer, recorded.clone()) {
        _ if !settings.issuer.is_empty() => settings.issuer.clone(),
        (_, Some(recorded)) if shared => recorded,
        // Nodes starting together: the first to write wins for all.
        (Some(derived), None) if shared => {
            return Ok(crate::store::settings::set_if_absent(db, ISSUER_SETTING, derived).await?);
        }
        (Some(derived), _) => derived.clone(),
        (None, Some(recorded)) => recorded,
        (None, None) => anyhow::bail!(
            "no server has started on this control plane yet, so the token issuer is not \
             known: start `sluice serve` once, or set SLUICE_TOKEN_ISSUER"
        ),
    };
    if recorded.as_deref() != Some(issuer.as_str()) {
        crate::store::settings::set(db, ISSUER_SETTING, &issuer).await?;
    }
    Ok(issuer)
}

/// Whether `issuer` is an `http(s)` URL, as RFC 8414 §2 wants; an earlier
/// version's `sluice` is not, and the discovery documents then build their
/// URLs from the request instead.
pub fn is_url(issuer: &str) -> bool {
    issuer.starts_with("https://") || issuer.starts_with("http://")
}

/// Path of the protected resource's metadata (RFC 9728 §3).
pub const PROTECTED_RESOURCE_METADATA: &str = "/.well-known/oauth-protected-resource";

/// The URL of the protected resource's metadata, for the
/// `resource_metadata` parameter of a bearer challenge (RFC 9728 §5.1);
/// `None` when `issuer` is not an `http(s)` URL.
pub fn resource_metadata_url(issuer: &str) -> Option<String> {
    is_url(issuer).then(|| {
        format!(
            "{}{PROTECTED_RESOURCE_METADATA}",
            issuer.trim_end_matches('/')
        )
    })
}
