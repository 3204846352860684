use reqwest::StatusCode;

use crate::helpers::{ADMIN_TOKEN, assert_problem, spawn_app, start, test_settings};

#[tokio::test]
async fn admin_routes_without_a_token_answer_401_problem_with_a_bearer_challenge() {
    let app = spawn_app().await;
    for path in ["/admin/actions", "/admin/operations", "/admin/nothing-here"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            response.headers()["www-authenticate"].to_str().unwrap(),
            "Bearer realm=\"sluice\""
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
async fn without_a_configured_bootstrap_token_no_admin_token_exists_or_is_generated() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(&data_dir);
    settings.admin_token = None;
    let app = start(settings, data_dir).await;
    let response = app
        .client
        .get(app.url("/admin/actions"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_problem(response, 401).await;
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM settings WHERE key LIKE 'admin%'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 0);
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
