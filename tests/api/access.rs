//! Who may call an operation: the full matrix of token states against a
//! public and a private operation (RFC 6750 answers).

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sluice::identity::tokens::Claims;

use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_with};

/// `echo` as a public `GET /open/:x` and as a private `GET /closed/:x`
/// guarded by scope `todo:read`; apps `reader` (todo:read) and `other`
/// (other).
async fn guarded(app: &TestApp) -> (String, String) {
    app.upload_example("echo").await;
    app.create_scopes(&["todo:read", "other"]).await;
    for (name, path, public, scopes) in [
        ("open", "/open/:x", true, json!([])),
        ("closed", "/closed/:x", false, json!(["todo:read"])),
    ] {
        app.admin_create(
            "/operations",
            json!({"name": name, "method": "GET", "path": path, "action": "echo",
                   "public": public, "scopes": scopes}),
        )
        .await;
    }
    let reader = app.create_client("reader", &["todo:read"]).await;
    let other = app.create_client("other", &["other"]).await;
    (
        app.client_token(&reader).await,
        app.client_token(&other).await,
    )
}

fn sign(key: &[u8], claims: &Claims) -> String {
    let header = Header {
        typ: Some("at+jwt".into()),
        ..Header::new(Algorithm::HS256)
    };
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(key)).unwrap()
}

fn claims(issuer: &str, now: i64, exp: i64) -> Claims {
    Claims {
        iss: issuer.into(),
        aud: issuer.into(),
        sub: "app_x".into(),
        exp,
        iat: now,
        jti: "forged-jti".into(),
        sid: "forged-sid".into(),
        scope: "todo:read".into(),
        client_id: Some("app_x".into()),
        app: Some("reader".into()),
        user: None,
    }
}

async fn call(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

fn challenge(response: &reqwest::Response) -> String {
    response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn every_token_state_gets_the_right_answer_on_public_and_private_operations() {
    // Under the HS256 opt-in, so that the test can sign an expired token
    // with the server's own secret (the Ed25519 keys are sealed in the
    // control plane); signing_keys.rs covers what is particular to EdDSA.
    let app = spawn_app_with(|s| {
        s.tokens.algorithm = sluice::identity::keys::TokenAlgorithm::Hs256;
    })
    .await;
    let issuer = app.state.tokens.settings().issuer.clone();
    let (right, wrong_scope) = guarded(&app).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // The signing key: configured on a PostgreSQL control plane, else the
    // file generated in the data directory.
    let key = hex::decode(app.state.settings.tokens.key.clone().unwrap_or_else(|| {
        std::fs::read_to_string(app.data_dir.path().join("jwt.key"))
            .unwrap()
            .trim()
            .to_string()
    }))
    .unwrap();
    let expired = sign(&key, &claims(&issuer, now - 120, now - 60));
    let forged = sign(&[7u8; 32], &claims(&issuer, now, now + 600));
    let revoked = {
        let client = app.create_client("gone", &["todo:read"]).await;
        let token = app.client_token(&client).await;
        let answer = app
            .client
            .post(app.url("/authorization/revoke"))
            .basic_auth(&client.client_id, Some(&client.client_secret))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        token
    };
    let malformed = "not.a.jwt".to_string();

    // (token, status on the public operation, status on the private one)
    let cases: [(&str, Option<&String>, u16, u16); 7] = [
        ("no token", None, 200, 401),
        ("malformed", Some(&malformed), 401, 401),
        ("wrong signature", Some(&forged), 401, 401),
        ("expired", Some(&expired), 401, 401),
        ("revoked", Some(&revoked), 401, 401),
        ("missing scope", Some(&wrong_scope), 200, 403),
        ("right scope", Some(&right), 200, 200),
    ];
    for (label, token, open, closed) in cases {
        for (path, want) in [("/open/a", open), ("/closed/a", closed)] {
            let response = call(&app, path, token.map(String::as_str)).await;
            assert_eq!(response.status().as_u16(), want, "{label} on {path}");
            match want {
                401 => {
                    let header = challenge(&response);
                    assert!(header.starts_with("Bearer realm=\"sluice\""), "{header}");
                    if token.is_some() {
                        assert!(
                            header.contains("error=\"invalid_token\""),
                            "{label}: {header}"
                        );
                    } else {
                        assert!(!header.contains("error="), "{header}");
                    }
                    assert_problem(response, 401).await;
                }
                403 => {
                    let header = challenge(&response);
                    assert!(header.contains("error=\"insufficient_scope\""), "{header}");
                    assert!(header.contains("scope=\"todo:read\""), "{header}");
                    let body = assert_problem(response, 403).await;
                    assert_eq!(body["type"], "urn:sluice:problem:insufficient-scope");
                }
                _ => {}
            }
        }
    }
}

#[tokio::test]
async fn the_action_sees_the_app_user_and_scopes_but_not_the_token() {
    let app = spawn_app().await;
    let (right, _) = guarded(&app).await;
    let answer: Value = call(&app, "/closed/a", Some(&right))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["context"]["app"], "reader");
    assert_eq!(answer["context"]["user"], Value::Null);
    assert_eq!(answer["context"]["scopes"], json!(["todo:read"]));
    let headers = answer["headers"].to_string();
    assert!(
        !headers.contains(&right),
        "the bearer token is not passed on"
    );

    app.admin_create("/roles", json!({"name": "reader", "scopes": ["todo:read"]}))
        .await;
    app.admin_create(
        "/users",
        json!({"name": "ada", "password": "correct horse", "roles": ["reader"]}),
    )
    .await;
    let login: Value = app.password_login("ada", "correct horse").await;
    let answer: Value = call(&app, "/closed/b", login["access_token"].as_str())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["context"]["user"], "ada");
    assert_eq!(answer["context"]["app"], Value::Null);

    let anonymous: Value = call(&app, "/open/c", None).await.json().await.unwrap();
    assert_eq!(anonymous["context"]["scopes"], json!([]));
}

