//! `sluice login` and `sluice logout`: an admin's password exchanged for
//! tokens (OAuth2 password grant, RFC 6749 §4.3) — or, with `--device`,
//! approved in the console without the password reaching the terminal
//! (device authorization grant, RFC 8628) — the refresh token kept in the
//! user's config directory (mode 0600) and rotated on each refresh.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::identity::unix_now;

/// Refresh this long before the access token expires, seconds.
const REFRESH_MARGIN_SECS: i64 = 30;

/// What `sluice login` keeps.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    /// The server's base URL.
    pub url: String,
    /// Who logged in.
    pub user: String,
    /// The current access token.
    pub access_token: String,
    /// When it expires, Unix seconds.
    pub expires_at: i64,
    /// The refresh token (rotated on every use).
    pub refresh_token: String,
}

/// `$SLUICE_CONFIG_DIR`, else `<config dir>/sluice` (`~/.config/sluice`).
///
/// # Errors
/// When the system has no config directory and none is set.
pub fn config_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("SLUICE_CONFIG_DIR") {
        return Ok(PathBuf::from(dir));
    }
    dirs::config_dir()
        .map(|d| d.join("sluice"))
        .context("no config directory: set SLUICE_CONFIG_DIR")
}

fn credentials_path() -> anyhow::Result<PathBuf> {
    Ok(config_dir()?.join("credentials.json"))
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: i64,
    refresh_token: Option<String>,
    #[serde(default)]
    scope: String,
}

async fn token_request(
    client: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> anyhow::Result<TokenAnswer> {
    let response = client
        .post(format!("{url}/authorization/token"))
        .form(form)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let bytes = response.bytes().await.unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if !status.is_success() {
        let why = body["error_description"]
            .as_str()
            .or_else(|| body["detail"].as_str())
            .or_else(|| body["error"].as_str())
            .unwrap_or("refused");
        bail!("{url} refused the login ({status}): {why}");
    }
    Ok(serde_json::from_value(body)?)
}

impl Credentials {
    /// The saved login, if any.
    ///
    /// # Errors
    /// When the file exists but cannot be read or parsed.
    pub fn load() -> anyhow::Result<Option<Self>> {
        let path = credentials_path()?;
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
                format!("{} is damaged; run sluice login again", path.display())
            })?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    fn save(&self) -> anyhow::Result<()> {
        let path = credentials_path()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        crate::secrets::write_private(&path, &serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// The access token, refreshed first (and the rotated refresh token
    /// saved) when it expires within 30 s.
    ///
    /// # Errors
    /// When the refresh is refused (the session ended): log in again.
    pub async fn fresh_access_token(mut self, client: &reqwest::Client) -> anyhow::Result<String> {
        if self.expires_at - REFRESH_MARGIN_SECS > unix_now() {
            return Ok(self.access_token);
        }
        let answer = token_request(
            client,
            &self.url,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &self.refresh_token),
            ],
        )
        .await
        .with_context(|| format!("the login has expired: run sluice login {}", self.url))?;
        self.access_token = answer.access_token;
        self.expires_at = unix_now() + answer.expires_in;
        if let Some(refresh) = answer.refresh_token {
            self.refresh_token = refresh;
        }
        self.save()?;
        Ok(self.access_token)
    }
}

/// Logs `user` in at `url` with a password from stdin's first line
/// (`password_stdin`) or a prompt, and saves the tokens. Answers a line to
/// print.
///
/// # Errors
/// When the server refuses the password or cannot be reached.
pub async fn login(url: &str, user: &str, password_stdin: bool) -> anyhow::Result<String> {
    let url = url.trim_end_matches('/').to_string();
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        rpassword::prompt_password(format!("Password for {user} at {url}: "))
            .context("cannot read the password (use --password-stdin without a terminal)")?
    };
    let client = reqwest::Client::new();
    let answer = token_request(
        &client,
        &url,
        &[
            ("grant_type", "password"),
            ("username", user),
            ("password", &password),
        ],
    )
    .await?;
    keep(&url, user, answer)
}

/// Saves the session `answer` opened for `user` at `url`; answers the line
/// that says so (and whether the user may run admin commands).
///
/// # Errors
/// When the answer has no refresh token or the file cannot be written.
fn keep(url: &str, user: &str, answer: TokenAnswer) -> anyhow::Result<String> {
    let refresh_token = answer
        .refresh_token
        .context("the server issued no refresh token")?;
    let credentials = Credentials {
        url: url.to_string(),
        user: user.to_string(),
        access_token: answer.access_token,
        expires_at: unix_now() + answer.expires_in,
        refresh_token,
    };
    credentials.save()?;
    let admin = answer.scope.split(' ').any(|s| s == "admin");
    Ok(if admin {
        format!("logged in to {url} as {user}")
    } else {
        format!(
            "logged in to {url} as {user}, who lacks the admin scope: admin commands will be \
             refused"
        )
    })
}

