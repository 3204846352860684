//! Signing up and getting back in: `POST /consumer/register`,
//! `/consumer/activate`, `/consumer/password-reset` and
//! `/consumer/password-reset/confirm`. No answer tells whether an address
//! has an account: sign-up and reset requests are answered 202 at once and
//! do their work (hashing, mail) afterwards, the same for known and
//! unknown addresses.

use std::net::IpAddr;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::edge::client::ClientIp;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::extract::Json;
use crate::identity::passwords;
use crate::portal::links::{self, ACTIVATE_TTL_SECS, RESET_TTL_SECS};
use crate::portal::mail::{self, Mail};
use crate::portal::{PortalSettings, Registration, normalise_email, password_policy};
use crate::state::AppState;
use crate::store::consumers::{self, NewConsumer, purpose, status};

/// Body of `POST /consumer/register`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignUp {
    /// How the consumer wants to be called (1–100 characters).
    pub name: String,
    /// Their address; the verification link goes there.
    pub email: String,
    /// 10–256 characters, not easy to guess ([`password_policy`]).
    pub password: String,
}

/// Body of `POST /consumer/activate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activation {
    /// The `token` of the mailed link.
    pub token: String,
}

/// Body of `POST /consumer/password-reset`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The account's address.
    pub email: String,
}

/// Body of `POST /consumer/password-reset/confirm`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    /// The `token` of the mailed link.
    pub token: String,
    /// The new password.
    pub password: String,
}

fn invalid(errors: Vec<FieldError>) -> ApiError {
    ApiError::InvalidAt {
        detail: errors
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
        errors,
    }
}

fn field(pointer: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        pointer: pointer.into(),
        message: message.into(),
    }
}

/// Checks a display name: 1–100 characters, no control characters.
pub fn check_name(name: &str) -> Result<(), String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err("the name must be 1-100 characters without control characters".into());
    }
    Ok(())
}

/// 429 with `Retry-After`: the client's hourly allowance is used up. GCRA
/// gives one request back every hour / limit, so that is when to retry.
fn too_many(state: &AppState) -> ApiError {
    let limit = state.portal_guards.limits().signups_per_hour.max(1);
    ApiError::RateLimited {
        limit,
        retry_after_secs: 3600 / u64::from(limit),
    }
}

/// Where mailed links point: the portal's `public_url`, else
/// `SLUICE_PUBLIC_URL`, else the address the server listens on.
fn link_base(state: &AppState, settings: &PortalSettings) -> String {
    let fallback = state
        .settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", state.settings.listen));
    settings.link_base(&fallback)
}

/// `POST /consumer/register` → 202 whether or not the address is known (a
/// known address gets a notice instead of a second account); 400 with a
/// pointer per bad field; 403 when sign-up is closed; 429 past the
/// client's allowance (`SLUICE_PORTAL_SIGNUPS_PER_HOUR`).
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(input): Json<SignUp>,
) -> ApiResult<Response> {
    let settings = crate::portal::settings::load(&state.db).await?;
    if settings.registration == Registration::Closed {
        return Err(ApiError::Forbidden(
            "sign-up is closed on this portal; ask the API's owner for an account".into(),
        ));
    }
    let mut errors = Vec::new();
    if let Err(e) = check_name(&input.name) {
        errors.push(field("/name", e));
    }
    let email = normalise_email(&input.email);
    if email.is_none() {
        errors.push(field("/email", "this is not an email address"));
    }
    let email = email.unwrap_or_default();
    if let Err(e) = password_policy::check(&input.password, input.name.trim(), &email) {
        errors.push(field("/password", e));
    }
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    if !state.portal_guards.signup(ip) {
        return Err(too_many(&state));
    }
    let name = input.name.trim().to_string();
    tokio::spawn(async move {
        if let Err(e) = sign_up(&state, ip, &settings, name, email, input.password).await {
            tracing::warn!(error = %e, "a sign-up could not be completed");
        }
    });
    Ok(accepted(
        "if the address can be used, a link to confirm it is on its way; it works for 24 hours",
    ))
}

