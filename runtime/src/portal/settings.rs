//! The portal's settings (`GET/PUT /admin/portal`, the deploy file's
//! `portal:` key): who may sign up, which `smtp` connection mails them,
//! and what the portal shows. Kept as one JSON value in `settings`.

use serde::{Deserialize, Serialize};
use sqlx::AnyExecutor;

use crate::error::{ApiError, FieldError};
use crate::store::settings;

/// The `settings` key the portal settings live under.
const KEY: &str = "portal";

/// Who may sign up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    /// Anyone; an account works once its address is confirmed.
    Open,
    /// Anyone may sign up; an admin approves each account after its
    /// address is confirmed.
    Approval,
    /// No one (the default): consumers are made by the admin.
    #[default]
    Closed,
}

/// One Markdown page of the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Its address under `/portal/pages/`: `[a-z0-9-]{1,64}`.
    pub slug: String,
    /// Its title in the menu (1–100 characters).
    pub title: String,
    /// CommonMark text (at most 64 KiB); the portal renders it sanitised.
    pub markdown: String,
}

/// The portal's settings. Absent fields take their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PortalSettings {
    /// Who may sign up (default `closed`).
    pub registration: Registration,
    /// The `smtp` connection that sends the portal's mail (verification,
    /// password reset); sign-up needs one unless registration is closed.
    pub mailer: Option<String>,
    /// The API's name on the portal (1–100 characters).
    pub title: String,
    /// A short description under the title (at most 2,000 characters).
    pub description: String,
    /// An `https://` (or `http://`) URL of the logo image.
    pub logo_url: Option<String>,
    /// Markdown pages (at most 20).
    pub pages: Vec<Page>,
    /// How many apps one consumer may make (1–1,000, default 10).
    pub max_apps_per_consumer: u32,
    /// The base URL mailed links point to, e.g. `https://api.example.com`;
    /// default `SLUICE_PUBLIC_URL`, else the address the server listens on.
    /// Never taken from a request's `Host` header, which a sender chooses.
    pub public_url: Option<String>,
}

impl Default for PortalSettings {
    fn default() -> Self {
        Self {
            registration: Registration::Closed,
            mailer: None,
            title: "API".into(),
            description: String::new(),
            logo_url: None,
            pages: Vec::new(),
            max_apps_per_consumer: 10,
            public_url: None,
        }
    }
}

/// Most pages the portal keeps.
const MAX_PAGES: usize = 20;
/// Most bytes of one page's Markdown.
const MAX_PAGE_BYTES: usize = 64 * 1024;

impl PortalSettings {
    /// Every value that breaks a rule, with its JSON pointer.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut bad = |pointer: String, message: String| {
            errors.push(FieldError { pointer, message });
        };
        if self.title.trim().is_empty() || self.title.chars().count() > 100 {
            bad("/title".into(), "the title must be 1-100 characters".into());
        }
        if self.description.chars().count() > 2000 {
            bad(
                "/description".into(),
                "the description must be at most 2000 characters".into(),
            );
        }
        if let Some(url) = &self.logo_url
            && !is_web_url(url)
        {
            bad(
                "/logo_url".into(),
                "the logo URL must be an http:// or https:// URL".into(),
            );
        }
        if let Some(url) = &self.public_url
            && !is_web_url(url)
        {
            bad(
                "/public_url".into(),
                "the public URL must be an http:// or https:// URL".into(),
            );
        }
        if !(1..=1000).contains(&self.max_apps_per_consumer) {
            bad(
                "/max_apps_per_consumer".into(),
                "must be between 1 and 1000".into(),
            );
        }
        if self.pages.len() > MAX_PAGES {
            bad("/pages".into(), format!("at most {MAX_PAGES} pages"));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, page) in self.pages.iter().enumerate() {
            let slug_ok = (1..=64).contains(&page.slug.len())
                && page
                    .slug
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !slug_ok {
                bad(
                    format!("/pages/{i}/slug"),
                    "a slug is 1-64 of a-z, 0-9 and '-'".into(),
                );
            } else if !seen.insert(page.slug.as_str()) {
                bad(
                    format!("/pages/{i}/slug"),
                    format!("slug {:?} is used twice", page.slug),
                );
            }
            if page.title.trim().is_empty() || page.title.chars().count() > 100 {
                bad(
                    format!("/pages/{i}/title"),
                    "a page title must be 1-100 characters".into(),
                );
            }
            if page.markdown.len() > MAX_PAGE_BYTES {
                bad(
                    format!("/pages/{i}/markdown"),
                    format!("a page may hold at most {MAX_PAGE_BYTES} bytes"),
                );
            }
        }
        // A connection name, checked before it reaches a query: PostgreSQL
        // refuses text with a NUL byte outright.
        if let Some(mailer) = &self.mailer
            && crate::resources::check_name("connection", mailer).is_err()
        {
            bad(
                "/mailer".into(),
                "the mailer is a connection's name: 1-64 letters, digits, '_', '-' and '.'".into(),
            );
        }
        if self.registration != Registration::Closed && self.mailer.is_none() {
            bad(
                "/mailer".into(),
                "sign-up mails a verification link: name an smtp connection as the mailer, or keep registration closed".into(),
            );
        }
        errors
    }

    /// The base URL of mailed links: [`Self::public_url`], else `fallback`.
    pub fn link_base(&self, fallback: &str) -> String {
        self.public_url
            .as_deref()
            .unwrap_or(fallback)
            .trim_end_matches('/')
            .to_string()
    }
}

fn is_web_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

/// The stored settings, or the defaults.
///
/// # Errors
/// On database failure, or when the stored value no longer parses.
pub async fn load<'e>(db: impl AnyExecutor<'e>) -> anyhow::Result<PortalSettings> {
    match settings::get(db, KEY).await? {
        Some(text) => Ok(serde_json::from_str(&text)?),
        None => Ok(PortalSettings::default()),
    }
}

/// Validates `new` (the mailer must be an `smtp` connection) and stores it.
///
/// # Errors
/// 400 with a pointer per broken rule; 422 when the mailer is not an
/// `smtp` connection; database failures.
pub async fn save(conn: &mut sqlx::AnyConnection, new: &PortalSettings) -> Result<(), ApiError> {
    let problems = new.problems();
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    if let Some(mailer) = &new.mailer {
        let class = crate::store::connections::get(&mut *conn, mailer)
            .await?
            .map(|c| c.class);
        match class.as_deref() {
            Some("smtp") => {}
            Some(other) => {
                return Err(ApiError::Unprocessable(format!(
                    "connection {mailer:?} is a {other} connection; the mailer must be an smtp connection"
                )));
            }
            None => {
                return Err(ApiError::Unprocessable(format!(
                    "there is no connection named {mailer:?}; create an smtp connection first"
                )));
            }
        }
    }
    settings::set(
        &mut *conn,
        KEY,
        &serde_json::to_string(new).map_err(anyhow::Error::from)?,
    )
    .await?;
    Ok(())
}
