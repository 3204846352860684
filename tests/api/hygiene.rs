//! Connection hygiene, tried as an attacker would over raw TCP: clients
//! that trickle half a header or sit idle are closed after the header
//! timeout, a connection cap makes newcomers wait without starving the
//! connections held, and oversized headers are refused.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, spawn_app_with};

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection; how long that took (10 s
/// at most, else panics).
async fn closed_after(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {}
            Err(_) => panic!("the connection was still open after 10 s"),
        }
    }
}

#[tokio::test]
async fn connections_that_trickle_half_a_header_are_closed_while_others_are_served() {
    let app = spawn_app_with(|s| s.connections.header_read_timeout_ms = 300).await;
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut stream = connect(&app).await;
        stream
            .write_all(b"GET /system/health HTTP/1.1\r\nHost: sluice\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    // Meanwhile everyone else is served, on fresh connections: a pooled
    // one idle past the 300 ms timeout may be closed as it is reused.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let health = || fresh.get(app.url("/system/health")).send();
    assert_eq!(health().await.unwrap().status(), StatusCode::OK);
    for stream in &mut slow {
        let took = closed_after(stream).await;
        assert!(took < Duration::from_secs(3), "closed after {took:?}");
    }
    assert_eq!(health().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let app = spawn_app_with(|s| s.connections.header_read_timeout_ms = 300).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /system/health HTTP/1.1\r\nHost: sluice\r\n\r\n")
        .await
        .unwrap();
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).await.unwrap();
    assert!(
        answer[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        &answer[..n]
    );
    // Kept alive, then idle: closed once the timeout passes.
    let took = closed_after(&mut stream).await;
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(3),
        "closed after {took:?}"
    );
}

#[tokio::test]
async fn beyond_the_connection_cap_a_newcomer_waits_until_a_held_connection_closes() {
    let app = spawn_app_with(|s| s.connections.max_connections = 2).await;
    let held = [connect(&app).await, connect(&app).await];
    // Both slots are taken by clients that have not sent anything yet.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let waited = client.get(app.url("/system/health")).send().await;
    assert!(waited.is_err(), "served past the cap: {waited:?}");
    drop(held);
    let client = reqwest::Client::new();
    let served = client.get(app.url("/system/health")).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
}

#[tokio::test]
async fn too_many_or_too_large_headers_are_refused_with_431() {
    let app = spawn_app_with(|s| {
        s.connections.max_headers = 20;
        s.connections.max_header_bytes = 16 << 10;
    })
    .await;
    let mut many = app.client.get(app.url("/system/health"));
    for i in 0..40 {
        many = many.header(format!("x-extra-{i}"), "1");
    }
    assert_eq!(
        many.send().await.unwrap().status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    let large = app
        .client
        .get(app.url("/system/health"))
        .header("x-large", "a".repeat(64 << 10))
        .send()
        .await
        .unwrap();
    assert_eq!(large.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert_eq!(app.get("/system/health").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_idle_timeout() {
    let app = spawn_app_with(|s| s.connections.idle_timeout_ms = 300).await;
    let mut silent = connect(&app).await;
    let took = closed_after(&mut silent).await;
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(3),
        "closed after {took:?}"
    );
}

#[tokio::test]
async fn a_request_in_flight_outlives_the_idle_timeout() {
    let upstream = crate::upstream::start().await;
    let app = spawn_app_with(|s| s.connections.idle_timeout_ms = 300).await;
    app.create_connection(
        "upstream",
        "http",
        serde_json::json!({"base_url": upstream.base}),
    )
    .await;
    app.upload_example("proxy").await;
    app.grant("proxy", &["upstream"]).await;
    app.deploy("proxy", "proxy-get", "GET", "/proxy/*rest")
        .await;
    // The upstream answers after 3 s: no byte moves meanwhile.
    let answer = app.get("/proxy/slow").await;
    assert_eq!(answer.status(), StatusCode::OK);
}
