//! The console's origin kept apart from hosted actions (issue 42, item 8):
//! the admin surface on a listener of its own (`SLUICE_ADMIN_LISTEN`),
//! action answers sandboxed by their `Content-Security-Policy` unless the
//! operation opts out, and `/system/docs` without inline scripts.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::builtins::make;
use crate::helpers::{ADMIN_TOKEN, TestApp, assert_problem, spawn_app, spawn_app_with};

/// A server whose admin surface has its own listener on a free port.
async fn split_app() -> TestApp {
    spawn_app_with(|s| s.admin_listen = Some("127.0.0.1:0".parse().unwrap())).await
}

/// Makes a `static-response` action answering `body` as `content_type`
/// with the extra `headers`, and routes `GET path` to it as `name`; the
/// operation's fields are merged with `fields`.
async fn page(app: &TestApp, name: &str, path: &str, headers: Value, fields: Value) {
    let mut all_headers = json!({"content-type": "text/html; charset=utf-8"});
    for (key, value) in headers.as_object().unwrap() {
        all_headers[key] = value.clone();
    }
    let made = make(
        app,
        json!({"name": name, "builtin": "static-response", "config": {
            "headers": all_headers,
            "body": "<h1>hello</h1><script>document.title = sessionStorage.length</script>"}}),
    )
    .await;
    assert_eq!(made.status(), StatusCode::CREATED, "{name}");
    let mut operation = json!({"name": name, "method": "GET", "path": path, "action": name});
    for (key, value) in fields.as_object().unwrap() {
        operation[key] = value.clone();
    }
    let created = app.create_operation(&operation).await;
    assert_eq!(
        created.status(),
        StatusCode::CREATED,
        "{}",
        created.text().await.unwrap()
    );
}