/// The address a notice about `existing` goes to (its stored one).
fn existing_address(existing: &crate::store::users::UserRow, asked: &str) -> String {
    existing.email.clone().unwrap_or_else(|| asked.to_string())
}

fn accepted(message: &str) -> Response {
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({ "status": "accepted", "message": message })),
    )
        .into_response()
}

async fn sign_up(
    state: &AppState,
    ip: IpAddr,
    settings: &PortalSettings,
    name: String,
    email: String,
    password: String,
) -> anyhow::Result<()> {
    let base = link_base(state, settings);
    let Some(mailer) = settings.mailer.as_deref() else {
        anyhow::bail!("the portal has no mailer");
    };
    let hash = passwords::hash(password).await?;
    if let Some(existing) = consumers::user_by_email(&state.db, &email).await? {
        // The owner learns of the attempt; the stranger learns nothing.
        if !state
            .portal_guards
            .mail(ip, &existing_address(&existing, &email))
        {
            return Ok(());
        }
        let text = format!(
            "Someone (perhaps you) tried to sign up at {base}/portal with this address, which \
             already has an account.\n\nTo sign in: {base}/portal/signin\nForgot the password? \
             {base}/portal/reset\n\nIf it was not you, you can ignore this mail.\n"
        );
        let subject = format!("{}: you already have an account", settings.title);
        mail::send(
            &state.registry,
            mailer,
            Mail {
                to: email,
                subject,
                text,
            },
        )
        .await?;
        return Ok(());
    }
    let id = uuid::Uuid::now_v7().to_string();
    let mut tx = crate::store::begin_write(&state.db).await?;
    let inserted = consumers::insert(
        &mut *tx,
        &NewConsumer {
            id: id.clone(),
            display_name: name.clone(),
            email: email.clone(),
            password_hash: hash,
        },
    )
    .await;
    if let Err(e) = inserted {
        // Signed up twice at once: the first one stands.
        if crate::store::is_unique_violation(&e) {
            return Ok(());
        }
        return Err(e.into());
    }
    let token = links::issue(&mut tx, &id, purpose::ACTIVATE, ACTIVATE_TTL_SECS).await?;
    tx.commit().await?;
    if !state.portal_guards.mail(ip, &email) {
        return Ok(());
    }
    let text = format!(
        "Hello {name},\n\nconfirm your address to finish signing up at {title}:\n\n\
         {base}/portal/activate?token={token}\n\nThe link works once, for 24 hours. If you \
         did not sign up, ignore this mail and nothing happens.\n",
        title = settings.title
    );
    let subject = format!("{}: confirm your address", settings.title);
    mail::send(
        &state.registry,
        mailer,
        Mail {
            to: email,
            subject,
            text,
        },
    )
    .await?;
    Ok(())
}

/// `POST /consumer/activate` → 200 `{"status": "active" | "awaiting_approval"}`;
/// 400 when the token is unknown, used or expired.
pub async fn activate(
    State(state): State<AppState>,
    Json(input): Json<Activation>,
) -> ApiResult<Response> {
    let settings = crate::portal::settings::load(&state.db).await?;
    let mut tx = crate::store::begin_write(&state.db).await?;
    let Some(id) = links::spend(&mut *tx, &input.token, purpose::ACTIVATE).await? else {
        return Err(bad_link("confirmation"));
    };
    let Some(consumer) = consumers::get(&mut *tx, &id).await? else {
        return Err(bad_link("confirmation"));
    };
    let new_status = if consumer.status != status::UNVERIFIED {
        consumer.status
    } else if settings.registration == Registration::Approval {
        status::AWAITING_APPROVAL.to_string()
    } else {
        status::ACTIVE.to_string()
    };
    consumers::set_status(&mut *tx, &id, &new_status, true).await?;
    tx.commit().await?;
    Ok(axum::Json(json!({ "status": new_status })).into_response())
}

