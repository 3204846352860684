//! Outside identity providers, the identities linked to accounts, and the
//! sign-ins under way (see the migration `identity_providers`). Times of
//! logins and handoffs are Unix seconds.

use sqlx::AnyExecutor;

use crate::store::Json;

/// One row of `identity_providers`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProviderRow {
    /// Unique name, 1-64 letters, digits, `_`, `-`, `.`; part of the
    /// callback URL.
    pub name: String,
    /// `oidc` (discovery from `issuer`) or `oauth2` (explicit endpoints and
    /// a user endpoint).
    pub kind: String,
    /// The button's text: "Sign in with {label}".
    pub label: String,
    /// `portal` (consumers) or `console` (administrators).
    pub audience: String,
    /// The OpenID Provider's issuer identifier (`oidc`).
    pub issuer: Option<String>,
    /// The authorization endpoint (`oauth2`).
    pub authorization_endpoint: Option<String>,
    /// The token endpoint (`oauth2`).
    pub token_endpoint: Option<String>,
    /// The endpoint that answers who the token is for, as JSON (`oauth2`).
    pub userinfo_endpoint: Option<String>,
    /// Sluice's client id at the provider.
    pub client_id: String,
    /// Sluice's client secret at the provider, sealed (context
    /// `identity-provider:<name>`).
    pub client_secret_sealed: Vec<u8>,
    /// Scopes asked of the provider.
    pub scopes: Json<Vec<String>>,
    /// `link` or `create`.
    pub accounts: String,
    /// Roles of a console account the provider creates.
    pub roles: Json<Vec<String>>,
    /// The email domains whose users may sign in (lower case); empty for
    /// any.
    pub email_domains: Json<Vec<String>>,
    /// The user endpoint's member that identifies the user (`oauth2`;
    /// `sub` for `oidc`).
    pub subject_claim: String,
    /// The member holding the email address.
    pub email_claim: String,
    /// The member holding the display name.
    pub name_claim: String,
    /// Whether an `oauth2` provider's email counts as verified when it
    /// says nothing (`email_verified` is read when present).
    #[sqlx(try_from = "crate::store::Flag")]
    pub trust_email: bool,
    /// Inactive providers are not offered and refuse sign-ins.
    #[sqlx(try_from = "crate::store::Flag")]
    pub active: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

/// Every provider, by name.
///
/// # Errors
/// On database failure.
pub async fn list<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<ProviderRow>> {
    sqlx::query_as("SELECT * FROM identity_providers ORDER BY name")
        .fetch_all(db)
        .await
}

/// The provider called `name`.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<ProviderRow>> {
    sqlx::query_as("SELECT * FROM identity_providers WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Inserts `row`, or replaces the provider with its name.
///
/// # Errors
/// On database failure.
pub async fn upsert<'e>(db: impl AnyExecutor<'e>, row: &ProviderRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO identity_providers (name, kind, label, audience, issuer,
             authorization_endpoint, token_endpoint, userinfo_endpoint, client_id,
             client_secret_sealed, scopes, accounts, roles, subject_claim, email_claim,
             name_claim, trust_email, active, created_at, updated_at, email_domains)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19, $20, $21)
         ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, label = excluded.label,
             audience = excluded.audience, issuer = excluded.issuer,
             authorization_endpoint = excluded.authorization_endpoint,
             token_endpoint = excluded.token_endpoint,
             userinfo_endpoint = excluded.userinfo_endpoint, client_id = excluded.client_id,
             client_secret_sealed = excluded.client_secret_sealed, scopes = excluded.scopes,
             accounts = excluded.accounts, roles = excluded.roles,
             subject_claim = excluded.subject_claim, email_claim = excluded.email_claim,
             name_claim = excluded.name_claim, trust_email = excluded.trust_email,
             active = excluded.active, updated_at = excluded.updated_at,
             email_domains = excluded.email_domains",
    )
    .bind(&row.name)
    .bind(&row.kind)
    .bind(&row.label)
    .bind(&row.audience)
    .bind(&row.issuer)
    .bind(&row.authorization_endpoint)
    .bind(&row.token_endpoint)
    .bind(&row.userinfo_endpoint)
    .bind(&row.client_id)
    .bind(&row.client_secret_sealed)
    .bind(&row.scopes)
    .bind(&row.accounts)
    .bind(&row.roles)
    .bind(&row.subject_claim)
    .bind(&row.email_claim)
    .bind(&row.name_claim)
    .bind(row.trust_email)
    .bind(row.active)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .bind(&row.email_domains)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes provider `name` (its links and sign-ins under way with it);
/// whether it existed.
///
/// # Errors
/// On database failure.
pub async fn delete<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("DELETE FROM identity_providers WHERE name = $1")
            .bind(name)
            .execute(db)
            .await?
            .rows_affected()
            == 1,
    )
}

