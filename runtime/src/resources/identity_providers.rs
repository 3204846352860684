//! Outside identity providers (issue 44 item 6): what an admin configures,
//! checked and stored with its client secret sealed; and which account an
//! identity the provider vouches for signs in as — one linked before, else
//! the account with the same verified email (linked from then on), else a
//! new one when the provider's `accounts` is `create`.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::identity::federation::ExternalIdentity;
use crate::identity::unix_now;
use crate::secrets::SecretBox;
use crate::store::identity_providers::{self as store, ProviderRow};
use crate::store::users::{self, UserRow};
use crate::store::{Json as SqlJson, consumers};

/// Body of `POST /admin/identity-providers` and `PUT
/// /admin/identity-providers/{name}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderInput {
    /// Unique name, 1-64 letters, digits, `_`, `-`, `.`; part of the
    /// callback URL `/authorization/providers/{name}/callback`. An update
    /// takes it from the path.
    #[serde(default)]
    pub name: String,
    /// `oidc` (an OpenID Connect provider, found by `issuer`) or `oauth2`
    /// (explicit endpoints, GitHub-style).
    pub kind: String,
    /// The button's text after "Sign in with" (default: the name).
    #[serde(default)]
    pub label: String,
    /// `portal` (consumers sign in) or `console` (administrators).
    pub audience: String,
    /// The OpenID Provider's issuer URL (`oidc`).
    #[serde(default)]
    pub issuer: Option<String>,
    /// Authorization endpoint (`oauth2`).
    #[serde(default)]
    pub authorization_endpoint: Option<String>,
    /// Token endpoint (`oauth2`).
    #[serde(default)]
    pub token_endpoint: Option<String>,
    /// The endpoint answering who the token is for, as JSON (`oauth2`).
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    /// Sluice's client id at the provider.
    pub client_id: String,
    /// Sluice's client secret at the provider: required to create, kept
    /// when an update leaves it out; never returned.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Scopes asked (default `openid email profile` for `oidc`, none for
    /// `oauth2`).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// `link` (default): only accounts that exist (same verified email, or
    /// linked before); `create`: else a new account.
    #[serde(default = "default_accounts")]
    pub accounts: String,
    /// Roles of a console account the provider creates.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Only users whose verified email is at one of these domains may
    /// sign in (default: any); required for a console provider that
    /// creates accounts, lest anyone with an account at a public provider
    /// get into the console.
    #[serde(default)]
    pub email_domains: Vec<String>,
    /// The user endpoint's member with the user's id (`oauth2`; default
    /// `id`).
    #[serde(default)]
    pub subject_claim: Option<String>,
    /// The member with the email (default `email`).
    #[serde(default)]
    pub email_claim: Option<String>,
    /// The member with the name (default `name`).
    #[serde(default)]
    pub name_claim: Option<String>,
    /// Whether an `oauth2` provider's email counts as verified when its
    /// answer has no `email_verified` (default false).
    #[serde(default)]
    pub trust_email: bool,
    /// Offered and usable (default true).
    #[serde(default = "crate::resources::default_true")]
    pub active: bool,
}

fn default_accounts() -> String {
    "link".into()
}

