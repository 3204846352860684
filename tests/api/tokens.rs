//! The OAuth2 token endpoint, revocation and whoami (RFC 6749, 7009).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn with_user(app: &TestApp) {
    app.create_scopes(&["todo:read", "todo:write"]).await;
    app.admin_create("/roles", json!({"name": "reader", "scopes": ["todo:read"]}))
        .await;
    app.admin_create(
        "/users",
        json!({"name": "ada", "password": "correct horse", "roles": ["reader"]}),
    )
    .await;
}

fn oauth_error(body: &Value, code: &str) {
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
}

#[tokio::test]
async fn client_credentials_in_basic_auth_or_form_fields_give_a_bearer_token_with_the_apps_scopes()
{
    let app = spawn_app().await;
    app.create_scopes(&["todo:read", "todo:write"]).await;
    let client = app
        .create_client("shop", &["todo:read", "todo:write"])
        .await;

    let basic = app
        .client
        .post(app.url("/authorization/token"))
        .basic_auth(&client.client_id, Some(&client.client_secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "todo:read")])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::OK);
    assert_eq!(basic.headers()["cache-control"], "no-store");
    let body: Value = basic.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "todo:read");
    assert_eq!(body["expires_in"], 3600);
    assert!(body.get("refresh_token").is_none(), "RFC 6749 §4.4.3");

    let token = app.client_token(&client).await;
    let who: Value = app.whoami(&token).await.json().await.unwrap();
    assert_eq!(who["app"], "shop");
    assert_eq!(who["client_id"], client.client_id.as_str());
    assert_eq!(who["user"], Value::Null);
    assert_eq!(who["scopes"], json!(["todo:read", "todo:write"]));
}

#[tokio::test]
async fn token_errors_use_the_rfc_6749_codes() {
    let app = spawn_app().await;
    with_user(&app).await;
    let client = app.create_client("shop", &["todo:read"]).await;

    let wrong_secret = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client.client_id),
            ("client_secret", "cs_wrong"),
        ])
        .await;
    assert_eq!(wrong_secret.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong_secret.headers().contains_key("www-authenticate"));
    oauth_error(&wrong_secret.json().await.unwrap(), "invalid_client");

    let no_client = app
        .token_request(&[("grant_type", "client_credentials")])
        .await;
    assert_eq!(no_client.status(), StatusCode::UNAUTHORIZED);
    oauth_error(&no_client.json().await.unwrap(), "invalid_client");

    let wrong_password = app
        .token_request(&[
            ("grant_type", "password"),
            ("username", "ada"),
            ("password", "wrong password"),
        ])
        .await;
    assert_eq!(wrong_password.status(), StatusCode::BAD_REQUEST);
    oauth_error(&wrong_password.json().await.unwrap(), "invalid_grant");

    let unknown_user = app
        .token_request(&[
            ("grant_type", "password"),
            ("username", "nobody"),
            ("password", "correct horse"),
        ])
        .await;
    oauth_error(&unknown_user.json().await.unwrap(), "invalid_grant");

    let too_much = app
        .token_request(&[
            ("grant_type", "password"),
            ("username", "ada"),
            ("password", "correct horse"),
            ("scope", "todo:read todo:write"),
        ])
        .await;
    assert_eq!(too_much.status(), StatusCode::BAD_REQUEST);
    oauth_error(&too_much.json().await.unwrap(), "invalid_scope");

    let unsupported = app
        .token_request(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", "x"),
        ])
        .await;
    assert_eq!(unsupported.status(), StatusCode::BAD_REQUEST);
    oauth_error(&unsupported.json().await.unwrap(), "unsupported_grant_type");

    // A public client's code exchange names its client.
    let anonymous_code = app
        .token_request(&[("grant_type", "authorization_code"), ("code", "x")])
        .await;
    assert_eq!(anonymous_code.status(), StatusCode::BAD_REQUEST);
    oauth_error(&anonymous_code.json().await.unwrap(), "invalid_request");

    let missing = app.token_request(&[("grant_type", "password")]).await;
    oauth_error(&missing.json().await.unwrap(), "invalid_request");

    let json_body = app
        .client
        .post(app.url("/authorization/token"))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), StatusCode::BAD_REQUEST);
    oauth_error(&json_body.json().await.unwrap(), "invalid_request");
}

