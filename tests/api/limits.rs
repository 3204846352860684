use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_loop_runs_out_of_fuel_while_a_parallel_hello_succeeds() {
    let app = spawn_app().await;
    // hello is called as fast as it answers for as long as the loop runs,
    // which on a loaded machine is more than the default rule's 600 a minute.
    assert_eq!(app.admin_delete("/rate-limits/default").await.status(), 204);
    app.deploy("misbehave", "spin", "GET", "/spin").await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    app.set_limits(
        "misbehave",
        json!({"fuel": 2_000_000_000u64, "timeout_ms": 60_000}),
    )
    .await;

    let spin = tokio::spawn({
        let (client, url) = (app.client.clone(), app.url("/spin?do=loop"));
        async move { client.get(url).send().await.unwrap() }
    });
    // While the loop burns its fuel, hello answers.
    let mut served_during_loop = 0;
    while !spin.is_finished() {
        let response = app.get("/hello/ada").await;
        assert_eq!(response.status(), StatusCode::OK);
        served_during_loop += 1;
    }
    let problem = assert_problem(spin.await.unwrap(), 500).await;
    assert_eq!(problem["type"], "urn:sluice:problem:fuel-exhausted");
    assert_eq!(problem["fuel_used"], 2_000_000_000u64);
    assert!(
        served_during_loop > 0,
        "hello was served while the loop ran"
    );
}

#[tokio::test]
async fn an_endless_loop_with_ample_fuel_is_stopped_at_its_deadline_with_504() {
    let app = spawn_app().await;
    app.deploy("misbehave", "spin", "GET", "/spin").await;
    app.set_limits(
        "misbehave",
        json!({"fuel": u64::MAX >> 2, "timeout_ms": 300}),
    )
    .await;
    let started = Instant::now();
    let problem = assert_problem(app.get("/spin?do=loop").await, 504).await;
    assert_eq!(problem["type"], "urn:sluice:problem:deadline-exceeded");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped near its deadline"
    );
}

/// `spin` imports nothing, so it starts inline, without a fiber, holding
/// its worker: the server has one worker here, so hello could not be served
/// while the loop runs unless the loop leaves the inline path for the async
/// one, which yields.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_self_contained_endless_loop_yields_its_worker_and_is_stopped_at_its_deadline() {
    let app = spawn_app().await;
    assert_eq!(app.admin_delete("/rate-limits/default").await.status(), 204);
    app.deploy("spin", "spin", "GET", "/spin").await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    app.set_limits("spin", json!({"fuel": u64::MAX >> 2, "timeout_ms": 2_000}))
        .await;

    let started = Instant::now();
    let spin = tokio::spawn({
        let (client, url) = (app.client.clone(), app.url("/spin?rounds=forever"));
        async move { client.get(url).send().await.unwrap() }
    });
    while app.state.engine.running() == 0 {
        assert!(
            !spin.is_finished(),
            "the loop ended before it was seen running"
        );
        tokio::task::yield_now().await;
    }
    // An answer counts when the loop is still running after it: the one
    // worker served hello while the loop held an instance.
    let mut served_during_loop = 0;
    while !spin.is_finished() {
        let response = app.get("/hello/ada").await;
        assert_eq!(response.status(), StatusCode::OK);
        if app.state.engine.running() > 0 {
            served_during_loop += 1;
        }
    }
    let problem = assert_problem(spin.await.unwrap(), 504).await;
    assert_eq!(problem["type"], "urn:sluice:problem:deadline-exceeded");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped near its deadline"
    );
    assert!(
        served_during_loop > 0,
        "hello was served on the one worker while the loop ran"
    );
}