/// The account identity `subject` at `provider` is linked to.
///
/// # Errors
/// On database failure.
pub async fn linked_user<'e>(
    db: impl AnyExecutor<'e>,
    provider: &str,
    subject: &str,
) -> sqlx::Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT user_id FROM external_identities WHERE provider = $1 AND subject = $2",
    )
    .bind(provider)
    .bind(subject)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// The identity at `provider` that account `user_id` is linked to, if any.
///
/// # Errors
/// On database failure.
pub async fn subject_of<'e>(
    db: impl AnyExecutor<'e>,
    provider: &str,
    user_id: &str,
) -> sqlx::Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT subject FROM external_identities WHERE provider = $1 AND user_id = $2",
    )
    .bind(provider)
    .bind(user_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(s,)| s))
}

/// Forgets every identity linked through `provider` (its issuer or user
/// endpoint changed: the same `sub` may be someone else there).
///
/// # Errors
/// On database failure.
pub async fn unlink_all<'e>(db: impl AnyExecutor<'e>, provider: &str) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM external_identities WHERE provider = $1")
            .bind(provider)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// Links identity `subject` at `provider` to account `user_id`.
///
/// # Errors
/// On database failure (a unique violation: linked meanwhile).
pub async fn link<'e>(
    db: impl AnyExecutor<'e>,
    provider: &str,
    subject: &str,
    user_id: &str,
    email: Option<&str>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO external_identities (provider, subject, user_id, email, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(provider)
    .bind(subject)
    .bind(user_id)
    .bind(email)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// One row of `provider_logins`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LoginRow {
    /// SHA-256 (hex) of the `state` sent to the provider.
    pub state_sha256: String,
    /// The provider's name.
    pub provider: String,
    /// The PKCE verifier (RFC 7636) of the code the provider will send.
    pub pkce_verifier: String,
    /// The OpenID Connect nonce the ID token must carry.
    pub nonce: String,
    /// The callback URL the authorization request named.
    pub redirect_uri: String,
    /// The page (a path under `/portal` or `/console`) to return to.
    pub return_to: String,
    /// SHA-256 of the cookie of the browser that started it.
    pub browser_sha256: String,
    /// When it stops working.
    pub expires_at: i64,
}

/// Stores a sign-in under way (and forgets those that expired).
///
/// # Errors
/// On database failure.
pub async fn start_login(
    conn: &mut sqlx::AnyConnection,
    row: &LoginRow,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM provider_logins WHERE expires_at < $1")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO provider_logins (state_sha256, provider, pkce_verifier, nonce, redirect_uri,
             return_to, browser_sha256, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&row.state_sha256)
    .bind(&row.provider)
    .bind(&row.pkce_verifier)
    .bind(&row.nonce)
    .bind(&row.redirect_uri)
    .bind(&row.return_to)
    .bind(&row.browser_sha256)
    .bind(row.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Takes the sign-in whose state hashes to `hash`, started by the browser
/// whose cookie hashes to `browser` (it works once; another browser's
/// attempt leaves it).
///
/// # Errors
/// On database failure.
pub async fn take_login(
    conn: &mut sqlx::AnyConnection,
    hash: &str,
    browser: &str,
) -> sqlx::Result<Option<LoginRow>> {
    let row: Option<LoginRow> = sqlx::query_as(
        "SELECT * FROM provider_logins WHERE state_sha256 = $1 AND browser_sha256 = $2",
    )
    .bind(hash)
    .bind(browser)
    .fetch_optional(&mut *conn)
    .await?;
    if row.is_some() {
        let taken = sqlx::query("DELETE FROM provider_logins WHERE state_sha256 = $1")
            .bind(hash)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if taken != 1 {
            return Ok(None);
        }
    }
    Ok(row)
}

/// Stores a handoff code (by its SHA-256) for `user_id`, to be exchanged
/// by the browser whose cookie hashes to `browser`.
///
/// # Errors
/// On database failure.
pub async fn add_handoff<'e>(
    db: impl AnyExecutor<'e>,
    hash: &str,
    user_id: &str,
    browser: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO provider_handoffs (code_sha256, user_id, browser_sha256, expires_at, used_at)
         VALUES ($1, $2, $3, $4, NULL)",
    )
    .bind(hash)
    .bind(user_id)
    .bind(browser)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Spends the live handoff code that hashes to `hash`, presented by the
/// browser whose cookie hashes to `browser`: the user it signs in, once.
///
/// # Errors
/// On database failure.
pub async fn spend_handoff(
    conn: &mut sqlx::AnyConnection,
    hash: &str,
    browser: &str,
    now: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query("DELETE FROM provider_handoffs WHERE expires_at < $1")
        .bind(now - 86_400)
        .execute(&mut *conn)
        .await?;
    let spent = sqlx::query(
        "UPDATE provider_handoffs SET used_at = $1
         WHERE code_sha256 = $2 AND browser_sha256 = $3 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(hash)
    .bind(browser)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if spent != 1 {
        return Ok(None);
    }
    let row: Option<(String,)> =
        sqlx::query_as("SELECT user_id FROM provider_handoffs WHERE code_sha256 = $1")
            .bind(hash)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|(id,)| id))
}
