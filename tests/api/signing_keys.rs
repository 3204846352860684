//! Tokens signed with Ed25519 keys anyone can verify (issue 44, item 3):
//! the JWK Set, rotation with an overlap, deletion, refused forgeries, the
//! HS256 opt-in, and the metadata that points clients at all of it
//! (RFC 8414, RFC 9728).

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_with};

/// The JSON of `GET path` (public, no token), asserting a 200.
async fn public_json(app: &TestApp, path: &str) -> Value {
    let answer = app.get(path).await;
    assert_eq!(answer.status(), StatusCode::OK, "GET {path}");
    answer.json().await.unwrap()
}

/// The decoded header of JWT `token`.
fn header_of(token: &str) -> Header {
    jsonwebtoken::decode_header(token).unwrap()
}

/// The admin's list of signing keys.
async fn keys(app: &TestApp) -> Vec<Value> {
    let answer = app.admin_get("/signing-keys").await;
    assert_eq!(answer.status(), StatusCode::OK);
    answer.json().await.unwrap()
}

/// `POST /admin/signing-keys`, asserting a 201; the new key.
async fn rotate(app: &TestApp) -> Value {
    let answer = app
        .admin(reqwest::Method::POST, "/signing-keys")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::CREATED);
    answer.json().await.unwrap()
}

#[tokio::test]
async fn tokens_are_signed_with_an_ed25519_key_that_an_outside_library_verifies_from_the_jwks() {
    let app = spawn_app().await;
    let client = app.create_client("reader", &[]).await;
    let token = app.client_token(&client).await;
    let header = header_of(&token);
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));

    let jwks = public_json(&app, "/authorization/jwks").await;
    let published = jwks["keys"].as_array().unwrap();
    assert_eq!(published.len(), 1, "{jwks}");
    let key = &published[0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["kid"].as_str(), header.kid.as_deref());
    assert!(key.get("d").is_none(), "the private key is never published");
    let listed = keys(&app).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "signing");
    assert_eq!(listed[0]["kid"], key["kid"]);

    // authlib (PyPI) fetches the JWK Set and checks the signature and the
    // claims on its own.
    let script = format!(
        r#"
import requests
from authlib.jose import JsonWebKey, JsonWebToken
keys = JsonWebKey.import_key_set(requests.get("{base}/authorization/jwks").json())
claims = JsonWebToken(["EdDSA"]).decode("{token}", keys, claims_options={{
    "iss": {{"essential": True, "value": "{base}"}},
    "aud": {{"essential": True, "value": "{base}"}},
}})
claims.validate()
assert claims["client_id"] == "{id}", claims
print("verified", claims["sub"])
"#,
        base = app.address,
        id = client.client_id,
    );
    let out = crate::helpers::run_tool("python", app.data_dir.path(), &["-c", &script]).await;
    assert!(out.contains("verified"), "{out}");
}