/// A provider as the admin API shows it: everything but the secret.
#[derive(Debug, Serialize)]
pub struct ProviderView {
    /// Name.
    pub name: String,
    /// `oidc` or `oauth2`.
    pub kind: String,
    /// The button's text.
    pub label: String,
    /// `portal` or `console`.
    pub audience: String,
    /// Issuer (`oidc`).
    pub issuer: Option<String>,
    /// Authorization endpoint (`oauth2`).
    pub authorization_endpoint: Option<String>,
    /// Token endpoint (`oauth2`).
    pub token_endpoint: Option<String>,
    /// User endpoint (`oauth2`).
    pub userinfo_endpoint: Option<String>,
    /// Client id.
    pub client_id: String,
    /// Scopes asked.
    pub scopes: Vec<String>,
    /// `link` or `create`.
    pub accounts: String,
    /// Roles of created console accounts.
    pub roles: Vec<String>,
    /// Email domains allowed; empty for any.
    pub email_domains: Vec<String>,
    /// Member with the user's id.
    pub subject_claim: String,
    /// Member with the email.
    pub email_claim: String,
    /// Member with the name.
    pub name_claim: String,
    /// Whether an unstated email counts as verified.
    pub trust_email: bool,
    /// Whether it is offered.
    pub active: bool,
    /// The path of the redirect URI to register at the provider, under
    /// Sluice's public URL.
    pub callback_path: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<ProviderRow> for ProviderView {
    fn from(p: ProviderRow) -> Self {
        Self {
            callback_path: callback_path(&p.name),
            name: p.name,
            kind: p.kind,
            label: p.label,
            audience: p.audience,
            issuer: p.issuer,
            authorization_endpoint: p.authorization_endpoint,
            token_endpoint: p.token_endpoint,
            userinfo_endpoint: p.userinfo_endpoint,
            client_id: p.client_id,
            scopes: p.scopes.0,
            accounts: p.accounts,
            roles: p.roles.0,
            email_domains: p.email_domains.0,
            subject_claim: p.subject_claim,
            email_claim: p.email_claim,
            name_claim: p.name_claim,
            trust_email: p.trust_email,
            active: p.active,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// Where provider `name` sends the browser back: register
/// `<public URL><this>` at the provider.
pub fn callback_path(name: &str) -> String {
    format!("/authorization/providers/{name}/callback")
}

/// The sealing context of provider `name`'s client secret.
pub fn secret_context(name: &str) -> String {
    format!("identity-provider:{name}")
}

/// An endpoint or issuer: an absolute `https` URL (`http` only on a
/// loopback host), without a fragment.
fn check_url(field: &str, value: Option<&str>) -> ApiResult<String> {
    // The issuer is compared exactly (Discovery §4.3): kept as given.
    let trim = field != "issuer";
    let value = value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::BadRequest(format!("{field} is required for this kind")))?;
    let url = url::Url::parse(value)
        .map_err(|e| ApiError::BadRequest(format!("{field} is not an absolute URL: {e}")))?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    if url.fragment().is_some() || !(url.scheme() == "https" || url.scheme() == "http" && loopback)
    {
        return Err(ApiError::BadRequest(format!(
            "{field} must be an https URL without a fragment (http only on localhost)"
        )));
    }
    Ok(if trim {
        value.trim_end_matches('/').to_string()
    } else {
        value.to_string()
    })
}

/// Checks `input` and makes the row to store; `existing` is the stored
/// provider an update replaces (its secret and creation time stay when the
/// input leaves them out).
///
/// # Errors
/// 400 naming the field that is wrong; 422 for an unknown role.
pub async fn check(
    db: &sqlx::AnyPool,
    secrets: &SecretBox,
    input: ProviderInput,
    existing: Option<&ProviderRow>,
) -> ApiResult<ProviderRow> {
    crate::resources::check_name("identity provider", &input.name)?;
    if input.name.chars().all(|c| c == '.') {
        return Err(ApiError::BadRequest(
            "an identity provider's name cannot be only dots: it is part of a URL path".into(),
        ));
    }
    let choice = |field: &str, value: &str, allowed: &[&str]| {
        if allowed.contains(&value) {
            Ok(())
        } else {
            Err(ApiError::BadRequest(format!(
                "{field} must be one of {}, not {value:?}",
                allowed.join(", ")
            )))
        }
    };
    choice("kind", &input.kind, &["oidc", "oauth2"])?;
    choice("audience", &input.audience, &["portal", "console"])?;
    choice("accounts", &input.accounts, &["link", "create"])?;
    let oidc = input.kind == "oidc";
    let (issuer, authorization, token, userinfo) = if oidc {
        (
            Some(check_url("issuer", input.issuer.as_deref())?),
            None,
            None,
            None,
        )
    } else {
        (
            None,
            Some(check_url(
                "authorization_endpoint",
                input.authorization_endpoint.as_deref(),
            )?),
            Some(check_url(
                "token_endpoint",
                input.token_endpoint.as_deref(),
            )?),
            Some(check_url(
                "userinfo_endpoint",
                input.userinfo_endpoint.as_deref(),
            )?),
        )
    };
    if input.client_id.trim().is_empty() {
        return Err(ApiError::BadRequest("client_id is required".into()));
    }
    if input.label.chars().count() > 60 {
        return Err(ApiError::BadRequest(
            "label may have at most 60 characters".into(),
        ));
    }
    let roles = if input.audience == "console" {
        crate::resources::users::check_roles(db, input.roles).await?
    } else if input.roles.is_empty() {
        Vec::new()
    } else {
        return Err(ApiError::BadRequest(
            "roles apply to console providers only: consumers have no roles".into(),
        ));
    };
    let mut domains = Vec::new();
    for domain in &input.email_domains {
        let domain = domain.trim().trim_start_matches('@').to_lowercase();
        if !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains(['@', '/'])
            || domain.contains(char::is_whitespace)
        {
            return Err(ApiError::BadRequest(format!(
                "email_domains: {domain:?} is not a domain name"
            )));
        }
        domains.push(domain);
    }
    if input.audience == "console" && input.accounts == "create" && domains.is_empty() {
        return Err(ApiError::BadRequest(
            "a console provider that creates accounts needs email_domains: else anyone with an \
             account at the provider would get into the console"
                .into(),
        ));
    }
    let sealed = match (input.client_secret.as_deref(), existing) {
        (Some(secret), _) if !secret.is_empty() => secrets
            .seal(&secret_context(&input.name), secret.as_bytes())
            .map_err(ApiError::Internal)?,
        (_, Some(existing)) => existing.client_secret_sealed.clone(),
        _ => return Err(ApiError::BadRequest("client_secret is required".into())),
    };
    let now = crate::store::now();
    Ok(ProviderRow {
        label: if input.label.trim().is_empty() {
            input.name.clone()
        } else {
            input.label.trim().to_string()
        },
        kind: input.kind,
        audience: input.audience,
        issuer,
        authorization_endpoint: authorization,
        token_endpoint: token,
        userinfo_endpoint: userinfo,
        client_id: input.client_id,
        client_secret_sealed: sealed,
        scopes: SqlJson(input.scopes.unwrap_or_else(|| {
            if oidc {
                vec!["openid".into(), "email".into(), "profile".into()]
            } else {
                Vec::new()
            }
        })),
        accounts: input.accounts,
        roles: SqlJson(roles),
        email_domains: SqlJson(domains),
        subject_claim: input
            .subject_claim
            .unwrap_or_else(|| if oidc { "sub" } else { "id" }.into()),
        email_claim: input.email_claim.unwrap_or_else(|| "email".into()),
        name_claim: input.name_claim.unwrap_or_else(|| "name".into()),
        trust_email: input.trust_email,
        active: input.active,
        created_at: existing.map_or_else(|| now.clone(), |e| e.created_at.clone()),
        updated_at: now,
        name: input.name,
    })
}

/// The client secret of `provider`.
///
/// # Errors
/// When it cannot be unsealed (another `SLUICE_SECRET_KEY`).
pub fn client_secret(secrets: &SecretBox, provider: &ProviderRow) -> anyhow::Result<String> {
    let plain = secrets.open(
        &secret_context(&provider.name),
        &provider.client_secret_sealed,
    )?;
    Ok(String::from_utf8(plain)?)
}

/// Why an identity may not sign in: a code the sign-in page turns into a
/// fixed sentence (so that a crafted link cannot show text of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The provider did not confirm an email address.
    UnverifiedEmail,
    /// The address is at a domain the provider does not admit.
    Domain,
    /// No account has the address, and the provider makes none.
    NoAccount,
    /// The account is not active (or waits for approval).
    Inactive,
    /// The account is of the other side (a consumer at the console, an
    /// administrator at the portal).
    OtherSide,
    /// The account is linked to another identity at this provider.
    LinkedElsewhere,
    /// The portal takes no new accounts.
    Closed,
    /// A new account waits for an administrator's approval.
    AwaitingApproval,
}

impl Reason {
    /// The code in the page's `signin_error` parameter.
    pub fn code(self) -> &'static str {
        match self {
            Self::UnverifiedEmail => "unverified_email",
            Self::Domain => "domain",
            Self::NoAccount => "no_account",
            Self::Inactive => "inactive",
            Self::OtherSide => "other_side",
            Self::LinkedElsewhere => "linked_elsewhere",
            Self::Closed => "closed",
            Self::AwaitingApproval => "awaiting_approval",
        }
    }
}

/// Why an identity may not sign in.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// A reason the page shows.
    #[error("{}", .0.code())]
    Because(Reason),
    /// The control plane failed.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

impl From<sqlx::Error> for Refused {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

fn refused(reason: Reason) -> Refused {
    Refused::Because(reason)
}

/// The account `identity` at `provider` signs in as, linking or creating
/// it as the provider's `accounts` allows.
///
/// # Errors
/// [`Refused::Because`] with the [`Reason`] no account may be used.
pub async fn account_for(
    db: &sqlx::AnyPool,
    provider: &ProviderRow,
    identity: &ExternalIdentity,
) -> Result<UserRow, Refused> {
    let consumer_side = provider.audience == "portal";
    let usable = |user: UserRow| {
        if user.is_consumer() != consumer_side {
            return Err(refused(Reason::OtherSide));
        }
        if !user.active {
            return Err(refused(Reason::Inactive));
        }
        Ok(user)
    };
    if let Some(id) = store::linked_user(db, &provider.name, &identity.subject).await?
        && let Some(user) = users::by_id(db, &id).await?
    {
        return usable(user);
    }
    let Some(email) = identity
        .email
        .as_deref()
        .filter(|_| identity.email_verified)
        .and_then(crate::portal::normalise_email)
    else {
        return Err(refused(Reason::UnverifiedEmail));
    };
    let domain = email.rsplit('@').next().unwrap_or_default();
    if !provider.email_domains.0.is_empty() && !provider.email_domains.0.iter().any(|d| d == domain)
    {
        return Err(refused(Reason::Domain));
    }
    let found = if consumer_side {
        consumers::user_by_email(db, &email).await?
    } else {
        users::user_by_email(db, &email).await?
    };
    let user = match found {
        Some(user) => {
            let user = usable(user)?;
            // An account linked to another identity here is not taken over
            // by a second one with the same address (a recycled address).
            if store::subject_of(db, &provider.name, &user.id)
                .await?
                .is_some_and(|s| s != identity.subject)
            {
                return Err(refused(Reason::LinkedElsewhere));
            }
            user
        }
        None if provider.accounts == "create" => create(db, provider, identity, &email).await?,
        None => return Err(refused(Reason::NoAccount)),
    };
    match store::link(
        db,
        &provider.name,
        &identity.subject,
        &user.id,
        Some(&email),
        unix_now(),
    )
    .await
    {
        Err(e) if !crate::store::is_unique_violation(&e) => return Err(e.into()),
        _ => {}
    }
    Ok(user)
}

/// A new account for `identity`: a consumer (active at once, or waiting
/// for approval as the portal's registration says; refused while it is
/// closed) or an administrator's user with the provider's roles. Its
/// password is random: it signs in through the provider (or resets it).
async fn create(
    db: &sqlx::AnyPool,
    provider: &ProviderRow,
    identity: &ExternalIdentity,
    email: &str,
) -> Result<UserRow, Refused> {
    let password = crate::identity::random_hex(32);
    let display = identity.name.clone().unwrap_or_default();
    if provider.audience == "portal" {
        use crate::portal::settings::Registration;
        use crate::store::consumers::status;
        let settings = crate::portal::settings::load(db).await?;
        let new_status = match settings.registration {
            Registration::Closed => return Err(refused(Reason::Closed)),
            Registration::Approval => status::AWAITING_APPROVAL,
            Registration::Open => status::ACTIVE,
        };
        let id = uuid::Uuid::now_v7().to_string();
        let hash = crate::identity::passwords::hash(password).await?;
        let mut tx = db.begin().await?;
        consumers::insert(
            &mut *tx,
            &consumers::NewConsumer {
                id: id.clone(),
                display_name: display,
                email: email.to_string(),
                password_hash: hash,
            },
        )
        .await?;
        consumers::set_status(&mut *tx, &id, new_status, true).await?;
        tx.commit().await?;
        if new_status != status::ACTIVE {
            return Err(refused(Reason::AwaitingApproval));
        }
        return users::by_id(db, &id)
            .await?
            .ok_or_else(|| Refused::Store(anyhow::anyhow!("the new account vanished")));
    }
    // A user name from the address, made unique.
    let base: String = email
        .split('@')
        .next()
        .unwrap_or("user")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(48)
        .collect();
    let base = if base.is_empty() { "user".into() } else { base };
    let mut name = base.clone();
    let mut n = 1;
    while users::by_name(db, &name).await?.is_some() {
        n += 1;
        name = format!("{base}-{n}");
    }
    crate::resources::users::create_user(
        db,
        crate::resources::users::UserInput {
            name,
            email: Some(email.to_string()),
            password,
            roles: provider.roles.0.clone(),
            active: true,
        },
    )
    .await
    .map_err(|e| Refused::Store(anyhow::anyhow!("{e}")))
}
