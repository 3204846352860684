//! CORS: preflights answered by the gateway itself, the headers on real
//! answers and on problems, per-operation policies, and a real browser
//! calling operations from another origin.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with, started_server};

const APP_ORIGIN: &str = "http://app.test";

async fn preflight(app: &TestApp, path: &str, origin: &str, method: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

/// `GET path` sent from a page on `origin`.
async fn get_from(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("origin", origin)
        .send()
        .await
        .unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

fn access_control_headers(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .map(|k| k.to_string())
        .collect()
}

async fn app_with_hello(origins: &[&str]) -> TestApp {
    let origins: Vec<String> = origins.iter().map(|s| s.to_string()).collect();
    let app = spawn_app_with(|s| s.cors_origins = origins).await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    app
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_answered_without_the_action_or_the_rate_limit() {
    let app = app_with_hello(&[APP_ORIGIN]).await;
    app.admin_create(
        "/rate-limits",
        json!({"name": "one", "priority": 10, "operation": "hello",
               "requests": 1, "window_seconds": 3600}),
    )
    .await;
    for _ in 0..3 {
        let answer = preflight(&app, "/hello/ada", APP_ORIGIN, "GET").await;
        assert!(answer.status().is_success(), "{}", answer.status());
        assert_eq!(
            header(&answer, "access-control-allow-origin"),
            Some(APP_ORIGIN)
        );
        assert!(
            header(&answer, "access-control-allow-methods")
                .unwrap()
                .contains("GET")
        );
        assert_eq!(
            header(&answer, "access-control-allow-headers"),
            Some("authorization, content-type")
        );
        assert_eq!(header(&answer, "access-control-max-age"), Some("600"));
        assert!(header(&answer, "ratelimit-remaining").is_none());
        assert_eq!(answer.text().await.unwrap(), "");
    }
    // The preflights spent none of the one request the rule allows.
    let real = get_from(&app, "/hello/ada", APP_ORIGIN).await;
    assert_eq!(real.status(), StatusCode::OK);
    assert_eq!(
        header(&real, "access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
    let exposed = header(&real, "access-control-expose-headers").unwrap();
    for name in ["ratelimit-remaining", "x-request-id", "retry-after"] {
        assert!(exposed.contains(name), "{name} not in {exposed}");
    }
    assert!(header(&real, "vary").unwrap().contains("origin"));
    // And the one after it is refused, still readable by the script.
    let refused = get_from(&app, "/hello/ada", APP_ORIGIN).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(&refused, "access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
}

#[tokio::test]
async fn a_preflight_from_another_origin_gets_no_cors_headers() {
    let app = app_with_hello(&[APP_ORIGIN]).await;
    let answer = preflight(&app, "/hello/ada", "http://evil.test", "GET").await;
    assert_eq!(access_control_headers(&answer), Vec::<String>::new());
    let real = get_from(&app, "/hello/ada", "http://evil.test").await;
    assert_eq!(real.status(), StatusCode::OK);
    assert!(header(&real, "access-control-allow-origin").is_none());
}

#[tokio::test]
async fn problems_carry_the_cors_headers_so_a_script_can_read_them() {
    let app = app_with_hello(&[APP_ORIGIN]).await;
    let private = app
        .create_operation(
            &json!({"name": "private", "method": "GET", "path": "/private/:name",
                                  "action": "hello", "public": false}),
        )
        .await;
    assert_eq!(private.status(), StatusCode::CREATED);
    for (path, status) in [
        ("/private/ada", StatusCode::UNAUTHORIZED),
        ("/nowhere", StatusCode::NOT_FOUND),
    ] {
        let answer = get_from(&app, path, APP_ORIGIN).await;
        assert_eq!(answer.status(), status, "{path}");
        assert_eq!(
            header(&answer, "access-control-allow-origin"),
            Some(APP_ORIGIN),
            "{path}"
        );
        assert_eq!(
            header(&answer, "content-type"),
            Some("application/problem+json")
        );
    }
}

#[tokio::test]
async fn an_operation_policy_overrides_the_global_origins() {
    let app = app_with_hello(&[APP_ORIGIN]).await;
    let own = json!({"origins": ["https://partner.test"], "methods": ["GET", "POST"],
                     "headers": ["x-partner"], "expose": ["x-request-id"],
                     "credentials": true, "max_age": 60});
    let patched = app
        .admin_patch("/operations/hello", &json!({"cors": own}))
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let shown: Value = app
        .admin_get("/operations/hello")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["cors"], own);

    let answer = preflight(&app, "/hello/ada", "https://partner.test", "GET").await;
    assert_eq!(
        header(&answer, "access-control-allow-origin"),
        Some("https://partner.test")
    );
    assert_eq!(
        header(&answer, "access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(header(&answer, "access-control-max-age"), Some("60"));
    assert_eq!(
        header(&answer, "access-control-allow-headers"),
        Some("x-partner")
    );
    let global = preflight(&app, "/hello/ada", APP_ORIGIN, "GET").await;
    assert!(header(&global, "access-control-allow-origin").is_none());

    let doc: Value = app.get("/system/openapi.json").await.json().await.unwrap();
    let listed = &doc["paths"]["/hello/{name}"]["get"]["x-cors"];
    assert_eq!(listed["origins"], json!(["https://partner.test"]));
    assert_eq!(listed["credentials"], true);
}

#[tokio::test]
async fn a_wildcard_origin_is_refused_where_it_would_expose_a_private_operation() {
    let app = app_with_hello(&["*"]).await;
    for (body, expected) in [
        (
            json!({"name": "p", "method": "GET", "path": "/p", "action": "hello",
                   "public": false, "cors": {"origins": ["*"]}}),
            "public operation",
        ),
        (
            json!({"name": "c", "method": "GET", "path": "/c", "action": "hello",
                   "cors": {"origins": ["*"], "credentials": true}}),
            "credentials",
        ),
        (
            json!({"name": "o", "method": "GET", "path": "/o", "action": "hello",
                   "cors": {"origins": ["https://app.test/path"]}}),
            "serialized origin",
        ),
    ] {
        let answer = app.create_operation(&body).await;
        let problem = crate::helpers::assert_problem(answer, 400).await;
        assert!(
            problem["detail"].as_str().unwrap().contains(expected),
            "{problem}"
        );
    }
    // The global `*` reaches the public operation but not a private one.
    let private = app
        .create_operation(
            &json!({"name": "private", "method": "GET", "path": "/private/:name",
                                  "action": "hello", "public": false}),
        )
        .await;
    assert_eq!(private.status(), StatusCode::CREATED);
    let public = preflight(&app, "/hello/ada", "http://anyone.test", "GET").await;
    assert_eq!(header(&public, "access-control-allow-origin"), Some("*"));
    let private = preflight(&app, "/private/ada", "http://anyone.test", "GET").await;
    assert_eq!(access_control_headers(&private), Vec::<String>::new());
}

/// A page on another loopback origin whose script calls a public and a
/// private operation with `fetch` and writes what happened into the DOM.
async fn serve_page(
    listener: tokio::net::TcpListener,
    sluice: &str,
    token: &str,
) -> (String, tokio::task::JoinHandle<()>) {
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let page = format!(
        r#"<!doctype html><html><body><pre id="out">pending</pre><script>
async function call(path, headers) {{
  try {{
    const r = await fetch("{sluice}" + path, {{ headers }});
    return r.status + " " + (await r.json()).message + " id=" + (r.headers.get("x-request-id") ? "yes" : "no");
  }} catch (e) {{ return "blocked"; }}
}}
(async () => {{
  const pub = await call("/hello/browser", {{}});
  const priv = await call("/private/browser", {{ "Authorization": "Bearer {token}" }});
  document.getElementById("out").textContent = "public: " + pub + " | private: " + priv;
}})();
</script></body></html>"#
    );
    let router = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let page = page.clone();
            async move { axum::response::Html(page) }
        }),
    );
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (origin, server)
}

async fn browser_dom(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = tokio::process::Command::new(started_server("SLUICE_TEST_CHROMIUM"))
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.path().display()),
            "--virtual-time-budget=15000",
            "--dump-dom",
            url,
        ])
        .output()
        .await
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn a_browser_on_an_allowed_origin_calls_public_and_private_operations_and_others_cannot() {
    // The allowed page's origin must be known before the server starts.
    let allowed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let allowed_origin = format!("http://{}", allowed.local_addr().unwrap());
    let app = app_with_hello(&[allowed_origin.as_str()]).await;
    let private = app
        .create_operation(
            &json!({"name": "private", "method": "GET", "path": "/private/:name",
                                  "action": "hello", "public": false}),
        )
        .await;
    assert_eq!(private.status(), StatusCode::CREATED);
    let client = app.create_client("spa", &[]).await;
    let token = app.client_token(&client).await;

    let (origin, page) = serve_page(allowed, &app.address, &token).await;
    assert_eq!(origin, allowed_origin);
    let dom = browser_dom(&format!("{origin}/")).await;
    assert!(
        dom.contains("public: 200 Hello, browser! id=yes | private: 200 Hello, browser! id=yes"),
        "{dom}"
    );
    page.abort();

    let elsewhere = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (other, page) = serve_page(elsewhere, &app.address, &token).await;
    let dom = browser_dom(&format!("{other}/")).await;
    assert!(dom.contains("public: blocked | private: blocked"), "{dom}");
    page.abort();
}
