//! The keys that sign and verify tokens.
//!
//! By default (`SLUICE_TOKEN_ALGORITHM=EdDSA`) tokens are signed with
//! Ed25519 (RFC 8037) keys kept in the control plane, so that every node of
//! a cluster signs and verifies with the same ones, and anyone can verify a
//! token with the public halves published as a JWK Set (RFC 7517 §5) at
//! `/authorization/jwks`. Each key's id (`kid`) is its RFC 7638 thumbprint.
//! The private seeds are sealed with the platform key ([`SecretBox`]).
//!
//! Rotation: a new key starts signing; the one it replaces is retired — it
//! stays in the JWK Set and keeps verifying the tokens it signed until the
//! longest of them has expired (its `expires_at`), then it is deleted.
//! Deleting a retired key early refuses its tokens at once.
//!
//! `SLUICE_TOKEN_ALGORITHM=HS256` keeps the shared-secret signing of
//! earlier versions (`SLUICE_JWT_KEY` or `<data dir>/jwt.key`), for
//! deployments whose other services verify tokens with that secret; its
//! JWK Set is empty, since nothing public verifies such tokens.

use std::collections::HashMap;

use anyhow::Context;
use base64::Engine as _;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse, ThumbprintHash,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde::Serialize;
use sqlx::AnyPool;

use super::unix_now;
use crate::secrets::SecretBox;
use crate::store::signing_keys::{self, SigningKeyRow};

/// How tokens are signed (`SLUICE_TOKEN_ALGORITHM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TokenAlgorithm {
    /// Ed25519 keys in the control plane, published at the JWKS endpoint
    /// (RFC 8037). The default.
    #[default]
    #[value(name = "EdDSA")]
    EdDsa,
    /// HMAC-SHA256 under one shared secret (RFC 7518 §3.2), verifiable only
    /// by holders of the secret; an opt-in for existing deployments.
    #[value(name = "HS256")]
    Hs256,
}

/// A key's state, as `/admin/signing-keys` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// The key id tokens name in their `kid` header.
    pub kid: String,
    /// `EdDSA`.
    pub algorithm: String,
    /// `signing` (the key new tokens get) or `retired` (verifies until
    /// `expires_at`).
    pub status: &'static str,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time it stopped signing.
    pub retired_at: Option<String>,
    /// RFC 3339 time it stops verifying and is deleted.
    pub expires_at: Option<String>,
}

impl KeyInfo {
    fn of(row: &SigningKeyRow) -> Self {
        let time = |secs: i64| crate::store::ms_to_rfc3339(secs * 1000);
        Self {
            kid: row.kid.clone(),
            algorithm: row.algorithm.clone(),
            status: if row.retired_at.is_some() {
                "retired"
            } else {
                "signing"
            },
            created_at: time(row.created_at),
            retired_at: row.retired_at.map(time),
            expires_at: row.expires_at.map(time),
        }
    }
}

/// The key that signs new tokens.
pub struct Signer {
    /// Its `kid`; `None` for the HS256 secret.
    pub kid: Option<String>,
    /// Its JWS algorithm.
    pub algorithm: Algorithm,
    /// The key.
    pub key: EncodingKey,
    /// When the key was made, Unix seconds (0 for the HS256 secret).
    pub created_at: i64,
}

/// Every key in use on this node: the signer, the verifiers by `kid` (the
/// HS256 secret under `""`), and the JWK Set published.
pub struct KeySet {
    /// Signs new tokens.
    pub signer: Signer,
    verifiers: HashMap<String, (Algorithm, DecodingKey)>,
    /// The public keys, as `/authorization/jwks` serves them.
    pub jwks: JwkSet,
    /// The keys' states, oldest first; empty under HS256.
    pub keys: Vec<KeyInfo>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("signer", &self.signer.kid)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl KeySet {
    /// The HS256 set: `secret` signs and verifies; nothing is published.
    pub fn shared_secret(secret: &[u8; 32]) -> Self {
        Self {
            signer: Signer {
                kid: None,
                algorithm: Algorithm::HS256,
                key: EncodingKey::from_secret(secret),
                created_at: 0,
            },
            verifiers: HashMap::from([(
                String::new(),
                (Algorithm::HS256, DecodingKey::from_secret(secret)),
            )]),
            jwks: JwkSet { keys: Vec::new() },
            keys: Vec::new(),
        }
    }

    /// The set made of `rows` (live keys, oldest first): the newest key not
    /// retired signs, every one verifies.
    ///
    /// # Errors
    /// When no row may sign, or a seed cannot be unsealed (another
    /// `SLUICE_SECRET_KEY` than the one that sealed it) or is malformed.
    pub fn from_rows(rows: &[SigningKeyRow], secrets: &SecretBox) -> anyhow::Result<Self> {
        let signing = rows
            .iter()
            .filter(|r| r.retired_at.is_none())
            .max_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)))
            .context("no signing key is live")?;
        let seed = secrets
            .open(&seal_context(&signing.kid), &signing.seed_sealed)
            .with_context(|| {
                format!(
                    "unsealing signing key {}: is SLUICE_SECRET_KEY the one it was made with?",
                    signing.kid
                )
            })?;
        let seed: [u8; 32] = seed
            .as_slice()
            .try_into()
            .context("a signing key's seed is not 32 bytes")?;
        let der = ed25519_dalek::SigningKey::from_bytes(&seed)
            .to_pkcs8_der()
            .context("encoding a signing key")?;
        let mut verifiers = HashMap::new();
        let mut jwks = Vec::new();
        for row in rows {
            verifiers.insert(
                row.kid.clone(),
                (
                    Algorithm::EdDSA,
                    DecodingKey::from_ed_components(&row.public_key)
                        .with_context(|| format!("signing key {}'s public key", row.kid))?,
                ),
            );
            jwks.push(public_jwk(&row.public_key, Some(row.kid.clone())));
        }
        Ok(Self {
            signer: Signer {
                kid: Some(signing.kid.clone()),
                algorithm: Algorithm::EdDSA,
                key: EncodingKey::from_ed_der(der.as_bytes()),
                created_at: signing.created_at,
            },
            verifiers,
            jwks: JwkSet { keys: jwks },
            keys: rows.iter().map(KeyInfo::of).collect(),
        })
    }

    /// The key that verifies a token with header `kid` (`None` matches only
    /// the HS256 secret).
    pub fn verifier(&self, kid: Option<&str>) -> Option<&(Algorithm, DecodingKey)> {
        self.verifiers.get(kid.unwrap_or(""))
    }
}

