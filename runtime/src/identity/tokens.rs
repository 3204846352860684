//! Access tokens: JWTs (RFC 7519) in the RFC 9068 profile (`typ: at+jwt`,
//! claims `iss`, `aud`, `sub`, `exp`, `iat`, `jti`, `client_id`, `scope`),
//! signed with the control plane's Ed25519 keys (`kid` in the header,
//! public keys at `/authorization/jwks`) or, by opt-in, with HS256 under a
//! shared secret ([`super::keys`]). Refresh tokens are opaque random
//! strings kept as SHA-256. Revocations live in the control plane; each
//! node keeps the live ones in memory (swapped whole, so checks never lock)
//! and polls for new ones every [`REVOCATION_POLL`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::store::Json;
use arc_swap::ArcSwap;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Header, Validation};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;

use super::keys::{self, KeyInfo, KeySet, TokenAlgorithm};
use super::{random_hex, unix_now};
use crate::secrets::SecretBox;
use crate::store::apps::AppRow;
use crate::store::sessions::{self, SessionRow};
use crate::store::users::UserRow;

/// How often a node reads revocations made by other nodes.
pub const REVOCATION_POLL: Duration = Duration::from_secs(2);

/// The `typ` header of access tokens, RFC 9068 §2.1.
const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Verified tokens remembered, so a client's repeated token skips the
/// signature check; expiry and revocation are still checked on every use.
const VERIFIED_CACHE_TOKENS: u64 = 10_000;

/// How often a node checks whether its signing key is due for rotation.
const ROTATION_CHECK: Duration = Duration::from_secs(600);

/// Lifetimes and names of issued tokens, and how they are signed.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// `iss` and `aud` of every token, and the issuer identifier of the
    /// authorization server's metadata (RFC 8414 §2: an `https` URL in
    /// production), as configured (`SLUICE_TOKEN_ISSUER`); empty: settled
    /// at start by [`super::settle_issuer`].
    pub issuer: String,
    /// The issuer derived from where this server listens
    /// ([`super::issuer_at`]: `SLUICE_PUBLIC_URL`, else its address), set
    /// when it binds; `None` for commands that serve nothing.
    pub derived_issuer: Option<String>,
    /// Access-token lifetime in seconds (`SLUICE_ACCESS_TOKEN_TTL`, default 3600).
    pub access_ttl_secs: i64,
    /// Refresh-token (session) lifetime in seconds
    /// (`SLUICE_REFRESH_TOKEN_TTL`, default 30 days).
    pub refresh_ttl_secs: i64,
    /// How tokens are signed (`SLUICE_TOKEN_ALGORITHM`, default `EdDSA`).
    pub algorithm: TokenAlgorithm,
    /// The HS256 key as 64 hex characters (`SLUICE_JWT_KEY`), used only
    /// with [`TokenAlgorithm::Hs256`]; `None` uses `<data dir>/jwt.key`,
    /// generated (mode 0600) on first start.
    pub key: Option<String>,
    /// Days a signing key signs before a new one replaces it
    /// (`SLUICE_SIGNING_KEY_ROTATION_DAYS`, default 90; 0: only when an
    /// admin rotates it).
    pub key_rotation_days: u32,
    /// Seconds a replaced key keeps verifying the tokens it signed
    /// (`SLUICE_SIGNING_KEY_OVERLAP`, default 366 days: the longest
    /// personal access token lives 365; never less than the access-token
    /// lifetime). A token made with `sluice token --ttl` longer than this
    /// stops verifying this long after a rotation.
    pub key_overlap_secs: i64,
}

