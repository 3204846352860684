use reqwest::StatusCode;

use crate::helpers::{assert_problem, spawn_app, start, test_settings};
use sluice::startup::Application;

#[tokio::test]
async fn admin_routes_without_a_token_answer_401_problem_with_a_bearer_challenge() {
    let app = spawn_app().await;
    for path in ["/admin/actions", "/admin/operations", "/admin/nothing-here"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            response.headers()["www-authenticate"].to_str().unwrap(),
            "Bearer realm=\"sluice-admin\""
        );
        assert_problem(response, 401).await;
    }
}

#[tokio::test]
async fn admin_routes_with_a_wrong_token_answer_401() {
    let app = spawn_app().await;
    for auth in [
        "Bearer wrong-token-wrong-token",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer",
    ] {
        let response = app
            .client
            .get(app.url("/admin/actions"))
            .header("authorization", auth)
            .send()
            .await
            .unwrap();
        assert_problem(response, 401).await;
    }
}

#[tokio::test]
async fn a_generated_admin_token_is_shown_once_and_keeps_working_after_a_restart() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(&data_dir);
    settings.admin_token = None;

    let first = Application::build(settings.clone()).await.unwrap();
    let token = first
        .generated_admin_token()
        .expect("a token on first start")
        .to_string();
    drop(first);

    let second = Application::build(settings.clone()).await.unwrap();
    assert!(second.generated_admin_token().is_none(), "shown only once");
    drop(second);

    let stored: String = {
        let app = start(settings, data_dir).await;
        let ok = app
            .client
            .get(app.url("/admin/actions"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'admin_token_sha256'")
            .fetch_one(&app.db)
            .await
            .unwrap()
    };
    assert!(!stored.contains(&token), "only the hash is stored");
}

#[tokio::test]
async fn unknown_admin_routes_are_404_and_wrong_methods_are_405_problems() {
    let app = spawn_app().await;
    assert_problem(app.admin_get("/widgets").await, 404).await;
    let response = app
        .admin(reqwest::Method::DELETE, "/actions")
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["allow"]
            .to_str()
            .unwrap()
            .contains("GET")
    );
    assert_problem(response, 405).await;
}

#[tokio::test]
async fn malformed_json_to_the_admin_api_is_a_400_problem_and_changes_nothing() {
    let app = spawn_app().await;
    let response = app
        .admin(reqwest::Method::POST, "/operations")
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_problem(response, 400).await;
    let no_type = app
        .admin(reqwest::Method::POST, "/operations")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(no_type, 415).await;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM operations")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn health_is_public() {
    let app = spawn_app().await;
    let response = app.get("/system/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("x-request-id"));
}