#[tokio::test]
async fn the_password_grant_gives_a_refresh_token_that_rotates_and_cannot_be_replayed() {
    let app = spawn_app().await;
    with_user(&app).await;
    let first: Value = app.password_login("ada", "correct horse").await;
    assert_eq!(first["scope"], "todo:read");
    let refresh = first["refresh_token"].as_str().unwrap();

    let second = app
        .token_request(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .await;
    assert_eq!(second.status(), StatusCode::OK);
    let second: Value = second.json().await.unwrap();
    let new_refresh = second["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, refresh, "rotated");
    let who: Value = app
        .whoami(second["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(who["user"], "ada");

    // Replaying the spent token fails and revokes the whole session.
    let replay = app
        .token_request(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .await;
    oauth_error(&replay.json().await.unwrap(), "invalid_grant");
    let after = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", new_refresh),
        ])
        .await;
    oauth_error(&after.json().await.unwrap(), "invalid_grant");
    let revoked = app.whoami(second["access_token"].as_str().unwrap()).await;
    assert_problem(revoked, 401).await;
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_session_and_revoking_an_access_token_needs_its_app() {
    let app = spawn_app().await;
    with_user(&app).await;
    let login: Value = app.password_login("ada", "correct horse").await;
    let access = login["access_token"].as_str().unwrap();
    let revoke = app
        .client
        .post(app.url("/authorization/revoke"))
        .form(&[
            ("token", login["refresh_token"].as_str().unwrap()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::OK);
    let whoami = app.whoami(access).await;
    let body = assert_problem(whoami, 401).await;
    assert!(body["detail"].as_str().unwrap().contains("revoked"));

    let client = app.create_client("shop", &["todo:read"]).await;
    let token = app.client_token(&client).await;
    let anonymous = app
        .client
        .post(app.url("/authorization/revoke"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let by_app = app
        .client
        .post(app.url("/authorization/revoke"))
        .basic_auth(&client.client_id, Some(&client.client_secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(by_app.status(), StatusCode::OK);
    let unknown = app
        .client
        .post(app.url("/authorization/revoke"))
        .form(&[("token", "not-a-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::OK, "RFC 7009 §2.2");
}

#[tokio::test]
async fn an_apps_secret_is_shown_once_stored_as_argon2id_and_rotation_replaces_it() {
    let app = spawn_app().await;
    app.create_scopes(&["todo:read"]).await;
    let client = app.create_client("shop", &["todo:read"]).await;
    for path in ["/apps", "/apps/shop"] {
        let text = app.admin_get(path).await.text().await.unwrap();
        assert!(text.contains(&client.client_id));
        assert!(!text.contains(&client.client_secret), "{path}: {text}");
        assert!(!text.contains("secret_hash") && !text.contains("argon2"));
    }
    let stored: String = sqlx::query_scalar("SELECT secret_hash FROM apps WHERE name = 'shop'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(!stored.contains(&client.client_secret));

    let old_token = app.client_token(&client).await;
    let rotated: Value = app.admin_post("/apps/shop/secret").await;
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, client.client_secret);
    let old = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client.client_id),
            ("client_secret", &client.client_secret),
        ])
        .await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client.client_id),
            ("client_secret", new_secret),
        ])
        .await;
    assert_eq!(new.status(), StatusCode::OK);
    let who = app.whoami(&old_token).await;
    assert_eq!(
        who.status(),
        StatusCode::OK,
        "issued tokens outlive a rotation"
    );
}

#[tokio::test]
async fn a_users_password_is_never_returned_and_deleting_the_user_revokes_its_tokens() {
    let app = spawn_app().await;
    with_user(&app).await;
    let text = app.admin_get("/users").await.text().await.unwrap();
    assert!(text.contains("ada") && !text.contains("correct horse") && !text.contains("argon2"));
    let login: Value = app.password_login("ada", "correct horse").await;
    assert_eq!(
        app.admin_delete("/users/ada").await.status(),
        StatusCode::NO_CONTENT
    );
    let who = app.whoami(login["access_token"].as_str().unwrap()).await;
    assert_problem(who, 401).await;
}

#[tokio::test]
async fn scopes_in_use_cannot_be_deleted_and_unknown_scopes_are_refused() {
    let app = spawn_app().await;
    with_user(&app).await;
    let conflict = app.admin_delete("/scopes/todo:read").await;
    let body = assert_problem(conflict, 409).await;
    assert!(body["detail"].as_str().unwrap().contains("role reader"));
    assert_problem(app.admin_delete("/scopes/admin").await, 409).await;
    let unknown = app
        .admin(reqwest::Method::POST, "/apps")
        .json(&json!({"name": "x", "scopes": ["nope"]}))
        .send()
        .await
        .unwrap();
    assert_problem(unknown, 422).await;
    let bad_name = app
        .admin(reqwest::Method::POST, "/scopes")
        .json(&json!({"name": "has space"}))
        .send()
        .await
        .unwrap();
    assert_problem(bad_name, 400).await;
    assert_eq!(
        app.admin_delete("/scopes/todo:write").await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn the_token_endpoint_counts_against_the_default_rate_limit_per_client_ip() {
    let app = spawn_app().await;
    let tightened = app
        .admin(reqwest::Method::PUT, "/rate-limits/default")
        .json(&json!({"name": "default", "requests": 3, "window_seconds": 3600}))
        .send()
        .await
        .unwrap();
    assert_eq!(tightened.status(), StatusCode::OK);
    for _ in 0..3 {
        let guess = app
            .token_request(&[
                ("grant_type", "password"),
                ("username", "ada"),
                ("password", "guess"),
            ])
            .await;
        assert_eq!(guess.status(), StatusCode::BAD_REQUEST);
    }
    let refused = app
        .token_request(&[
            ("grant_type", "password"),
            ("username", "ada"),
            ("password", "guess"),
        ])
        .await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    oauth_error(&refused.json().await.unwrap(), "rate_limited");
}