impl TokenSettings {
    /// How long a retired key keeps verifying: the overlap, and at least
    /// the access-token lifetime, so that no token of ours outlives its key.
    pub fn overlap_secs(&self) -> i64 {
        self.key_overlap_secs.max(self.access_ttl_secs) + 60
    }
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            derived_issuer: None,
            access_ttl_secs: 3600,
            refresh_ttl_secs: 30 * 24 * 3600,
            algorithm: TokenAlgorithm::EdDsa,
            key: None,
            key_rotation_days: 90,
            key_overlap_secs: 366 * 86_400,
        }
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience: the issuer (the whole API), or the RFC 8707 resource
    /// under it the token is bound to.
    pub aud: String,
    /// The user's id, or the app's client id for `client_credentials`.
    pub sub: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Token id.
    pub jti: String,
    /// Session id (the grant this token belongs to).
    pub sid: String,
    /// Granted scopes, space-separated (RFC 8693 §4.2).
    pub scope: String,
    /// The app's client id, when an app obtained it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The app's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// The user's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// A verified caller.
#[derive(Debug, Clone, Serialize)]
pub struct Caller {
    /// `sub` of the token.
    pub sub: String,
    /// App name, when an app obtained the token.
    pub app: Option<String>,
    /// The app's client id.
    pub client_id: Option<String>,
    /// User name, when the token acts for a user.
    pub user: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Token id.
    pub jti: String,
    /// Session id.
    pub sid: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// The RFC 8707 resource the token is bound to (a URL under the
    /// issuer); `None` for a token for the whole API. A bound token works
    /// only on the hosted operations under it
    /// ([`crate::identity::resource::covers`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
}

impl Caller {
    /// Whether the token holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Why a bearer token is refused (each answers 401 `invalid_token`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a JWT at all.
    #[error("the bearer token is malformed")]
    Malformed,
    /// Signed with another key or altered.
    #[error("the bearer token's signature is not valid")]
    BadSignature,
    /// Past its `exp`.
    #[error("the bearer token has expired; obtain a new one")]
    Expired,
    /// Revoked (RFC 7009), or its user or app was deactivated or deleted.
    #[error("the bearer token has been revoked")]
    Revoked,
    /// Signed by a key this server does not have (never had, or deleted).
    #[error("the bearer token was signed with a key that is not in use here")]
    UnknownKey,
    /// Wrong issuer, audience, type or algorithm.
    #[error("the bearer token was not issued by this platform: {0}")]
    Foreign(&'static str),
    /// Bound to an RFC 8707 resource that does not cover this request.
    #[error(
        "the bearer token is bound to resource {0} (RFC 8707) and is not valid here; request a \
         token for this resource, or one without a resource parameter"
    )]
    OtherResource(String),
}

/// Why a rotation was refused.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// Tokens are signed with the HS256 secret, which is not rotated here.
    #[error(
        "tokens are signed with a shared HS256 secret (SLUICE_TOKEN_ALGORITHM=HS256): replace \
         SLUICE_JWT_KEY to change it, or switch to EdDSA"
    )]
    SharedSecret,
    /// The control plane failed.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// A token response's content (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize)]
pub struct Issued {
    /// The JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// A refresh token, for grants that get one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// The OpenID Connect ID token, when the grant asked for `openid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// Who a token is for.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The app, if an app obtains it.
    pub app: Option<&'a AppRow>,
    /// The user, if it acts for one.
    pub user: Option<&'a UserRow>,
}