/// The JWK of an Ed25519 public key `x` (base64url): `kty` `OKP`, `crv`
/// `Ed25519` (RFC 8037 §2), `use` `sig`, `alg` `EdDSA`, and `kid`.
fn public_jwk(x: &str, kid: Option<String>) -> Jwk {
    Jwk {
        common: CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(KeyAlgorithm::EdDSA),
            key_id: kid,
            ..CommonParameters::default()
        },
        algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
            key_type: OctetKeyPairType::OctetKeyPair,
            curve: EllipticCurve::Ed25519,
            x: x.to_string(),
        }),
    }
}

/// The context a seed is sealed under: a sealed seed moved to another row
/// does not open.
fn seal_context(kid: &str) -> String {
    format!("signing-key:{kid}")
}

/// A new Ed25519 key (from the OS's random source), its seed sealed; it
/// signs from `now`.
///
/// # Errors
/// Only if sealing fails.
pub fn generate(secrets: &SecretBox, now: i64) -> anyhow::Result<SigningKeyRow> {
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut seed);
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes());
    let kid = public_jwk(&x, None).thumbprint(ThumbprintHash::SHA256);
    Ok(SigningKeyRow {
        seed_sealed: secrets.seal(&seal_context(&kid), &seed)?,
        kid,
        algorithm: "EdDSA".into(),
        public_key: x,
        created_at: now,
        retired_at: None,
        expires_at: None,
    })
}

/// Serialises writers of `signing_keys` across a cluster for the rest of
/// the transaction (PostgreSQL); SQLite's single writer needs nothing.
async fn lock(db: &AnyPool, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> sqlx::Result<()> {
    if crate::store::dialect(db) == crate::store::Dialect::Postgres {
        sqlx::query("LOCK TABLE signing_keys IN EXCLUSIVE MODE")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The live keys, after making the first one when none signs (a fresh
/// control plane, or every key deleted). Nodes starting together make one
/// key between them: the check and the insert hold the table's lock.
///
/// # Errors
/// On database failure.
pub async fn load_or_create(
    db: &AnyPool,
    secrets: &SecretBox,
) -> anyhow::Result<Vec<SigningKeyRow>> {
    let now = unix_now();
    let rows = signing_keys::live(db, now).await?;
    if rows.iter().any(|r| r.retired_at.is_none()) {
        return Ok(rows);
    }
    let mut tx = db.begin().await?;
    lock(db, &mut tx).await?;
    let rows = signing_keys::live(&mut *tx, now).await?;
    if !rows.iter().any(|r| r.retired_at.is_none()) {
        let row = generate(secrets, now)?;
        signing_keys::insert(&mut *tx, &row).await?;
        tracing::info!(kid = %row.kid, "made the first token signing key");
    }
    tx.commit().await?;
    Ok(signing_keys::live(db, now).await?)
}

/// Makes a new signing key and retires the one signing now, which keeps
/// verifying for `overlap_secs` (the longest lifetime of a token it may
/// have signed). With `only_if_signing`, rotates only while that key still
/// signs — so that nodes rotating on a schedule rotate once between them.
/// Deletes keys past their expiry on the way. Returns the new key, or
/// `None` when `only_if_signing` no longer signs.
///
/// # Errors
/// On database failure.
pub async fn rotate(
    db: &AnyPool,
    secrets: &SecretBox,
    overlap_secs: i64,
    only_if_signing: Option<&str>,
) -> anyhow::Result<Option<SigningKeyRow>> {
    let now = unix_now();
    let mut tx = db.begin().await?;
    lock(db, &mut tx).await?;
    if let Some(kid) = only_if_signing {
        let still_signs = signing_keys::get(&mut *tx, kid)
            .await?
            .is_some_and(|r| r.retired_at.is_none());
        if !still_signs {
            return Ok(None);
        }
    }
    signing_keys::delete_expired(&mut *tx, now).await?;
    let row = generate(secrets, now)?;
    signing_keys::insert(&mut *tx, &row).await?;
    signing_keys::retire_signing(&mut *tx, &row.kid, now, now + overlap_secs).await?;
    tx.commit().await?;
    tracing::info!(kid = %row.kid, "token signing key rotated");
    Ok(Some(row))
}