fn bad_link(what: &str) -> ApiError {
    ApiError::InvalidAt {
        detail: format!(
            "this {what} link is not valid: it was used already, has expired or was replaced by \
             a newer one; ask for a new one"
        ),
        errors: vec![field("/token", "unknown, used or expired")],
    }
}

/// `POST /consumer/password-reset` → 202 always (a known, active address
/// gets a link that works once for an hour); 400 for a malformed address;
/// 429 past the client's allowance.
pub async fn reset_request(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(input): Json<ResetRequest>,
) -> ApiResult<Response> {
    let Some(email) = normalise_email(&input.email) else {
        return Err(invalid(vec![field(
            "/email",
            "this is not an email address",
        )]));
    };
    if !state.portal_guards.signup(ip) {
        return Err(too_many(&state));
    }
    tokio::spawn(async move {
        if let Err(e) = send_reset(&state, ip, email).await {
            tracing::warn!(error = %e, "a password reset could not be sent");
        }
    });
    Ok(accepted(
        "if the address has an account, a link to set a new password is on its way; it works for an hour",
    ))
}

async fn send_reset(state: &AppState, ip: IpAddr, email: String) -> anyhow::Result<()> {
    let settings = crate::portal::settings::load(&state.db).await?;
    let Some(mailer) = settings.mailer.as_deref() else {
        return Ok(());
    };
    let Some(user) = consumers::user_by_email(&state.db, &email).await? else {
        return Ok(());
    };
    let consumer = consumers::get(&state.db, &user.id).await?;
    if consumer.is_none_or(|c| c.status == status::DEACTIVATED)
        || !state.portal_guards.mail(ip, &email)
    {
        return Ok(());
    }
    let mut conn = state.db.acquire().await?;
    let token = links::issue(&mut conn, &user.id, purpose::RESET, RESET_TTL_SECS).await?;
    drop(conn);
    let base = link_base(state, &settings);
    let text = format!(
        "Someone (perhaps you) asked to set a new password for your account at {title}.\n\n\
         {base}/portal/reset?token={token}\n\nThe link works once, for an hour. If it was not \
         you, ignore this mail: your password stays as it is.\n",
        title = settings.title
    );
    let subject = format!("{}: set a new password", settings.title);
    mail::send(
        &state.registry,
        mailer,
        Mail {
            to: email,
            subject,
            text,
        },
    )
    .await?;
    Ok(())
}

/// `POST /consumer/password-reset/confirm` → 204: the new password is set
/// and every session of the account is revoked; 400 for a bad token or a
/// weak password.
pub async fn reset_confirm(
    State(state): State<AppState>,
    Json(input): Json<ResetConfirm>,
) -> ApiResult<StatusCode> {
    let mut tx = crate::store::begin_write(&state.db).await?;
    let Some(id) = links::spend(&mut *tx, &input.token, purpose::RESET).await? else {
        return Err(bad_link("password reset"));
    };
    let Some(consumer) = consumers::get(&mut *tx, &id).await? else {
        return Err(bad_link("password reset"));
    };
    if let Err(e) = password_policy::check(
        &input.password,
        &consumer.name,
        consumer.email.as_deref().unwrap_or_default(),
    ) {
        // The link stays unspent: the consumer may try a better password.
        return Err(invalid(vec![field("/password", e)]));
    }
    let hash = passwords::hash(input.password).await?;
    consumers::update_profile(&mut *tx, &id, None, Some(&hash)).await?;
    // Following the link proves the address.
    if consumer.status == status::UNVERIFIED {
        let settings = crate::portal::settings::load(&mut *tx).await?;
        let next = if settings.registration == Registration::Approval {
            status::AWAITING_APPROVAL
        } else {
            status::ACTIVE
        };
        consumers::set_status(&mut *tx, &id, next, true).await?;
    }
    tx.commit().await?;
    state.tokens.revoke_all_of(Some(&id), None).await?;
    Ok(StatusCode::NO_CONTENT)
}