/// Every `Content-Security-Policy` header of `response`.
fn policies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("content-security-policy")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn with_an_admin_listener_the_admin_api_and_console_answer_there_and_404_on_the_main_one() {
    let app = split_app().await;
    assert_ne!(app.address, app.admin_address);
    app.deploy("hello", "hello", "GET", "/hello/:name").await;

    let client = &app.client;
    let on = |base: &str, path: &str| format!("{base}{path}");
    let listed = client
        .get(on(&app.admin_address, "/admin/operations"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let console = client
        .get(on(&app.admin_address, "/console/operations"))
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), StatusCode::OK);
    assert!(console.text().await.unwrap().contains("<html"));

    for path in [
        "/admin/operations",
        "/admin",
        "/console",
        "/console/operations",
    ] {
        let refused = client
            .get(on(&app.address, path))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(refused, 404).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("SLUICE_ADMIN_LISTEN"),
            "{path}: {problem}"
        );
    }
    // Changing things through the main listener is refused as well.
    let created = client
        .post(on(&app.address, "/admin/scopes"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"name": "sneaky"}))
        .send()
        .await
        .unwrap();
    assert_problem(created, 404).await;

    // Operations are served on the main listener only.
    let hello = client
        .get(on(&app.address, "/hello/ada"))
        .send()
        .await
        .unwrap();
    assert_eq!(hello.status(), StatusCode::OK);
    let not_here = client
        .get(on(&app.admin_address, "/hello/ada"))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(not_here, 404).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("SLUICE_LISTEN"),
        "{problem}"
    );

    // Both sign people in and answer probes.
    app.admin_create(
        "/users",
        json!({"name": "ada", "password": "analytical-engine", "roles": ["admin"]}),
    )
    .await;
    for base in [&app.address, &app.admin_address] {
        let health = client.get(on(base, "/system/health")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK, "{base}");
        let token = client
            .post(on(base, "/authorization/token"))
            .form(&[
                ("grant_type", "password"),
                ("username", "ada"),
                ("password", "analytical-engine"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(token.status(), StatusCode::OK, "{base}");
    }
}

#[tokio::test]
async fn without_an_admin_listener_one_address_serves_everything() {
    let app = spawn_app().await;
    assert_eq!(app.address, app.admin_address);
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    assert_eq!(app.get("/hello/ada").await.status(), StatusCode::OK);
    assert_eq!(app.admin_get("/operations").await.status(), StatusCode::OK);
    assert_eq!(app.get("/console").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_admin_listener_refuses_addresses_the_ip_rules_deny() {
    let app = split_app().await;
    // A rule that expires at once would not show it; a deny for loopback
    // shuts the admin out of both listeners (the rules are global).
    app.admin_create(
        "/ip-rules",
        json!({"name": "no-loopback", "cidr": "127.0.0.0/8", "effect": "deny"}),
    )
    .await;
    let refused = app
        .client
        .get(format!("{}/admin/operations", app.admin_address))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_problem(refused, 403).await;
    let refused = app
        .client
        .get(format!("{}/console", app.admin_address))
        .send()
        .await
        .unwrap();
    assert_problem(refused, 403).await;
}

#[tokio::test]
async fn an_operation_answering_html_is_sandboxed_and_not_sniffed() {
    let app = spawn_app().await;
    page(&app, "reflect", "/reflect", json!({}), json!({})).await;
    let answer = app.get("/reflect").await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(policies(&answer), ["sandbox"]);
    assert_eq!(answer.headers()["x-content-type-options"], "nosniff");
    assert!(answer.text().await.unwrap().contains("<script>"));

    let shown: Value = app
        .admin_get("/operations/reflect")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["sandbox"], true, "{shown}");

    // A JSON answer too: a browser opening it gets no origin either.
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    let answer = app.get("/hello/ada").await;
    assert_eq!(policies(&answer), ["sandbox"]);
    assert_eq!(answer.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn an_operation_that_opts_out_of_the_sandbox_is_served_without_it() {
    let app = spawn_app().await;
    page(
        &app,
        "site",
        "/site",
        json!({"content-security-policy": "default-src 'self'"}),
        json!({"sandbox": false}),
    )
    .await;
    let answer = app.get("/site").await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(policies(&answer), ["default-src 'self'"]);
    assert_eq!(answer.headers()["x-content-type-options"], "nosniff");

    // Turned back on with a patch.
    let patched = app
        .admin_patch("/operations/site", &json!({"sandbox": true}))
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let answer = app.get("/site").await;
    assert_eq!(policies(&answer), ["default-src 'self'", "sandbox"]);
}

#[tokio::test]
async fn an_action_cannot_lift_the_sandbox_with_a_policy_of_its_own() {
    let app = spawn_app().await;
    page(
        &app,
        "loose",
        "/loose",
        json!({"content-security-policy": "script-src * 'unsafe-inline'",
               "x-content-type-options": "nosniff"}),
        json!({}),
    )
    .await;
    let answer = app.get("/loose").await;
    // Both policies reach the browser, which enforces each of them.
    assert_eq!(
        policies(&answer),
        ["script-src * 'unsafe-inline'", "sandbox"]
    );
    let sniffing: Vec<_> = answer
        .headers()
        .get_all("x-content-type-options")
        .iter()
        .collect();
    assert_eq!(sniffing, ["nosniff"]);
}

#[tokio::test]
async fn a_deploy_file_sets_the_sandbox_and_defaults_it_to_on() {
    let app = spawn_app().await;
    page(&app, "site", "/site", json!({}), json!({"sandbox": false})).await;
    let deploy = |sandbox: Option<bool>| {
        let mut entry = json!({"method": "GET", "path": "/site", "action": "site", "public": true});
        if let Some(sandbox) = sandbox {
            entry["sandbox"] = json!(sandbox);
        }
        let app = &app;
        async move {
            let answer = app
                .admin(reqwest::Method::POST, "/deploy")
                .json(&json!({"operations": {"site": entry}}))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), StatusCode::OK);
            let plan: Value = answer.json().await.unwrap();
            plan["changes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == "site")
                .cloned()
                .unwrap_or_else(|| panic!("{plan}"))
        }
    };
    let same = deploy(Some(false)).await;
    assert_eq!(same["change"], "unchanged", "{same}");
    assert!(policies(&app.get("/site").await).is_empty());

    let changed = deploy(None).await;
    assert_eq!(changed["change"], "update", "{changed}");
    assert_eq!(
        changed["fields"],
        json!([{"field": "sandbox", "from": false, "to": true}])
    );
    assert_eq!(policies(&app.get("/site").await), ["sandbox"]);
}

#[tokio::test]
async fn the_docs_page_allows_no_inline_script_and_treats_the_spec_as_untrusted() {
    let app = spawn_app().await;
    let page = app.get("/system/docs").await;
    assert_eq!(page.status(), StatusCode::OK);
    let policy = policies(&page).join("; ");
    let scripts = policy
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap_or_else(|| panic!("no script-src in {policy}"));
    assert!(!scripts.contains("'unsafe-inline'"), "{policy}");
    assert!(!scripts.contains("blob:"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(html.contains("untrusted-spec=\"true\""), "{html}");
    // Every script is a file of this server.
    for script in html.split("<script").skip(1) {
        assert!(script.trim_start().starts_with("src="), "{html}");
    }
}

#[tokio::test]
async fn the_console_on_an_admin_listener_learns_the_public_origin_and_may_call_operations_there() {
    let app = split_app().await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    let client = &app.client;
    let (public, console) = (app.address.as_str(), app.admin_address.as_str());

    // The console asks where operations are served; the public listener
    // has no other origin to name.
    let about: Value = client
        .get(format!("{console}/system/about"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(about["api_origin"], public, "{about}");
    let about: Value = client
        .get(format!("{public}/system/about"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(about.get("api_origin").is_none(), "{about}");

    // The console's page may connect there, and nowhere else.
    let page = client
        .get(format!("{console}/console/operations/hello"))
        .send()
        .await
        .unwrap();
    let csp = policies(&page).join("; ");
    assert!(
        csp.contains(&format!("connect-src 'self' {public};")),
        "{csp}"
    );

    // "Try it" from the console's origin: the preflight for a request with
    // the bearer token is allowed, and so is the request, though the
    // operation has no CORS policy of its own.
    let preflight = client
        .request(reqwest::Method::OPTIONS, format!("{public}/hello/ada"))
        .header("origin", console)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
    };
    assert_eq!(
        header(&preflight, "access-control-allow-origin").as_deref(),
        Some(console)
    );
    assert!(
        header(&preflight, "access-control-allow-headers")
            .is_some_and(|h| h.contains("authorization")),
        "{:?}",
        preflight.headers()
    );
    // The console sends the admin's access token (a JWT from its sign-in).
    let admin_app = app.create_client("console-try", &["admin"]).await;
    let token = app.client_token(&admin_app).await;
    let tried = client
        .get(format!("{public}/hello/ada"))
        .header("origin", console)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(tried.status(), StatusCode::OK);
    assert_eq!(
        header(&tried, "access-control-allow-origin").as_deref(),
        Some(console)
    );

    // Any other origin — another port on the same host, another host — is
    // not let in.
    let port: u16 = console.rsplit(':').next().unwrap().parse().unwrap();
    for stranger in [
        format!("http://127.0.0.1:{}", port.wrapping_add(1)),
        format!("http://localhost:{port}"),
        "https://evil.example".to_string(),
    ] {
        let refused = client
            .request(reqwest::Method::OPTIONS, format!("{public}/hello/ada"))
            .header("origin", &stranger)
            .header("access-control-request-method", "GET")
            .send()
            .await
            .unwrap();
        assert!(
            refused
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{stranger}: {:?}",
            refused.headers()
        );
    }
}
