//! The authorization-code grant with PKCE (issue 44, item 1), through the
//! endpoints the consent page calls: the request it shows, the user's
//! decision, the code's exchange, and every way a request or an exchange
//! goes wrong (RFC 6749 §4.1, RFC 7636, RFC 9700, RFC 9207).

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, assert_problem, spawn_app};

const REDIRECT: &str = "https://client.example/callback";
const VERIFIER: &str = "a-verifier-of-at-least-forty-three-characters-0123456789";

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// An app `client` with one redirect URI and scope `todo:read`, a role
/// granting it, and user ada holding the role; ada's own sign-in token.
async fn setup(app: &TestApp) -> (Value, String) {
    app.create_scopes(&["todo:read", "todo:write"]).await;
    let client = app
        .admin_create(
            "/apps",
            json!({"name": "client", "scopes": ["todo:read", "todo:write"],
                   "redirect_uris": [REDIRECT]}),
        )
        .await;
    app.admin_create("/roles", json!({"name": "reader", "scopes": ["todo:read"]}))
        .await;
    app.admin_create(
        "/users",
        json!({"name": "ada", "password": "correct horse", "roles": ["reader"]}),
    )
    .await;
    let login = app.password_login("ada", "correct horse").await;
    (client, login["access_token"].as_str().unwrap().to_string())
}

/// An authorization request's query for `client`.
fn query(client: &Value, extra: &[(&str, &str)]) -> String {
    let mut params = url::form_urlencoded::Serializer::new(String::new());
    params.append_pair("response_type", "code");
    params.append_pair("client_id", client["client_id"].as_str().unwrap());
    params.append_pair("redirect_uri", REDIRECT);
    params.append_pair("scope", "todo:read");
    params.append_pair("state", "s-123");
    params.append_pair("code_challenge", &challenge(VERIFIER));
    params.append_pair("code_challenge_method", "S256");
    for (k, v) in extra {
        params.append_pair(k, v);
    }
    params.finish()
}

