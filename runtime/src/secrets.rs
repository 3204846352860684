//! Encryption at rest for connection configs: XChaCha20-Poly1305 (RustCrypto
//! `chacha20poly1305`, RFC 8439 with the extended 24-byte nonce) under one
//! 32-byte platform key.
//!
//! The key comes from `SLUICE_SECRET_KEY` (64 hex characters) or, when that
//! is unset, from `<data dir>/secret.key`, generated on first start with mode
//! 0600. Losing the key makes stored connection configs unreadable.

use std::path::Path;

use anyhow::{Context, bail};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// Bytes of the nonce stored in front of each ciphertext.
const NONCE_BYTES: usize = 24;

/// Seals and opens secrets with the platform key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// A box with the 32-byte `key`.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }

    /// The key from `configured` (hex) or from `<data_dir>/secret.key`,
    /// generating the file (mode 0600) if missing.
    ///
    /// # Errors
    /// When the configured key is not 64 hex characters, or the key file
    /// cannot be read, created or is malformed.
    pub fn load(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        let key = load_key(
            configured,
            "SLUICE_SECRET_KEY",
            &data_dir.join("secret.key"),
        )?;
        Ok(Self::new(&key))
    }

    /// Encrypts `plaintext`, binding it to `context` (e.g. the connection
    /// name) so a sealed value cannot be moved to another row.
    /// Output: 24-byte random nonce ‖ ciphertext ‖ 16-byte tag.
    ///
    /// # Errors
    /// Only if the AEAD fails, which it does not for inputs under 256 GiB.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> anyhow::Result<Vec<u8>> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`SecretBox::seal`] produced for the same `context`.
    ///
    /// # Errors
    /// When the data was sealed under another key or context, or altered.
    pub fn open(&self, context: &str, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        if sealed.len() < NONCE_BYTES {
            bail!("sealed value is too short");
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| anyhow::anyhow!("cannot decrypt the stored config of {context:?}: wrong secret key or altered data"))
    }
}

/// A 32-byte key from `configured` (64 hex characters, named `env` in
/// errors), else from the file `path`, else generated into `path` (mode
/// 0600, create-new so two starts never overwrite each other's key).
///
/// # Errors
/// When the configured key or the file's content is not 64 hex characters,
/// or the file cannot be read or created.
pub fn load_key(configured: Option<&str>, env: &str, path: &Path) -> anyhow::Result<[u8; 32]> {
    if let Some(hex_key) = configured {
        return parse_key(hex_key.trim()).context(env.to_string());
    }
    if path.exists() {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return parse_key(text.trim()).with_context(|| path.display().to_string());
    }
    let key: [u8; 32] = XChaCha20Poly1305::generate_key(&mut OsRng).into();
    create_private(path, hex::encode(key).as_bytes())?;
    tracing::info!(path = %path.display(), "generated a key");
    Ok(key)
}

fn parse_key(hex_key: &str) -> anyhow::Result<[u8; 32]> {
    let mut key = [0u8; 32];
    hex::decode_to_slice(hex_key, &mut key)
        .map_err(|_| anyhow::anyhow!("the secret key must be 64 hex characters (32 bytes)"))?;
    Ok(key)
}

/// Writes `contents` to `path` readable by its owner only (0600 on Unix),
/// replacing the file whole: a temporary file beside it is renamed over it.
///
/// # Errors
/// When the directory is not writable.
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    create_private(&tmp, contents)?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))
}

/// Creates `path` (never replacing one: two processes generating a key at
/// once must not both win) readable by its owner only, with `contents`.
fn create_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_context() {
        let secret_box = SecretBox::new(&[7; 32]);
        let sealed = secret_box.seal("db", b"password=hunter2").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(secret_box.open("db", &sealed).unwrap(), b"password=hunter2");
        assert!(secret_box.open("other", &sealed).is_err());
        assert!(SecretBox::new(&[8; 32]).open("db", &sealed).is_err());
    }
}