#[tokio::test]
async fn a_rotated_key_keeps_verifying_its_tokens_until_an_admin_deletes_it() {
    let app = spawn_app().await;
    let client = app.create_client("reader", &[]).await;
    let before = app.client_token(&client).await;
    let old_kid = header_of(&before).kid.unwrap();

    let new = rotate(&app).await;
    assert_eq!(new["status"], "signing");
    assert_ne!(new["kid"], old_kid.as_str());
    let after = app.client_token(&client).await;
    assert_eq!(header_of(&after).kid.as_deref(), new["kid"].as_str());
    // The overlap: the token signed before the rotation is still good.
    assert_eq!(app.whoami(&before).await.status(), StatusCode::OK);
    assert_eq!(app.whoami(&after).await.status(), StatusCode::OK);
    let listed = keys(&app).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    let old = listed
        .iter()
        .find(|k| k["kid"] == old_kid.as_str())
        .unwrap();
    assert_eq!(old["status"], "retired");
    assert!(old["expires_at"].is_string(), "{old}");
    let published = public_json(&app, "/authorization/jwks").await;
    assert_eq!(published["keys"].as_array().unwrap().len(), 2);

    // The key that signs cannot be deleted; the retired one can, and its
    // tokens are refused at once.
    let refused = app
        .admin_delete(&format!("/signing-keys/{}", new["kid"].as_str().unwrap()))
        .await;
    assert_problem(refused, 409).await;
    let unknown = app.admin_delete("/signing-keys/no-such-key").await;
    assert_problem(unknown, 404).await;
    let deleted = app.admin_delete(&format!("/signing-keys/{old_kid}")).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let stale = app.whoami(&before).await;
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);
    let body = assert_problem(stale, 401).await;
    assert!(body["detail"].as_str().unwrap().contains("key"), "{body}");
    assert_eq!(app.whoami(&after).await.status(), StatusCode::OK);
    let published = public_json(&app, "/authorization/jwks").await;
    assert_eq!(published["keys"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_keys_survive_a_restart_and_one_past_its_rotation_age_is_replaced_at_start() {
    let app = spawn_app().await;
    let client = app.create_client("reader", &[]).await;
    let token = app.client_token(&client).await;
    let kid = header_of(&token).kid.unwrap();
    let app = app.restart().await;
    assert_eq!(app.whoami(&token).await.status(), StatusCode::OK);
    assert_eq!(keys(&app).await.len(), 1, "no second key at a restart");

    // 91 days old: the default rotation (90 days) is due.
    sqlx::query("UPDATE signing_keys SET created_at = created_at - 91 * 86400")
        .execute(&app.state.db)
        .await
        .unwrap();
    let app = app.restart().await;
    crate::helpers::time_until(|| async {
        keys(&app)
            .await
            .iter()
            .any(|k| k["status"] == "signing" && k["kid"] != kid.as_str())
    })
    .await;
    // The old key verifies its token through the overlap.
    assert_eq!(app.whoami(&token).await.status(), StatusCode::OK);
    let fresh = app.client_token(&client).await;
    assert_ne!(header_of(&fresh).kid.unwrap(), kid);
}

#[tokio::test]
async fn tokens_forged_with_another_key_another_algorithm_or_none_are_refused() {
    let app = spawn_app().await;
    let client = app.create_client("reader", &[]).await;
    let real = app.client_token(&client).await;
    let header = header_of(&real);
    let claims: Value = {
        let payload = real.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    };
    let jwks = public_json(&app, "/authorization/jwks").await;
    let x = jwks["keys"][0]["x"].as_str().unwrap();

    // Another Ed25519 key under the real kid.
    let other = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let der = ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(&other).unwrap();
    let other_key =
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(der.as_bytes())).unwrap();
    // The classic confusion: HS256 keyed with the published public key.
    let confused = jsonwebtoken::encode(
        &Header {
            kid: header.kid.clone(),
            typ: header.typ.clone(),
            ..Header::new(Algorithm::HS256)
        },
        &claims,
        &EncodingKey::from_secret(x.as_bytes()),
    )
    .unwrap();
    // `alg: none`, unsigned.
    let unsigned = {
        let b64 = |v: &Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
        };
        let head = json!({"alg": "none", "typ": "at+jwt", "kid": header.kid});
        format!("{}.{}.", b64(&head), b64(&claims))
    };
    for (label, token) in [
        ("another key", other_key),
        ("HS256 keyed with the public key", confused),
        ("alg none", unsigned),
    ] {
        let answer = app.whoami(&token).await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{label}");
    }
    assert_eq!(app.whoami(&real).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn hs256_stays_available_as_an_opt_in_with_nothing_published_and_nothing_to_rotate() {
    let app = spawn_app_with(|s| {
        s.tokens.algorithm = sluice::identity::keys::TokenAlgorithm::Hs256;
    })
    .await;
    let client = app.create_client("reader", &[]).await;
    let token = app.client_token(&client).await;
    assert_eq!(header_of(&token).alg, Algorithm::HS256);
    assert_eq!(app.whoami(&token).await.status(), StatusCode::OK);
    let jwks = public_json(&app, "/authorization/jwks").await;
    assert_eq!(jwks, json!({"keys": []}));
    assert!(keys(&app).await.is_empty());
    let refused = app
        .admin(reqwest::Method::POST, "/signing-keys")
        .send()
        .await
        .unwrap();
    let body = assert_problem(refused, 409).await;
    assert!(body["detail"].as_str().unwrap().contains("HS256"), "{body}");
    let metadata = public_json(&app, "/.well-known/oauth-authorization-server").await;
    assert_eq!(
        metadata["access_token_signing_alg_values_supported"],
        json!(["HS256"])
    );
    // No relying party could verify an HS256 ID token: OpenID Connect is off.
    let openid = app.get("/.well-known/openid-configuration").await;
    let body = assert_problem(openid, 404).await;
    assert!(body["detail"].as_str().unwrap().contains("EdDSA"), "{body}");
}

#[tokio::test]
async fn clients_discover_the_issuer_its_endpoints_and_where_a_refused_call_gets_a_token() {
    let app = spawn_app().await;
    app.create_scopes(&["todo:read"]).await;
    let metadata = public_json(&app, "/.well-known/oauth-authorization-server").await;
    let base = app.address.as_str();
    assert_eq!(metadata["issuer"], base);
    assert_eq!(
        metadata["token_endpoint"],
        format!("{base}/authorization/token")
    );
    assert_eq!(
        metadata["revocation_endpoint"],
        format!("{base}/authorization/revoke")
    );
    assert_eq!(metadata["jwks_uri"], format!("{base}/authorization/jwks"));
    assert_eq!(
        metadata["introspection_endpoint"],
        format!("{base}/authorization/introspect")
    );
    assert_eq!(
        metadata["authorization_endpoint"],
        format!("{base}/authorization/authorize")
    );
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert!(
        metadata["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("todo:read"))
    );
    assert_eq!(
        metadata["access_token_signing_alg_values_supported"],
        json!(["EdDSA"])
    );
    // The issuer in the metadata is the one in the tokens (RFC 8414 §3.3).
    let client = app.create_client("reader", &["todo:read"]).await;
    let token = app.client_token(&client).await;
    let whoami: Value = app.whoami(&token).await.json().await.unwrap();
    assert!(whoami["sub"].is_string());
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["iss"], base);

    let resource = public_json(&app, "/.well-known/oauth-protected-resource").await;
    assert_eq!(resource["resource"], base);
    assert_eq!(resource["authorization_servers"], json!([base]));
    assert_eq!(resource["bearer_methods_supported"], json!(["header"]));

    // A browser app on another origin may read them.
    let cross = app
        .client
        .get(app.url("/.well-known/oauth-protected-resource"))
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.headers()["access-control-allow-origin"], "*");

    // A call refused for want of a token says where to learn how to get one.
    app.upload_example("echo").await;
    let created = app
        .create_operation(
            &json!({"name": "closed", "method": "GET", "path": "/closed",
                                  "action": "echo", "public": false, "scopes": ["todo:read"]}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let refused = app.get("/closed").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains(&format!(
            "resource_metadata=\"{base}/.well-known/oauth-protected-resource\""
        )),
        "{challenge}"
    );
    // No operation may take the metadata's paths.
    let clash = app
        .create_operation(&json!({"name": "meta", "method": "GET",
                                  "path": "/.well-known/oauth-protected-resource",
                                  "action": "echo"}))
        .await;
    assert!(clash.status().is_client_error(), "{}", clash.status());
}
