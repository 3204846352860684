//! TLS and HTTP/2: `sluice serve --tls-cert --tls-key` with a throwaway
//! CA, checked with curl (HTTP/2 by ALPN, HTTP/1.1, plain HTTP redirected),
//! certificates reloaded on SIGHUP and when the files change without a
//! request lost, and h2c on a plain port.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{assert_problem, spawn_app_with, time_until};
use crate::node::{free_port, serve_command};

/// A throwaway certificate authority.
struct Ca {
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl Ca {
    fn new(name: &str) -> Self {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Self { cert, key }
    }

    /// Writes its certificate to `dir/<file>` and returns the path.
    fn write(&self, dir: &Path, file: &str) -> PathBuf {
        let path = dir.join(file);
        std::fs::write(&path, self.cert.pem()).unwrap();
        path
    }

    /// A leaf for `localhost` and 127.0.0.1 signed by this CA: (cert, key) PEM.
    fn leaf(&self) -> (String, String) {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params
            .subject_alt_names
            .push(rcgen::SanType::IpAddress([127, 0, 0, 1].into()));
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    /// Installs a fresh leaf as `dir/cert.pem` and `dir/key.pem`, each
    /// replaced by a rename, as deployment tools do.
    fn install_leaf(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let (cert, key) = self.leaf();
        let paths = (dir.join("cert.pem"), dir.join("key.pem"));
        for (path, text) in [(&paths.1, key), (&paths.0, cert)] {
            let staged = path.with_extension("new");
            std::fs::write(&staged, text).unwrap();
            std::fs::rename(&staged, path).unwrap();
        }
        paths
    }
}

/// `curl` with `args`; (exit success, stdout).
async fn curl(args: &[&str]) -> (bool, String) {
    let output = tokio::process::Command::new("curl")
        .args(["-s", "--max-time", "5"])
        .args(args)
        .output()
        .await
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[tokio::test]
async fn sluice_serve_speaks_https_with_h2_redirects_plain_http_and_reloads_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let first = Ca::new("first CA");
    let second = Ca::new("second CA");
    let first_ca = first.write(dir.path(), "first-ca.pem");
    let second_ca = second.write(dir.path(), "second-ca.pem");
    let (cert, key) = first.install_leaf(dir.path());
    let port = free_port();
    let data = dir.path().join("data");
    let mut child = serve_command(port, &data)
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = format!("https://127.0.0.1:{port}/system/health");
    let (first_ca, second_ca) = (first_ca.to_str().unwrap(), second_ca.to_str().unwrap());
    time_until(|| async { curl(&["--cacert", first_ca, "-f", &url]).await.0 }).await;

    let version = |flag: &'static str| {
        let url = url.clone();
        async move {
            curl(&[
                "--cacert",
                first_ca,
                flag,
                "-o",
                "/dev/null",
                "-w",
                "%{http_version}",
                &url,
            ])
            .await
            .1
        }
    };
    assert_eq!(version("--http2").await, "2");
    assert_eq!(version("--http1.1").await, "1.1");
    // A certificate from another CA is not trusted.
    assert!(!curl(&["--cacert", second_ca, &url]).await.0);

    let (_, head) = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{redirect_url}",
        &format!("http://127.0.0.1:{port}/system/health?x=1"),
    ])
    .await;
    assert_eq!(
        head,
        format!("308 https://127.0.0.1:{port}/system/health?x=1")
    );

    // A new certificate, then SIGHUP: the server says it read it again
    // and serves it.
    second.install_leaf(dir.path());
    let pid = child.id().unwrap().to_string();
    let hup = std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert!(hup.success());
    let saw_sighup = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(line) = log.next_line().await.unwrap() {
            if line.contains("SIGHUP") {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(saw_sighup, "the server did not log the SIGHUP");
    time_until(|| async { curl(&["--cacert", second_ca, "-f", &url]).await.0 }).await;
    assert!(!curl(&["--cacert", first_ca, &url]).await.0);
}

fn client_trusting(cas: &[&Ca]) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .pool_max_idle_per_host(1);
    for ca in cas {
        builder = builder.add_root_certificate(
            reqwest::Certificate::from_pem(ca.cert.pem().as_bytes()).unwrap(),
        );
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn a_certificate_replaced_on_disk_is_served_without_losing_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let first = Ca::new("first CA");
    let second = Ca::new("second CA");
    let (cert, key) = first.install_leaf(dir.path());
    let app = spawn_app_with(|s| {
        s.tls = Some(sluice::edge::tls::TlsSettings {
            cert,
            key,
            plain_http: sluice::edge::tls::PlainHttp::Refuse,
        });
    })
    .await;
    let https = app.address.replace("http://", "https://");
    let url = format!("{https}/system/health");

    // A client busy on its connection while the files are replaced.
    let busy = client_trusting(&[&first, &second]);
    let load = {
        let url = url.clone();
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..300 {
                let status = busy.get(&url).send().await.map(|r| r.status().as_u16());
                statuses.push(status.map_err(|e| e.to_string()));
            }
            statuses
        })
    };
    second.install_leaf(dir.path());
    let only_second = client_trusting(&[&second]);
    time_until(|| async { only_second.get(&url).send().await.is_ok() }).await;
    let statuses = load.await.unwrap();
    assert!(
        statuses.iter().all(|s| s == &Ok(200)),
        "{:?}",
        statuses
            .iter()
            .filter(|s| *s != &Ok(200))
            .collect::<Vec<_>>()
    );
    assert!(client_trusting(&[&first]).get(&url).send().await.is_err());

    // Plain HTTP is refused on this server, with a problem naming https.
    let plain = app
        .client
        .get(app.url("/system/health"))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(plain, 400).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("use https://"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_plain_port_serves_http2_to_clients_with_prior_knowledge() {
    let app = spawn_app_with(|_| {}).await;
    let (ok, version) = curl(&[
        "--http2-prior-knowledge",
        "-o",
        "/dev/null",
        "-w",
        "%{http_version} %{http_code}",
        &app.url("/system/health"),
    ])
    .await;
    assert!(ok);
    assert_eq!(version, "2 200");
    let answer = app.get("/system/health").await;
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_admin_listener_speaks_https_with_the_same_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("admin CA");
    let (cert, key) = ca.install_leaf(dir.path());
    let app = spawn_app_with(|s| {
        s.admin_listen = Some("127.0.0.1:0".parse().unwrap());
        s.tls = Some(sluice::edge::tls::TlsSettings {
            cert,
            key,
            plain_http: sluice::edge::tls::PlainHttp::Refuse,
        });
    })
    .await;
    let admin = app.admin_address.replace("http://", "https://");
    let listed = client_trusting(&[&ca])
        .get(format!("{admin}/admin/scopes"))
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let plain = app
        .client
        .get(format!("{}/admin/scopes", app.admin_address))
        .send()
        .await
        .unwrap();
    assert_problem(plain, 400).await;
}
