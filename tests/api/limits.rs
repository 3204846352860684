use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};

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