#[tokio::test]
async fn a_self_contained_action_that_outlasts_its_inline_run_still_answers() {
    let app = spawn_app().await;
    app.deploy("spin", "spin", "GET", "/spin").await;
    app.set_limits(
        "spin",
        json!({"fuel": 20_000_000_000u64, "timeout_ms": 30_000}),
    )
    .await;
    // Tens of milliseconds of guest code: past the inline run's ticks, so
    // the answer comes from the run started again on the async path.
    let rounds: u64 = 10_000_000;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for round in 0..rounds {
        hash = (hash ^ round).wrapping_mul(0x0100_0000_01b3);
    }
    let response = app.get(&format!("/spin?rounds={rounds}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"rounds": rounds, "hash": hash.to_string()}));
    let quick: Value = app.get("/spin?rounds=3").await.json().await.unwrap();
    assert_eq!(quick["rounds"], 3);
}

#[tokio::test]
async fn a_guest_that_grabs_all_memory_fails_alone() {
    let app = spawn_app().await;
    app.deploy("misbehave", "grab", "GET", "/grab").await;
    app.set_limits("misbehave", json!({"memory_bytes": 8 << 20}))
        .await;
    let problem = assert_problem(app.get("/grab?do=grab").await, 500).await;
    assert_eq!(problem["type"], "urn:sluice:problem:memory-limit-exceeded");
    let ok: Value = app.get("/grab").await.json().await.unwrap();
    assert_eq!(ok, json!({"ok": true}));
}

#[tokio::test]
async fn a_trap_is_a_500_problem_and_the_next_request_is_served() {
    let app = spawn_app().await;
    app.deploy("misbehave", "trap", "GET", "/trap").await;
    let problem = assert_problem(app.get("/trap?do=trap").await, 500).await;
    assert_eq!(problem["type"], "urn:sluice:problem:action-trapped");
    assert_eq!(app.get("/trap").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn no_state_survives_between_invocations() {
    let app = spawn_app().await;
    app.deploy("misbehave", "count", "GET", "/count").await;
    for _ in 0..3 {
        let body: Value = app.get("/count?do=count").await.json().await.unwrap();
        assert_eq!(body["count"], 1, "a global in the guest starts afresh");
    }
}

#[tokio::test]
async fn many_invocations_run_concurrently_each_with_its_own_answer() {
    let app = spawn_app().await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    let requests = (0..64).map(|i| {
        let (client, url) = (app.client.clone(), app.url(&format!("/hello/n{i}")));
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer["message"], format!("Hello, n{i}!"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutting_down_lets_a_request_in_flight_finish() {
    let mut app = spawn_app().await;
    app.deploy("misbehave", "spin", "GET", "/spin").await;
    app.set_limits(
        "misbehave",
        json!({"fuel": u64::MAX >> 2, "timeout_ms": 1500}),
    )
    .await;
    let in_flight = tokio::spawn({
        let (client, url) = (app.client.clone(), app.url("/spin?do=loop"));
        async move { client.get(url).send().await }
    });
    while app.state.engine.running() == 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let server = app.begin_shutdown();
    let response = in_flight
        .await
        .unwrap()
        .expect("the in-flight request gets an answer");
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    server.await.unwrap().unwrap();
}

/// The newest request log row of operation `operation`.
async fn last_row(app: &crate::helpers::TestApp, operation: &str) -> Value {
    app.state.request_log.flush().await;
    let page: Value = app
        .admin_get(&format!("/logs?operation={operation}&limit=1"))
        .await
        .json()
        .await
        .unwrap();
    page["items"][0].clone()
}

#[tokio::test]
async fn a_guest_that_logs_past_its_message_cap_is_answered_and_its_row_counts_what_was_dropped() {
    let app = spawn_app().await;
    app.deploy("misbehave", "mb", "GET", "/mb").await;
    let response = app.get("/mb?do=log-flood&count=1000&bytes=100").await;
    assert_eq!(response.status(), StatusCode::OK);
    let row = last_row(&app, "mb").await;
    // 256 records kept by default; the other 744 counted, 100 bytes each.
    assert_eq!(row["log_dropped_messages"], 744, "{row}");
    assert_eq!(row["log_dropped_bytes"], 74_400, "{row}");

    // A request that logs within the caps drops nothing.
    let response = app.get("/mb?do=log-flood&count=10&bytes=100").await;
    assert_eq!(response.status(), StatusCode::OK);
    let row = last_row(&app, "mb").await;
    assert_eq!(row["log_dropped_messages"], 0, "{row}");
    assert_eq!(row["log_dropped_bytes"], 0, "{row}");
}

#[tokio::test]
async fn past_its_byte_cap_a_guests_log_keeps_only_what_came_first() {
    let app = spawn_app_with(|s| {
        s.engine.host_caps.max_log_bytes = 1_000;
        s.engine.host_caps.max_log_messages = 1_000;
    })
    .await;
    app.deploy("misbehave", "mb", "GET", "/mb").await;
    let response = app.get("/mb?do=log-flood&count=25&bytes=100").await;
    assert_eq!(response.status(), StatusCode::OK);
    let row = last_row(&app, "mb").await;
    assert_eq!(row["log_dropped_messages"], 15, "{row}");
    assert_eq!(row["log_dropped_bytes"], 1_500, "{row}");

    // What the admin's execute shows is what was kept: the first ten.
    let result: Value = app
        .admin(reqwest::Method::POST, "/actions/misbehave/execute")
        .json(&json!({"query": [["do", "log-flood"], ["count", "25"], ["bytes", "100"]]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(result["status"], 200, "{result}");
    assert_eq!(result["logs"].as_array().unwrap().len(), 10, "{result}");
}

#[tokio::test]
async fn a_guest_that_calls_the_host_without_end_is_stopped_with_a_host_call_limit_problem() {
    let app = spawn_app().await;
    app.deploy("misbehave", "mb", "GET", "/mb").await;
    // Ample fuel and time: only the host-call cap (10 000) can stop it.
    app.set_limits(
        "misbehave",
        json!({"fuel": u64::MAX >> 2, "timeout_ms": 60_000}),
    )
    .await;
    let started = Instant::now();
    let problem = assert_problem(app.get("/mb?do=host-calls").await, 500).await;
    assert_eq!(
        problem["type"], "urn:sluice:problem:host-call-limit-exceeded",
        "{problem}"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("10000 calls"),
        "{problem}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    let row = last_row(&app, "mb").await;
    assert_eq!(row["status"], 500, "{row}");
}

#[tokio::test]
async fn a_guest_may_make_exactly_as_many_host_calls_as_its_cap_allows() {
    let app = spawn_app_with(|s| s.engine.host_caps.max_host_calls = 50).await;
    app.deploy("misbehave", "mb", "GET", "/mb").await;
    let response = app.get("/mb?do=host-calls&n=50").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["calls"], 50);
    let problem = assert_problem(app.get("/mb?do=host-calls&n=51").await, 500).await;
    assert_eq!(
        problem["type"], "urn:sluice:problem:host-call-limit-exceeded",
        "{problem}"
    );
}
