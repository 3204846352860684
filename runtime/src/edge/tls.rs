//! TLS (rustls) for `sluice serve --tls-cert FILE --tls-key FILE`: HTTP/2
//! and HTTP/1.1 offered by ALPN (RFC 7301), the certificate read again on
//! SIGHUP or when either file changes — new handshakes use the new one,
//! connections already open keep theirs — and plain HTTP on the same port
//! redirected to `https://` or refused.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use arc_swap::ArcSwap;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// What a plain-HTTP request on the TLS port gets
/// (`SLUICE_TLS_PLAIN_HTTP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlainHttp {
    /// 308 Permanent Redirect to the same path over `https://` (default).
    Redirect,
    /// 400 problem saying the port speaks HTTPS.
    Refuse,
}

/// TLS settings (`--tls-cert`, `--tls-key`, `SLUICE_TLS_*`).
#[derive(Debug, Clone)]
pub struct TlsSettings {
    /// PEM file with the certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM file with the private key (PKCS #8, PKCS #1 or SEC1).
    pub key: PathBuf,
    /// What plain HTTP on the port gets.
    pub plain_http: PlainHttp,
}

/// The server's certificate, swapped whole when its files change.
pub struct Certificates {
    current: ArcSwap<CertifiedKey>,
    settings: TlsSettings,
    provider: Arc<CryptoProvider>,
}

impl std::fmt::Debug for Certificates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificates")
            .field("cert", &self.settings.cert)
            .finish_non_exhaustive()
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

impl Certificates {
    /// Reads the certificate and key named by `settings`.
    ///
    /// # Errors
    /// A file that cannot be read, holds no certificate or key, or a key
    /// that does not match the certificate.
    pub fn load(settings: TlsSettings) -> anyhow::Result<Arc<Self>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = read(&settings.cert, &settings.key, &provider)?;
        Ok(Arc::new(Self {
            current: ArcSwap::from_pointee(key),
            settings,
            provider,
        }))
    }

    /// Reads the files again; on failure the certificate in use stays.
    ///
    /// # Errors
    /// As [`Certificates::load`].
    pub fn reload(&self) -> anyhow::Result<()> {
        let key = read(&self.settings.cert, &self.settings.key, &self.provider)?;
        self.current.store(Arc::new(key));
        Ok(())
    }

    /// What plain HTTP on the port gets.
    pub fn plain_http(&self) -> PlainHttp {
        self.settings.plain_http
    }

    /// The rustls acceptor: TLS 1.2 and 1.3, ALPN `h2` then `http/1.1`.
    ///
    /// # Errors
    /// When the provider offers no safe protocol version (never with ring).
    pub fn acceptor(self: &Arc<Self>) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
        let mut config = rustls::ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .context("choosing TLS versions")?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }

    /// Reloads on SIGHUP and whenever the certificate or key file changes
    /// (their directories are watched, since tools replace files by
    /// renaming), for as long as the process runs.
    pub fn watch(self: &Arc<Self>) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        #[cfg(unix)]
        {
            let tx = tx.clone();
            tokio::spawn(async move {
                use tokio::signal::unix::{SignalKind, signal};
                let Ok(mut hangups) = signal(SignalKind::hangup()) else {
                    return;
                };
                while hangups.recv().await.is_some() {
                    tracing::info!("SIGHUP: reading the TLS certificate again");
                    if tx.send(()).is_err() {
                        return;
                    }
                }
            });
        }
        // The paths as given and as resolved: a symlink swapped in the
        // given directory (certbot's live/) and a file replaced where the
        // link points are both seen.
        let absolute = |f: &PathBuf| std::path::absolute(f).unwrap_or_else(|_| f.clone());
        let mut files: Vec<PathBuf> = Vec::new();
        for file in [&self.settings.cert, &self.settings.key] {
            files.push(absolute(file));
            if let Ok(resolved) = file.canonicalize() {
                files.push(resolved);
            }
        }
        files.dedup();
        let watched = files.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            // Reading the files is an event too: only writes, renames and
            // removals count, or each reload would trigger the next.
            if let Ok(event) = event
                && matches!(
                    event.kind,
                    notify::EventKind::Create(_)
                        | notify::EventKind::Modify(_)
                        | notify::EventKind::Remove(_)
                )
                && !matches!(
                    event.kind,
                    notify::EventKind::Modify(notify::event::ModifyKind::Metadata(_))
                )
                && event.paths.iter().any(|p| watched.contains(p))
            {
                let _ = tx.send(());
            }
        });
        let watcher = match watcher {
            Ok(mut watcher) => {
                use notify::Watcher as _;
                let dirs: std::collections::BTreeSet<&Path> =
                    files.iter().filter_map(|f| f.parent()).collect();
                for dir in dirs {
                    if let Err(e) = watcher.watch(dir, notify::RecursiveMode::NonRecursive) {
                        tracing::warn!(dir = %dir.display(), error = %e, "cannot watch the TLS files; SIGHUP still reloads");
                    }
                }
                Some(watcher)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the TLS files; SIGHUP still reloads");
                None
            }
        };
        let certificates = self.clone();
        tokio::spawn(async move {
            let _watcher = watcher;
            while rx.recv().await.is_some() {
                // A tool writes the two files one after the other: let it finish.
                tokio::time::sleep(Duration::from_millis(200)).await;
                while rx.try_recv().is_ok() {}
                match certificates.reload() {
                    Ok(()) => {
                        tracing::info!(cert = %certificates.settings.cert.display(), "TLS certificate reloaded")
                    }
                    Err(e) => {
                        tracing::error!(error = ?e, "TLS certificate not reloaded; the previous one stays in use")
                    }
                }
            }
        });
    }
}

fn read(cert: &Path, key: &Path, provider: &CryptoProvider) -> anyhow::Result<CertifiedKey> {
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading the TLS certificate {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing the TLS certificate {}", cert.display()))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "{} holds no PEM certificate",
        cert.display()
    );
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("reading the TLS private key {}", key.display()))?;
    let signing = provider
        .key_provider
        .load_private_key(key)
        .context("the TLS private key is of a kind rustls cannot use")?;
    let certified = CertifiedKey::new(chain, signing);
    certified
        .keys_match()
        .context("the TLS private key does not belong to the certificate")?;
    Ok(certified)
}