#[tokio::test]
async fn the_openapi_document_says_which_operations_need_which_scopes() {
    let app = spawn_app().await;
    guarded(&app).await;
    let doc: Value = app.get("/system/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["paths"]["/open/{x}"]["get"]["security"], json!([]));
    assert_eq!(
        doc["paths"]["/closed/{x}"]["get"]["security"],
        json!([{"oauth2": ["todo:read"]}])
    );
    let flows = &doc["components"]["securitySchemes"]["oauth2"]["flows"];
    assert_eq!(
        flows["clientCredentials"]["tokenUrl"],
        "/authorization/token"
    );
    assert!(flows["password"]["scopes"]["todo:read"].is_string());
}

#[tokio::test]
async fn a_private_operation_without_scopes_takes_any_valid_token() {
    let app = spawn_app().await;
    let (_, wrong_scope) = guarded(&app).await;
    app.admin_create(
        "/operations",
        json!({"name": "members", "method": "GET", "path": "/members", "action": "echo",
               "public": false}),
    )
    .await;
    assert_eq!(call(&app, "/members", None).await.status(), 401);
    assert_eq!(
        call(&app, "/members", Some(&wrong_scope)).await.status(),
        200
    );
}

#[tokio::test]
async fn operations_are_private_unless_marked_public() {
    let app = spawn_app().await;
    app.upload_example("echo").await;
    let created = app
        .admin(reqwest::Method::POST, "/operations")
        .json(&json!({"name": "e", "method": "GET", "path": "/e", "action": "echo"}))
        .send()
        .await
        .unwrap();
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["public"], false);
    assert_eq!(call(&app, "/e", None).await.status(), 401);
    let unknown_scope = app
        .admin(reqwest::Method::POST, "/operations")
        .json(
            &json!({"name": "f", "method": "GET", "path": "/f", "action": "echo",
                      "scopes": ["nope"]}),
        )
        .send()
        .await
        .unwrap();
    assert_problem(unknown_scope, 422).await;
}

#[tokio::test]
async fn the_admin_api_takes_tokens_with_the_admin_scope_only() {
    let app = spawn_app().await;
    let (reader, _) = guarded(&app).await;
    let forbidden = app
        .client
        .get(app.url("/admin/actions"))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert!(challenge(&forbidden).contains("insufficient_scope"));
    assert_problem(forbidden, 403).await;

    let admin = app.create_client("ops", &["admin"]).await;
    let token = app.client_token(&admin).await;
    let allowed = app
        .client
        .get(app.url("/admin/actions"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
}
