//! The account commands of the CLI — `sluice user add`, `sluice app add`,
//! `sluice token` — working on the control plane in the data directory
//! directly, so the first admin can be created before anyone can log in.

use std::io::BufRead;

use anyhow::Context;
use sqlx::AnyPool;

use crate::cli::serve::DataDirArg;
use crate::identity::tokens::Subject;
use crate::identity::{TokenSettings, Tokens, random_hex, scopes};
use crate::resources::apps::{AppInput, create_app};
use crate::resources::users::{UserInput, create_user};
use crate::store::roles::ADMIN_ROLE;
use crate::store::{self, apps, users};

async fn open(data: &DataDirArg) -> anyhow::Result<AnyPool> {
    let db = store::open(&data.data_dir, data.database_url.as_deref()).await?;
    store::migrate(&db).await?;
    Ok(db)
}

/// What `sluice user add` prints: the user and, when it was generated, the
/// password (shown once).
#[derive(Debug, serde::Serialize)]
pub struct UserAdded {
    /// The new user's name.
    pub name: String,
    /// Its roles.
    pub roles: Vec<String>,
    /// The generated password, when none was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// Creates user `name` with `roles` (plus `admin` when `admin`); the
/// password is read from the first line of stdin when `password_stdin`,
/// else generated and returned.
///
/// # Errors
/// When the name is taken or invalid, a role is unknown, the password is
/// shorter than 8 characters, or the database fails.
pub async fn user_add(
    data: &DataDirArg,
    name: String,
    email: Option<String>,
    mut roles: Vec<String>,
    admin: bool,
    password_stdin: bool,
) -> anyhow::Result<UserAdded> {
    let db = open(data).await?;
    if admin {
        roles.push(ADMIN_ROLE.into());
    }
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        (line.trim_end_matches(['\r', '\n']).to_string(), None)
    } else {
        let password = random_hex(16);
        (password.clone(), Some(password))
    };
    let row = create_user(
        &db,
        UserInput {
            name,
            email,
            password,
            roles,
            active: true,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(UserAdded {
        name: row.name,
        roles: row.roles.0,
        password: generated,
    })
}

/// Creates app `name` with `scopes`; returns the app with its client id and
/// secret (the secret is shown this once).
///
/// # Errors
/// When the name is taken or invalid, a scope is unknown, or the database fails.
pub async fn app_add(
    data: &DataDirArg,
    name: String,
    description: String,
    scopes: Vec<String>,
) -> anyhow::Result<serde_json::Value> {
    let db = open(data).await?;
    let mut conn = db.acquire().await?;
    let created = create_app(
        &mut conn,
        AppInput {
            name,
            description,
            scopes,
            active: true,
            redirect_uris: Vec::new(),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(serde_json::to_value(created)?)
}

/// Issues an access token for user `user` or app `app` with `scopes` (all
/// it may obtain when empty), living `ttl_secs` (the configured lifetime
/// when `None`); it belongs to a session of its own and can be revoked.
///
/// # Errors
/// When neither or both of user and app are given, the one named does not
/// exist or is inactive, a scope is not allowed, or the database fails.
pub async fn token(
    data: &DataDirArg,
    settings: TokenSettings,
    user: Option<String>,
    app: Option<String>,
    requested: Vec<String>,
    ttl_secs: Option<i64>,
    secret_key: Option<&str>,
) -> anyhow::Result<String> {
    let mut shared = vec![("SLUICE_SECRET_KEY", secret_key)];
    if settings.algorithm == crate::identity::keys::TokenAlgorithm::Hs256 {
        shared.push(("SLUICE_JWT_KEY", settings.key.as_deref()));
    }
    crate::config::require_shared_keys(data.database_url.as_deref(), &shared)?;
    let db = open(data).await?;
    // A command is a node of its own for the changes it would announce.
    let node_id = uuid::Uuid::new_v4().simple().to_string();
    let secrets = crate::secrets::SecretBox::load(secret_key, &data.data_dir)?;
    let mut settings = settings;
    settings.issuer = crate::identity::settle_issuer(&db, &settings).await?;
    let tokens = Tokens::load(settings, &data.data_dir, db.clone(), node_id, secrets).await?;
    let (user, app) = match (user, app) {
        (Some(name), None) => {
            let user = users::by_name(&db, &name)
                .await?
                .filter(|u| u.active)
                .with_context(|| format!("there is no active user named {name:?}"))?;
            (Some(user), None)
        }
        (None, Some(name)) => {
            let app = apps::by_name(&db, &name)
                .await?
                .filter(|a| a.active)
                .with_context(|| format!("there is no active app named {name:?}"))?;
            (None, Some(app))
        }
        _ => anyhow::bail!("name either --user or --app"),
    };
    let allowed = scopes::allowed(&db, app.as_ref(), user.as_ref()).await?;
    let requested = requested.join(" ");
    let chosen = scopes::choose(Some(&requested), &allowed).map_err(|refused| {
        anyhow::anyhow!(
            "scope {} may not be granted; allowed: [{}]",
            refused.join(" "),
            allowed.join(" ")
        )
    })?;
    let subject = Subject {
        app: app.as_ref(),
        user: user.as_ref(),
    };
    let issued = tokens.issue(subject, chosen, false, ttl_secs).await?;
    Ok(issued.access_token)
}