/// The device authorization response (RFC 8628 §3.2).
#[derive(Deserialize)]
struct DeviceAnswer {
    device_code: String,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: Option<String>,
    expires_in: i64,
    #[serde(default = "default_interval")]
    interval: u64,
}

fn default_interval() -> u64 {
    5
}

/// Logs in at `url` with the device authorization grant (RFC 8628): prints
/// where to approve and the code to check, polls the token endpoint at the
/// interval the server asks (slower after `slow_down`) until the request
/// is approved, denied or expired, and saves the tokens. `say` receives
/// the lines for the user as they come. Answers a closing line to print.
///
/// # Errors
/// When the server refuses the client or the user denies, when the code
/// expires, or when the server cannot be reached.
pub async fn login_device(url: &str, say: impl Fn(&str)) -> anyhow::Result<String> {
    let url = url.trim_end_matches('/').to_string();
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{url}/authorization/device"))
        .form(&[("client_id", crate::identity::device::CLI_CLIENT_ID)])
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let body: Value =
        serde_json::from_slice(&response.bytes().await.unwrap_or_default()).unwrap_or(Value::Null);
    if !status.is_success() {
        bail!(
            "{url} refused the device login ({status}): {}",
            explain(&body)
        );
    }
    let device: DeviceAnswer = serde_json::from_value(body)?;
    say(&format!(
        "To log in, open {} and confirm the code {} (it works for {} minutes).",
        device
            .verification_uri_complete
            .as_deref()
            .unwrap_or(&device.verification_uri),
        device.user_code,
        (device.expires_in + 59) / 60
    ));
    let mut interval = device.interval.max(1);
    let answer = loop {
        tokio::time::sleep(std::time::Duration::from_secs(interval)).await;
        let response = client
            .post(format!("{url}/authorization/token"))
            .form(&[
                ("grant_type", crate::identity::device::GRANT_TYPE),
                ("device_code", &device.device_code),
                ("client_id", crate::identity::device::CLI_CLIENT_ID),
            ])
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        let status = response.status();
        let body: Value = serde_json::from_slice(&response.bytes().await.unwrap_or_default())
            .unwrap_or(Value::Null);
        if status.is_success() {
            break serde_json::from_value::<TokenAnswer>(body)?;
        }
        match body["error"].as_str() {
            Some("authorization_pending") => {}
            Some("slow_down") => interval += 5,
            Some("access_denied") => bail!("the login was denied in the console"),
            Some("expired_token") => {
                bail!(
                    "the code expired before it was approved: run sluice login {url} --device again"
                )
            }
            _ => bail!(
                "{url} refused the device login ({status}): {}",
                explain(&body)
            ),
        }
    };
    let who = client
        .get(format!("{url}/authorization/whoami"))
        .bearer_auth(&answer.access_token)
        .send()
        .await?
        .bytes()
        .await?;
    let who: Value =
        serde_json::from_slice(&who).context("the server did not say who logged in")?;
    let user = who["user"].as_str().unwrap_or_default().to_string();
    keep(&url, &user, answer)
}

/// The reason an OAuth2 error or problem document gives.
fn explain(body: &Value) -> &str {
    body["error_description"]
        .as_str()
        .or_else(|| body["detail"].as_str())
        .or_else(|| body["error"].as_str())
        .unwrap_or("refused")
}

/// Revokes the saved session (RFC 7009) and forgets it.
///
/// # Errors
/// When the credentials file cannot be removed.
pub async fn logout() -> anyhow::Result<String> {
    let Some(credentials) = Credentials::load()? else {
        return Ok("not logged in".into());
    };
    // The session ends on the server even if this machine is offline later.
    let revoked = reqwest::Client::new()
        .post(format!("{}/authorization/revoke", credentials.url))
        .form(&[
            ("token", credentials.refresh_token.as_str()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    std::fs::remove_file(credentials_path()?)?;
    Ok(if revoked {
        format!("logged out of {}", credentials.url)
    } else {
        format!(
            "forgot the login to {} (the server could not be told)",
            credentials.url
        )
    })
}