/// `GET /authorization/authorize/request?query` with `token`.
async fn request_view(app: &TestApp, query: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .get(app.url(&format!("/authorization/authorize/request?{query}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// `POST /authorization/authorize` with the user's decision.
async fn decide(app: &TestApp, query: &str, decision: &str, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/authorization/authorize"))
        .bearer_auth(token)
        .json(&json!({"query": query, "decision": decision}))
        .send()
        .await
        .unwrap()
}

/// The query parameters of the URL the browser is sent to.
async fn sent_to(answer: reqwest::Response) -> std::collections::HashMap<String, String> {
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    let to = url::Url::parse(body["redirect_to"].as_str().unwrap()).unwrap();
    assert_eq!(
        format!("{}://{}{}", to.scheme(), to.host_str().unwrap(), to.path()),
        REDIRECT
    );
    to.query_pairs().into_owned().collect()
}

/// The token endpoint's answer to exchanging `code`, with the client's
/// secret when it has one (a public client has none).
async fn exchange(app: &TestApp, client: &Value, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("client_id", client["client_id"].as_str().unwrap()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    if let Some(secret) = client["client_secret"].as_str() {
        form.push(("client_secret", secret));
    }
    for (k, v) in fields {
        form.retain(|(name, _)| name != k);
        form.push((k, v));
    }
    app.token_request(&form).await
}

#[tokio::test]
async fn a_user_approves_an_app_which_exchanges_the_code_with_its_verifier_once() {
    let app = spawn_app().await;
    let (client, ada) = setup(&app).await;
    // The entry point sends the browser to the consent page.
    let q = query(&client, &[]);
    let start = app
        .client
        .get(app.url(&format!("/authorization/authorize?{q}")))
        .send()
        .await
        .unwrap();
    assert_eq!(start.url().path(), "/portal/authorize");

    let view: Value = request_view(&app, &q, Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["app"], "client");
    assert_eq!(view["redirect_uri"], REDIRECT);
    assert_eq!(view["scopes"][0]["name"], "todo:read");
    assert_eq!(view["consented"], false);

    let back = sent_to(decide(&app, &q, "allow", &ada).await).await;
    assert_eq!(back["state"], "s-123");
    assert_eq!(back["iss"], app.address, "RFC 9207");
    let code = back["code"].clone();
    let answer = exchange(&app, &client, &[("code", &code)]).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let tokens: Value = answer.json().await.unwrap();
    assert_eq!(tokens["scope"], "todo:read");
    let access = tokens["access_token"].as_str().unwrap();
    let who: Value = app.whoami(access).await.json().await.unwrap();
    assert_eq!(who["user"], "ada");
    assert_eq!(who["app"], "client");
    assert!(tokens["refresh_token"].is_string());

    // The consent is remembered: the page may go on without asking.
    let again: Value = request_view(&app, &q, Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["consented"], true);

    // The same code again: refused, and what it issued is revoked.
    let replayed = exchange(&app, &client, &[("code", &code)]).await;
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
    let body: Value = replayed.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(app.whoami(access).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_clients_and_unregistered_redirects_are_shown_never_followed() {
    let app = spawn_app().await;
    let (client, ada) = setup(&app).await;
    let wrong_redirect = query(&client, &[]).replace(
        &url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        "https%3A%2F%2Fevil.example%2Fcallback",
    );
    let answer = request_view(&app, &wrong_redirect, Some(&ada)).await;
    let body = assert_problem(answer, 400).await;
    assert!(
        body["detail"].as_str().unwrap().contains("redirect_uri"),
        "{body}"
    );
    assert!(body.get("redirect_to").is_none());
    let answer = decide(&app, &wrong_redirect, "allow", &ada).await;
    assert_problem(answer, 400).await;

    let unknown = query(&client, &[]).replace(client["client_id"].as_str().unwrap(), "app_nobody");
    assert_problem(request_view(&app, &unknown, None).await, 400).await;
}

#[tokio::test]
async fn every_other_bad_request_goes_back_to_the_app_with_its_error_and_state() {
    let app = spawn_app().await;
    let (client, ada) = setup(&app).await;
    let cases: [(&str, String, &str); 5] = [
        (
            "no PKCE",
            query(&client, &[]).replace("code_challenge", "x_challenge"),
            "invalid_request",
        ),
        (
            "plain PKCE",
            query(&client, &[]).replace("S256", "plain"),
            "invalid_request",
        ),
        (
            "a token response type",
            query(&client, &[]).replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
        ),
        (
            "a scope beyond the app's",
            query(&client, &[]).replace("scope=todo%3Aread", "scope=admin"),
            "invalid_scope",
        ),
        (
            "a repeated parameter",
            format!("{}&state=again", query(&client, &[])),
            "",
        ),
    ];
    for (label, q, error) in cases {
        let answer = request_view(&app, &q, Some(&ada)).await;
        if error.is_empty() {
            assert_problem(answer, 400).await;
            continue;
        }
        let back = sent_to(answer).await;
        assert_eq!(back["error"], error, "{label}");
        assert_eq!(back["state"], "s-123", "{label}");
        assert_eq!(back["iss"], app.address, "{label}");
    }
    // Denied by the user.
    let back = sent_to(decide(&app, &query(&client, &[]), "deny", &ada).await).await;
    assert_eq!(back["error"], "access_denied");
    // A scope the app may have but the user may not grant (ada reads only).
    let q = query(&client, &[]).replace("scope=todo%3Aread", "scope=todo%3Awrite");
    let back = sent_to(decide(&app, &q, "allow", &ada).await).await;
    assert_eq!(back["error"], "invalid_scope");
}

#[tokio::test]
async fn a_code_is_refused_with_another_verifier_redirect_or_client_and_an_app_token_cannot_approve()
 {
    let app = spawn_app().await;
    let (client, ada) = setup(&app).await;
    let other = app
        .admin_create(
            "/apps",
            json!({"name": "other", "scopes": ["todo:read"], "redirect_uris": [REDIRECT]}),
        )
        .await;
    let q = query(&client, &[]);
    let code = sent_to(decide(&app, &q, "allow", &ada).await).await["code"].clone();
    for (label, fields) in [
        (
            "another verifier",
            vec![(
                "code_verifier",
                "another-verifier-of-at-least-forty-three-chars-000",
            )],
        ),
        (
            "another redirect",
            vec![("redirect_uri", "https://client.example/other")],
        ),
        (
            "another client",
            vec![
                ("client_id", other["client_id"].as_str().unwrap()),
                ("client_secret", other["client_secret"].as_str().unwrap()),
            ],
        ),
    ] {
        let mut fields = fields;
        fields.push(("code", &code));
        let answer = exchange(&app, &client, &fields).await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{label}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant", "{label}");
    }
    // A confidential client must present its secret.
    let answer = app
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", client["client_id"].as_str().unwrap()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("code", &code),
        ])
        .await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    // The right exchange still works: the failures above did not spend it.
    let answer = exchange(&app, &client, &[("code", &code)]).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let tokens: Value = answer.json().await.unwrap();

    // A token the app holds for ada may not approve requests in her name.
    let refused = decide(&app, &q, "allow", tokens["access_token"].as_str().unwrap()).await;
    assert_problem(refused, 403).await;
    let anonymous = app
        .client
        .post(app.url("/authorization/authorize"))
        .json(&json!({"query": q, "decision": "allow"}))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401).await;
}

#[tokio::test]
async fn a_public_client_refreshes_with_its_client_id_alone_and_a_stranger_cannot_spend_its_token()
{
    let app = crate::helpers::spawn_app_with(|s| {
        s.client_registration.open = true;
        s.client_registration.scopes = vec!["todo:read".into()];
    })
    .await;
    let (_, ada) = setup(&app).await;
    let client: Value = app
        .client
        .post(app.url("/authorization/register"))
        .json(
            &json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none",
                      "scope": "todo:read"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code =
        sent_to(decide(&app, &query(&client, &[]), "allow", &ada).await).await["code"].clone();
    let tokens: Value = exchange(&app, &client, &[("code", &code)])
        .await
        .json()
        .await
        .unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    // Presented without the client: refused, and not spent.
    let stranger = app
        .token_request(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .await;
    assert_eq!(stranger.status(), StatusCode::BAD_REQUEST);
    let refreshed = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", client["client_id"].as_str().unwrap()),
            ("refresh_token", refresh),
        ])
        .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    // A self-registered client may not introspect others' tokens.
    let confidential: Value = app
        .client
        .post(app.url("/authorization/register"))
        .json(&json!({"redirect_uris": [REDIRECT]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let peek = app
        .client
        .post(app.url("/authorization/introspect"))
        .basic_auth(
            confidential["client_id"].as_str().unwrap(),
            confidential["client_secret"].as_str(),
        )
        .form(&[("token", ada.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(peek.status(), StatusCode::FORBIDDEN);
    // The consent page says it is unverified.
    let view: Value = request_view(&app, &query(&client, &[]), Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["unverified"], true);
}

#[tokio::test]
async fn a_code_issued_before_its_consent_was_withdrawn_is_refused() {
    let app = spawn_app().await;
    let (client, ada) = setup(&app).await;
    let code =
        sent_to(decide(&app, &query(&client, &[]), "allow", &ada).await).await["code"].clone();
    sqlx::query("DELETE FROM consents")
        .execute(&app.state.db)
        .await
        .unwrap();
    let answer = exchange(&app, &client, &[("code", &code)]).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = spawn_app().await;
    let (client, ada) = setup(&app).await;
    let code =
        sent_to(decide(&app, &query(&client, &[]), "allow", &ada).await).await["code"].clone();
    sqlx::query("UPDATE authorization_codes SET expires_at = expires_at - 120")
        .execute(&app.state.db)
        .await
        .unwrap();
    let answer = exchange(&app, &client, &[("code", &code)]).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn openid_gives_an_id_token_the_jwks_verifies_with_the_nonce_and_userinfo_answers() {
    let app = spawn_app().await;
    let (client, ada) = setup(&app).await;
    let discovery: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], app.address);
    assert_eq!(
        discovery["userinfo_endpoint"],
        format!("{}/authorization/userinfo", app.address)
    );
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["EdDSA"])
    );
    assert_eq!(discovery["subject_types_supported"], json!(["public"]));
    assert!(
        discovery["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("openid"))
    );

    let q = query(&client, &[("nonce", "n-0S6_WzA2Mj")])
        .replace("scope=todo%3Aread", "scope=openid+profile+todo%3Aread");
    let view: Value = request_view(&app, &q, Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = view["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["todo:read", "openid", "profile"]);
    let code = sent_to(decide(&app, &q, "allow", &ada).await).await["code"].clone();
    let tokens: Value = exchange(&app, &client, &[("code", &code)])
        .await
        .json()
        .await
        .unwrap();
    let id_token = tokens["id_token"].as_str().expect("an ID token");

    let jwks: jsonwebtoken::jwk::JwkSet =
        app.get("/authorization/jwks").await.json().await.unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_issuer(&[&app.address]);
    validation.set_audience(&[client["client_id"].as_str().unwrap()]);
    let claims = jsonwebtoken::decode::<Value>(
        id_token,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["preferred_username"], "ada");
    assert_eq!(claims["azp"], client["client_id"]);
    assert!(claims.get("email").is_none(), "no email scope asked");

    let userinfo = |token: String| {
        app.client
            .get(app.url("/authorization/userinfo"))
            .bearer_auth(token)
            .send()
    };
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let info: Value = userinfo(access).await.unwrap().json().await.unwrap();
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["name"], "ada");
    // A refreshed token keeps openid.
    let refreshed: Value = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", client["client_id"].as_str().unwrap()),
            ("client_secret", client["client_secret"].as_str().unwrap()),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])
        .await
        .json()
        .await
        .unwrap();
    let info = userinfo(refreshed["access_token"].as_str().unwrap().to_string())
        .await
        .unwrap();
    assert_eq!(info.status(), StatusCode::OK);
    // An app's own token has no user to describe.
    let app_token = app
        .client_token(&crate::helpers::AppClient {
            client_id: client["client_id"].as_str().unwrap().into(),
            client_secret: client["client_secret"].as_str().unwrap().into(),
        })
        .await;
    assert_problem(userinfo(app_token).await.unwrap(), 403).await;
    assert_problem(
        app.client
            .get(app.url("/authorization/userinfo"))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
}

#[tokio::test]
async fn an_app_introspects_live_spent_revoked_and_foreign_tokens() {
    let app = spawn_app().await;
    let (client, ada) = setup(&app).await;
    let code =
        sent_to(decide(&app, &query(&client, &[]), "allow", &ada).await).await["code"].clone();
    let tokens: Value = exchange(&app, &client, &[("code", &code)])
        .await
        .json()
        .await
        .unwrap();
    let resource_server = app.create_client("resource-server", &[]).await;
    let introspect = |token: String| {
        app.client
            .post(app.url("/authorization/introspect"))
            .basic_auth(
                &resource_server.client_id,
                Some(&resource_server.client_secret),
            )
            .form(&[("token", token)])
            .send()
    };
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let live: Value = introspect(access.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(live["active"], true);
    assert_eq!(live["scope"], "todo:read");
    assert_eq!(live["username"], "ada");
    assert_eq!(live["client_id"], client["client_id"]);
    assert_eq!(live["token_type"], "Bearer");
    assert_eq!(live["iss"], app.address);
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let live: Value = introspect(refresh.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(live["active"], true);
    assert_eq!(live["token_type"], "refresh_token");
    for token in ["garbage".to_string(), "rt_0000".to_string()] {
        let inactive: Value = introspect(token).await.unwrap().json().await.unwrap();
        assert_eq!(inactive, json!({"active": false}));
    }
    // Revoking the refresh token ends its session, access token included.
    let revoked = app
        .client
        .post(app.url("/authorization/revoke"))
        .basic_auth(
            client["client_id"].as_str().unwrap(),
            client["client_secret"].as_str(),
        )
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    for token in [access.clone(), refresh] {
        let inactive: Value = introspect(token).await.unwrap().json().await.unwrap();
        assert_eq!(inactive, json!({"active": false}));
    }
    // No credentials, no answer: the endpoint is not a token oracle.
    let anonymous = app
        .client
        .post(app.url("/authorization/introspect"))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn client_registration_is_off_by_default() {
    let app = spawn_app().await;
    let refused = app
        .client
        .post(app.url("/authorization/register"))
        .json(&json!({"redirect_uris": [REDIRECT]}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "access_denied");
    let metadata: Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert!(metadata.get("registration_endpoint").is_none());
}

#[tokio::test]
async fn a_client_registers_itself_signs_a_user_in_and_may_do_nothing_else() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.client_registration.open = true;
        s.client_registration.scopes = vec!["todo:read".into()];
        s.client_registration.per_hour = 4;
    })
    .await;
    let (_, ada) = setup(&app).await;
    let metadata: Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    let endpoint = metadata["registration_endpoint"]
        .as_str()
        .unwrap()
        .to_string();
    let register = |body: Value| app.client.post(&endpoint).json(&body).send();

    // A public client (a CLI, an MCP client): no secret.
    let answer = register(
        json!({"client_name": "Inspector", "redirect_uris": [REDIRECT],
                                 "token_endpoint_auth_method": "none",
                                 "scope": "openid todo:read", "software_id": "ignored"}),
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), StatusCode::CREATED);
    let client: Value = answer.json().await.unwrap();
    assert!(client.get("client_secret").is_none(), "{client}");
    assert_eq!(client["token_endpoint_auth_method"], "none");
    assert_eq!(client["redirect_uris"], json!([REDIRECT]));
    let q = query(&client, &[]);
    let code = sent_to(decide(&app, &q, "allow", &ada).await).await["code"].clone();
    let tokens = exchange(&app, &client, &[("code", &code)]).await;
    assert_eq!(tokens.status(), StatusCode::OK);

    // A confidential one gets a secret, but no token of its own.
    let confidential: Value = register(json!({"redirect_uris": [REDIRECT]}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let own = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", confidential["client_id"].as_str().unwrap()),
            (
                "client_secret",
                confidential["client_secret"].as_str().unwrap(),
            ),
        ])
        .await;
    assert_eq!(own.status(), StatusCode::BAD_REQUEST);
    let body: Value = own.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client");

    // What registration refuses (RFC 7591 §3.2.2).
    let beyond = register(json!({"redirect_uris": [REDIRECT], "scope": "todo:write"}))
        .await
        .unwrap();
    assert_eq!(beyond.status(), StatusCode::BAD_REQUEST);
    let body: Value = beyond.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client_metadata");
    let fragment = register(json!({"redirect_uris": ["https://client.example/cb#x"]}))
        .await
        .unwrap();
    let body: Value = fragment.json().await.unwrap();
    assert_eq!(body["error"], "invalid_redirect_uri");
    // The fifth from one address in an hour.
    let flood = register(json!({"redirect_uris": [REDIRECT]}))
        .await
        .unwrap();
    assert_eq!(flood.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(flood.headers().contains_key("retry-after"));

    // The admin sees them, and a deploy leaves them alone.
    let apps: Value = app.admin_get("/apps").await.json().await.unwrap();
    let registered: Vec<&Value> = apps
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["registered_at"].is_i64())
        .collect();
    assert_eq!(registered.len(), 2);
    assert_eq!(
        registered
            .iter()
            .filter(|a| a["description"] == "Inspector")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_code_for_a_resource_gives_tokens_bound_to_it_and_never_to_a_wider_one() {
    let app = spawn_app().await;
    let (client, ada) = setup(&app).await;
    // A resource outside this server goes back to the app (RFC 8707 §2).
    let foreign = query(&client, &[("resource", "https://elsewhere.example/todo")]);
    let sent = sent_to(decide(&app, &foreign, "allow", &ada).await).await;
    assert_eq!(sent["error"], "invalid_target");
    assert_eq!(sent["state"], "s-123");

    let resource = app.url("/todo");
    let q = query(&client, &[("resource", &resource)]);
    let code = sent_to(decide(&app, &q, "allow", &ada).await).await["code"].clone();
    // Another resource at the exchange is refused, and the code not spent.
    let sideways = exchange(
        &app,
        &client,
        &[("code", &code), ("resource", &app.url("/mail"))],
    )
    .await;
    assert_eq!(sideways.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        sideways.json::<Value>().await.unwrap()["error"],
        "invalid_target"
    );
    let tokens: Value = exchange(&app, &client, &[("code", &code), ("resource", &resource)])
        .await
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    // Bound to /todo: not a token for the platform's own endpoints.
    assert_eq!(app.whoami(access).await.status(), StatusCode::UNAUTHORIZED);
    let payload = access.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], resource.as_str());

    // A refresh keeps the resource and refuses another.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let client_id = client["client_id"].as_str().unwrap();
    let secret = client["client_secret"].as_str().unwrap();
    let other = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", client_id),
            ("client_secret", secret),
            ("resource", &app.url("/mail")),
        ])
        .await;
    assert_eq!(
        other.json::<Value>().await.unwrap()["error"],
        "invalid_target"
    );
    let refreshed: Value = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .await
        .json()
        .await
        .unwrap();
    let again = refreshed["access_token"].as_str().unwrap();
    assert_eq!(app.whoami(again).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn prompt_none_answers_without_a_page_and_prompt_consent_always_asks() {
    let app = spawn_app().await;
    let (client, ada) = setup(&app).await;
    let view = |q: String, token: Option<String>| {
        let app = &app;
        async move {
            let answer = request_view(app, &q, token.as_deref()).await;
            assert_eq!(answer.status(), StatusCode::OK);
            answer.json::<Value>().await.unwrap()
        }
    };
    let error_of = |body: Value| {
        let to = url::Url::parse(body["redirect_to"].as_str().unwrap()).unwrap();
        let params: std::collections::HashMap<String, String> =
            to.query_pairs().into_owned().collect();
        (params["error"].clone(), params["state"].clone())
    };
    let none = query(&client, &[("prompt", "none")]);
    // Nobody signed in, then signed in without a consent: errors for the app.
    assert_eq!(
        error_of(view(none.clone(), None).await),
        ("login_required".to_string(), "s-123".to_string())
    );
    assert_eq!(
        error_of(view(none.clone(), Some(ada.clone())).await).0,
        "consent_required"
    );
    // Once allowed, prompt=none goes on without asking.
    sent_to(decide(&app, &query(&client, &[]), "allow", &ada).await).await;
    let silent = view(none, Some(ada.clone())).await;
    assert_eq!(silent["consented"], true, "{silent}");
    assert_eq!(
        silent["reauthenticate"], false,
        "a sign-in of seconds ago is fresh"
    );
    // prompt=consent asks again; a fresh sign-in satisfies max_age.
    let again = view(query(&client, &[("prompt", "consent")]), Some(ada.clone())).await;
    assert_eq!(again["consented"], false);
    let aged = view(query(&client, &[("max_age", "0")]), Some(ada.clone())).await;
    assert_eq!(aged["reauthenticate"], false);
    // Malformed values go back to the app.
    for extra in [
        ("prompt", "none login"),
        ("prompt", "sometimes"),
        ("max_age", "-1"),
    ] {
        let body = view(query(&client, &[extra]), Some(ada.clone())).await;
        assert_eq!(error_of(body).0, "invalid_request", "{extra:?}");
    }
}