/// Issues and verifies tokens; one per process.
pub struct Tokens {
    settings: TokenSettings,
    keys: ArcSwap<KeySet>,
    /// Woken by a token naming a key this node does not know, which may be
    /// one another node has just made: the keys are read again (at most
    /// once a second, see [`Tokens::spawn_sync`]).
    key_miss: tokio::sync::Notify,
    secrets: SecretBox,
    validation: Validation,
    db: AnyPool,
    revoked: ArcSwap<HashMap<String, i64>>,
    /// This node's id, the origin of the revocations it announces.
    node_id: String,
    verified: moka::sync::Cache<String, Arc<Caller>>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("settings.issuer", &self.settings.issuer)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// Loads the signing keys (making the first Ed25519 key on a fresh
    /// control plane, or reading the HS256 secret) and the live revocations.
    ///
    /// # Errors
    /// When a key cannot be read, made or unsealed, or the database fails.
    pub async fn load(
        settings: TokenSettings,
        data_dir: &Path,
        db: AnyPool,
        node_id: String,
        secrets: SecretBox,
    ) -> anyhow::Result<Arc<Self>> {
        let key_set = match settings.algorithm {
            TokenAlgorithm::Hs256 => KeySet::shared_secret(&crate::secrets::load_key(
                settings.key.as_deref(),
                "SLUICE_JWT_KEY",
                &data_dir.join("jwt.key"),
            )?),
            TokenAlgorithm::EdDsa => {
                KeySet::from_rows(&keys::load_or_create(&db, &secrets).await?, &secrets)?
            }
        };
        let mut validation = Validation::new(key_set.signer.algorithm);
        validation.leeway = 0;
        validation.set_issuer(&[&settings.issuer]);
        // The audience is the issuer or a resource under it (RFC 8707),
        // which `decode` checks: jsonwebtoken compares with a fixed set.
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let tokens = Arc::new(Self {
            keys: ArcSwap::from_pointee(key_set),
            key_miss: tokio::sync::Notify::new(),
            secrets,
            validation,
            settings,
            db,
            node_id,
            revoked: ArcSwap::default(),
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_CACHE_TOKENS)
                .time_to_live(Duration::from_secs(300))
                .build(),
        });
        tokens.sync_revocations(0).await?;
        Ok(tokens)
    }

    /// Reads the signing keys again (after a rotation or a deletion on any
    /// node); tokens verified before are checked again on next use, so a
    /// deleted key's tokens are refused at once. Does nothing under HS256.
    ///
    /// # Errors
    /// When the database fails or a key cannot be unsealed.
    pub async fn reload_keys(&self) -> anyhow::Result<()> {
        if self.settings.algorithm == TokenAlgorithm::Hs256 {
            return Ok(());
        }
        let rows = keys::load_or_create(&self.db, &self.secrets).await?;
        self.keys
            .store(Arc::new(KeySet::from_rows(&rows, &self.secrets)?));
        self.verified.invalidate_all();
        Ok(())
    }

    /// The JWS algorithm new tokens are signed with: `EdDSA` or `HS256`.
    pub fn keys_algorithm(&self) -> &'static str {
        match self.settings.algorithm {
            TokenAlgorithm::EdDsa => "EdDSA",
            TokenAlgorithm::Hs256 => "HS256",
        }
    }

    /// Whether ID tokens can be offered: a relying party verifies them
    /// with the published keys, which HS256 (a secret only Sluice holds)
    /// has none of (OpenID Connect Core §10.1 would key HS256 with each
    /// client's secret, which Sluice keeps only as a hash).
    pub fn offers_openid(&self) -> bool {
        self.settings.algorithm == TokenAlgorithm::EdDsa
    }

    /// The published public keys (RFC 7517 §5), empty under HS256.
    pub fn jwks(&self) -> jsonwebtoken::jwk::JwkSet {
        self.keys.load().jwks.clone()
    }

    /// The signing keys' states, oldest first (empty under HS256).
    pub fn key_infos(&self) -> Vec<KeyInfo> {
        self.keys.load().keys.clone()
    }

    /// Makes a new signing key and retires the current one (it verifies for
    /// [`TokenSettings::overlap_secs`] more), on this node at once; the
    /// caller announces the change to the others. With `only_if_signing`,
    /// only while that key still signs (see [`keys::rotate`]).
    ///
    /// # Errors
    /// [`RotateError::SharedSecret`] under HS256; database failures.
    pub async fn rotate_keys(
        &self,
        only_if_signing: Option<&str>,
    ) -> Result<Option<KeyInfo>, RotateError> {
        if self.settings.algorithm == TokenAlgorithm::Hs256 {
            return Err(RotateError::SharedSecret);
        }
        let made = keys::rotate(
            &self.db,
            &self.secrets,
            self.settings.overlap_secs(),
            only_if_signing,
        )
        .await?;
        self.reload_keys().await?;
        Ok(made.map(|row| {
            self.key_infos()
                .into_iter()
                .find(|k| k.kid == row.kid)
                .expect("the key just made is live")
        }))
    }

    /// Rotates the signing key when it has signed for
    /// `SLUICE_SIGNING_KEY_ROTATION_DAYS`, and announces it; one node of a
    /// cluster rotates, the others find the key replaced and do nothing.
    ///
    /// # Errors
    /// On database failure.
    pub async fn rotate_if_due(&self) -> anyhow::Result<()> {
        let days = i64::from(self.settings.key_rotation_days);
        let (kid, since) = {
            let keys = self.keys.load();
            (keys.signer.kid.clone(), keys.signer.created_at)
        };
        let Some(kid) = kid else { return Ok(()) };
        if days == 0 || unix_now() < since + days * 86_400 {
            return Ok(());
        }
        match self.rotate_keys(Some(&kid)).await {
            Ok(Some(_)) => {
                crate::cluster::announce(
                    &self.db,
                    &self.node_id,
                    &crate::cluster::Change::SigningKeys,
                )
                .await?;
            }
            Ok(None) => self.reload_keys().await?,
            Err(RotateError::SharedSecret) => {}
            Err(RotateError::Store(e)) => return Err(e),
        }
        Ok(())
    }

    /// The settings tokens are issued with.
    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    /// Verifies a bearer token for the platform's own APIs (admin,
    /// consumer, userinfo …): [`Self::verify_any`], and the token is for
    /// the whole API, not bound to a resource.
    ///
    /// # Errors
    /// [`TokenError`] saying why it is refused.
    pub fn verify(&self, token: &str) -> Result<Arc<Caller>, TokenError> {
        self.verify_at(token, None)
    }

    /// Verifies a bearer token presented at request path `path` (a hosted
    /// operation's; `None` for the platform's own APIs): [`Self::verify_any`],
    /// and a token bound to a resource (RFC 8707) only where it covers the
    /// path.
    ///
    /// # Errors
    /// [`TokenError`] saying why it is refused;
    /// [`TokenError::OtherResource`] for a resource elsewhere.
    pub fn verify_at(&self, token: &str, path: Option<&str>) -> Result<Arc<Caller>, TokenError> {
        let caller = self.verify_any(token)?;
        if let Some(audience) = &caller.audience
            && !path.is_some_and(|p| super::resource::covers(audience, &self.settings.issuer, p))
        {
            return Err(TokenError::OtherResource(audience.clone()));
        }
        Ok(caller)
    }

    /// Verifies a bearer token: signature, `typ`, issuer, audience (the
    /// issuer or a resource under it), expiry and revocation.
    ///
    /// # Errors
    /// [`TokenError`] saying why it is refused.
    pub fn verify_any(&self, token: &str) -> Result<Arc<Caller>, TokenError> {
        let caller = match self.verified.get(token) {
            Some(caller) => {
                if caller.exp <= unix_now() {
                    return Err(TokenError::Expired);
                }
                caller
            }
            None => {
                let caller = Arc::new(self.decode(token)?);
                self.verified.insert(token.to_string(), caller.clone());
                caller
            }
        };
        let revoked = self.revoked.load();
        if revoked.contains_key(&caller.jti) || revoked.contains_key(&caller.sid) {
            return Err(TokenError::Revoked);
        }
        Ok(caller)
    }

    /// Checks `token`'s signature with the key its `kid` names, and its
    /// claims with `validation`.
    fn decode_with(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<jsonwebtoken::TokenData<Claims>, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        let keys = self.keys.load();
        let Some((algorithm, key)) = keys.verifier(header.kid.as_deref()) else {
            return Err(match header.kid {
                Some(_) => {
                    self.key_miss.notify_one();
                    TokenError::UnknownKey
                }
                None => TokenError::Foreign("another algorithm"),
            });
        };
        if header.alg != *algorithm {
            return Err(TokenError::Foreign("another algorithm"));
        }
        jsonwebtoken::decode::<Claims>(token, key, validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::InvalidSignature => TokenError::BadSignature,
            ErrorKind::InvalidIssuer => TokenError::Foreign("another issuer"),
            ErrorKind::InvalidAudience => TokenError::Foreign("another audience"),
            ErrorKind::InvalidAlgorithm => TokenError::Foreign("another algorithm"),
            _ => TokenError::Malformed,
        })
    }

    fn decode(&self, token: &str) -> Result<Caller, TokenError> {
        let data = self.decode_with(token, &self.validation)?;
        if data.header.typ.as_deref() != Some(ACCESS_TOKEN_TYP) {
            return Err(TokenError::Foreign("not an access token (typ at+jwt)"));
        }
        let c = data.claims;
        // Nearly every token is for the issuer: no URL to parse then.
        let audience = if c.aud == self.settings.issuer {
            None
        } else {
            super::resource::audience(Some(&c.aud), &self.settings.issuer)
                .map_err(|_| TokenError::Foreign("another audience"))?
        };
        Ok(Caller {
            audience,
            sub: c.sub,
            app: c.app,
            client_id: c.client_id,
            user: c.user,
            scopes: c.scope.split_whitespace().map(str::to_string).collect(),
            jti: c.jti,
            sid: c.sid,
            iat: c.iat,
            exp: c.exp,
        })
    }

    /// Decodes a token of ours, checking the signature but not expiry or
    /// revocation (for revocation requests, RFC 7009).
    pub fn decode_unchecked_expiry(&self, token: &str) -> Option<Claims> {
        let mut validation = self.validation.clone();
        validation.validate_exp = false;
        self.decode_with(token, &validation).ok().map(|d| d.claims)
    }

    /// Signs `claims` as an OpenID Connect ID token (Core §2): a JWT of type
    /// `JWT` with the key that signs access tokens.
    ///
    /// # Errors
    /// Only if serialisation fails.
    pub fn sign_id_token(&self, claims: &serde_json::Value) -> anyhow::Result<String> {
        let keys = self.keys.load();
        let header = Header {
            typ: Some("JWT".into()),
            kid: keys.signer.kid.clone(),
            ..Header::new(keys.signer.algorithm)
        };
        Ok(jsonwebtoken::encode(&header, claims, &keys.signer.key)?)
    }

    /// The session (`sid`) of an access token of ours, expired or not.
    pub fn session_of(&self, token: &str) -> Option<String> {
        self.decode_unchecked_expiry(token).map(|c| c.sid)
    }

    /// Signs `claims` as an access token.
    ///
    /// # Errors
    /// Only if serialisation fails.
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let keys = self.keys.load();
        let header = Header {
            typ: Some(ACCESS_TOKEN_TYP.into()),
            kid: keys.signer.kid.clone(),
            ..Header::new(keys.signer.algorithm)
        };
        Ok(jsonwebtoken::encode(&header, claims, &keys.signer.key)?)
    }

    /// Opens a session for `subject` with `scopes` and issues its first
    /// access token, plus a refresh token when `refresh` is set. A session
    /// lives `refresh_ttl_secs` with a refresh token, else as long as its
    /// access token; `access_ttl_secs` overrides the access lifetime.
    ///
    /// # Errors
    /// On database failure.
    pub async fn issue(
        &self,
        subject: Subject<'_>,
        scopes: Vec<String>,
        refresh: bool,
        access_ttl_secs: Option<i64>,
    ) -> anyhow::Result<Issued> {
        self.issue_bound(subject, scopes, refresh, access_ttl_secs, None)
            .await
    }

    /// [`Self::issue`] for tokens bound to `audience`, an RFC 8707
    /// resource under the issuer (`None`: the whole API); the session's
    /// refreshed tokens keep it.
    ///
    /// # Errors
    /// On database failure.
    pub async fn issue_bound(
        &self,
        subject: Subject<'_>,
        scopes: Vec<String>,
        refresh: bool,
        access_ttl_secs: Option<i64>,
        audience: Option<String>,
    ) -> anyhow::Result<Issued> {
        let now = unix_now();
        let access_ttl = access_ttl_secs.unwrap_or(self.settings.access_ttl_secs);
        let session = SessionRow {
            id: uuid::Uuid::now_v7().to_string(),
            app_id: subject.app.map(|a| a.id.clone()),
            user_id: subject.user.map(|u| u.id.clone()),
            scopes: Json(scopes),
            audience,
            created_at: now,
            expires_at: now
                + if refresh {
                    self.settings.refresh_ttl_secs.max(access_ttl)
                } else {
                    access_ttl
                },
        };
        sessions::insert(&self.db, &session).await?;
        self.issue_in(subject, &session, &session.scopes.0, refresh, access_ttl)
            .await
    }

    /// Issues a new access token with `scopes` (the session's or fewer, RFC
    /// 6749 §6) and a refresh token when `refresh`, in an existing session;
    /// the access token never outlives the session.
    ///
    /// # Errors
    /// On database failure.
    pub async fn issue_in(
        &self,
        subject: Subject<'_>,
        session: &SessionRow,
        scopes: &[String],
        refresh: bool,
        access_ttl_secs: i64,
    ) -> anyhow::Result<Issued> {
        let now = unix_now();
        let exp = (now + access_ttl_secs).min(session.expires_at);
        let scope = scopes.join(" ");
        let claims = Claims {
            iss: self.settings.issuer.clone(),
            aud: session
                .audience
                .clone()
                .unwrap_or_else(|| self.settings.issuer.clone()),
            sub: match (subject.user, subject.app) {
                (Some(u), _) => u.id.clone(),
                (None, Some(a)) => a.client_id.clone(),
                (None, None) => String::new(),
            },
            exp,
            iat: now,
            jti: uuid::Uuid::now_v7().to_string(),
            sid: session.id.clone(),
            scope: scope.clone(),
            client_id: subject.app.map(|a| a.client_id.clone()),
            app: subject.app.map(|a| a.name.clone()),
            user: subject.user.map(|u| u.name.clone()),
        };
        let refresh_token = if refresh {
            let token = format!("rt_{}", random_hex(32));
            sessions::add_refresh(
                &self.db,
                &refresh_hash(&token),
                &session.id,
                session.expires_at,
            )
            .await?;
            Some(token)
        } else {
            None
        };
        Ok(Issued {
            access_token: self.sign(&claims)?,
            token_type: "Bearer",
            expires_in: exp - now,
            refresh_token,
            scope,
            id_token: None,
        })
    }

    /// Records a revocation of token or session `id` (until `expires_at`),
    /// applies it on this node at once and announces it to the others.
    ///
    /// # Errors
    /// On database failure.
    pub async fn revoke(&self, id: &str, expires_at: i64) -> anyhow::Result<()> {
        let now = unix_now();
        sessions::revoke(&self.db, id, expires_at, now).await?;
        self.note_revoked([(id.to_string(), expires_at)]);
        crate::cluster::announce(
            &self.db,
            &self.node_id,
            &crate::cluster::Change::Revocations,
        )
        .await?;
        Ok(())
    }

    /// Revokes every live session of a user or an app (deleted,
    /// deactivated), applies it on this node at once and announces it.
    ///
    /// # Errors
    /// On database failure.
    pub async fn revoke_all_of(
        &self,
        user_id: Option<&str>,
        app_id: Option<&str>,
    ) -> anyhow::Result<()> {
        let now = unix_now();
        let ids = sessions::revoke_all_of(&self.db, user_id, app_id, now).await?;
        self.sessions_revoked(ids, now).await
    }

    /// Revokes every live session app `app_id` holds for user `user_id`
    /// (a consent withdrawn), on this node at once, and announces it.
    ///
    /// # Errors
    /// On database failure.
    pub async fn revoke_user_app(&self, user_id: &str, app_id: &str) -> anyhow::Result<()> {
        let now = unix_now();
        let ids = sessions::revoke_of_user_and_app(&self.db, user_id, app_id, now).await?;
        self.sessions_revoked(ids, now).await
    }

    /// Applies the revocation of sessions `ids` (stored at `now`) on this
    /// node and announces it to the others.
    async fn sessions_revoked(&self, ids: Vec<String>, now: i64) -> anyhow::Result<()> {
        // A session's expiry bounds every token in it; the longest session
        // lifetime is a safe bound for the memory copy.
        let until = now
            + self
                .settings
                .refresh_ttl_secs
                .max(self.settings.access_ttl_secs);
        self.note_revoked(ids.into_iter().map(|id| (id, until)));
        crate::cluster::announce(
            &self.db,
            &self.node_id,
            &crate::cluster::Change::Revocations,
        )
        .await?;
        Ok(())
    }

    fn note_revoked(&self, ids: impl IntoIterator<Item = (String, i64)>) {
        let ids: Vec<(String, i64)> = ids.into_iter().collect();
        if ids.is_empty() {
            return;
        }
        let now = unix_now();
        self.revoked.rcu(|current| {
            let mut next: HashMap<String, i64> = current
                .iter()
                .filter(|(_, exp)| **exp > now)
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            next.extend(ids.iter().cloned());
            next
        });
    }

    /// Reads revocations recorded since `since` (Unix seconds) into memory.
    ///
    /// # Errors
    /// On database failure.
    pub async fn sync_revocations(&self, since: i64) -> anyhow::Result<()> {
        let found = sessions::revocations_since(&self.db, since, unix_now()).await?;
        self.note_revoked(found);
        Ok(())
    }

    /// Reads the revocations of the last seconds, when another node
    /// announced one (see `cluster`), without waiting for the next poll.
    ///
    /// # Errors
    /// On database failure.
    pub async fn sync_recent_revocations(&self) -> anyhow::Result<()> {
        self.sync_revocations(unix_now() - 10).await
    }

    /// Polls for revocations made by other nodes (and purges expired
    /// sessions, and rotates the signing key when due) until the process
    /// ends; reads the keys again when a token names an unknown one.
    pub fn spawn_sync(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(tokens) = weak.upgrade() else { return };
                // Bounded, so that a dropped server's tokens are freed.
                let missed =
                    tokio::time::timeout(Duration::from_secs(2), tokens.key_miss.notified()).await;
                if missed.is_ok() {
                    if let Err(e) = tokens.reload_keys().await {
                        tracing::warn!(error = %e, "reading the signing keys failed");
                    }
                    drop(tokens);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        });
        let tokens = Arc::downgrade(self);
        tokio::spawn(async move {
            // A key past its time (a node down when it was due) is replaced
            // at start rather than up to ROTATION_CHECK later.
            if let Some(tokens) = tokens.upgrade()
                && let Err(e) = tokens.rotate_if_due().await
            {
                tracing::warn!(error = %e, "rotating the token signing key failed");
            }
            let mut since = unix_now() - 1;
            let mut ticks: u64 = 0;
            loop {
                tokio::time::sleep(REVOCATION_POLL).await;
                let Some(tokens) = tokens.upgrade() else {
                    return;
                };
                let started = unix_now();
                // A second of overlap: rows written in the same second as
                // the last poll are read again rather than missed.
                if let Err(e) = tokens.sync_revocations(since - 1).await {
                    tracing::warn!(error = %e, "reading token revocations failed");
                    continue;
                }
                since = started;
                ticks += 1;
                if ticks.is_multiple_of(1800)
                    && let Err(e) = sessions::purge_expired(&tokens.db, started).await
                {
                    tracing::warn!(error = %e, "purging expired sessions failed");
                }
                if ticks.is_multiple_of(ROTATION_CHECK.as_secs() / REVOCATION_POLL.as_secs())
                    && let Err(e) = tokens.rotate_if_due().await
                {
                    tracing::warn!(error = %e, "rotating the token signing key failed");
                }
            }
        });
    }
}

/// SHA-256 (hex) under which a refresh token is stored.
pub fn refresh_hash(token: &str) -> String {
    super::sha256_hex(token)
}
