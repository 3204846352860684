//! Compression both ways: large answers compressed as the client accepts,
//! compressed request bodies decoded with the limit counting decoded
//! bytes, so a small bomb is refused instead of filling memory.

use std::io::{Read, Write};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, assert_problem, spawn_app_with};

async fn app() -> TestApp {
    let app = spawn_app_with(|_| {}).await;
    app.deploy("echo", "echo-get", "GET", "/echo").await;
    app.deploy("echo", "echo-post", "POST", "/echo").await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    app
}

fn decode(encoding: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "gzip" => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .unwrap();
        }
        "br" => {
            brotli::Decompressor::new(bytes, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        "zstd" => out = zstd::decode_all(bytes).unwrap(),
        other => panic!("unexpected encoding {other}"),
    }
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn large_answers_are_compressed_as_the_client_prefers_and_decode_to_the_same_body() {
    let app = app().await;
    // About 20 KB of JSON: echo repeats the query.
    let path = format!("/echo?q={}", "sluice ".repeat(2_800));
    let plain = app.get(&path).await;
    assert!(plain.headers().get("content-encoding").is_none());
    // Sent as it is to a client that accepts no encoding, but a cache must
    // still tell it apart from the compressed one (RFC 9110 §12.5.5).
    assert_eq!(plain.headers()["vary"], "accept-encoding");
    let plain: Value = plain.json().await.unwrap();
    for (accept, chosen) in [
        ("gzip", "gzip"),
        ("br", "br"),
        ("zstd", "zstd"),
        ("gzip;q=0.5, br;q=1.0", "br"),
    ] {
        let answer = app
            .client
            .get(app.url(&path))
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()["content-encoding"], chosen, "{accept}");
        assert!(
            answer.headers()["vary"]
                .to_str()
                .unwrap()
                .contains("accept-encoding")
        );
        let bytes = answer.bytes().await.unwrap();
        assert!(bytes.len() < 5_000, "{chosen}: {} bytes", bytes.len());
        let mut decoded: Value = serde_json::from_slice(&decode(chosen, &bytes)).unwrap();
        // Only the request id and the header the client sent differ.
        decoded["context"]["request_id"] = Value::Null;
        decoded["headers"] = Value::Null;
        let mut expected = plain.clone();
        expected["context"]["request_id"] = Value::Null;
        expected["headers"] = Value::Null;
        assert_eq!(decoded, expected, "{chosen}");
    }
    // A small answer is sent as it is.
    let small = app
        .client
        .get(app.url("/hello/ada"))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert!(small.headers().get("content-encoding").is_none());
    // Too small to be compressed for anyone: the answer does not vary.
    assert!(app.get("/hello/ada").await.headers().get("vary").is_none());
}

#[tokio::test]
async fn a_gzip_request_body_is_decoded_and_a_gzip_bomb_is_refused_with_413() {
    let app = app().await;
    let body = serde_json::to_vec(&serde_json::json!({"greeting": "hi", "n": 42})).unwrap();
    let answer = app
        .client
        .post(app.url("/echo"))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gzip(&body))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let echoed: Value = answer.json().await.unwrap();
    assert_eq!(echoed["body"]["n"], 42);

    // 10 MB of zeros in about 10 KB; the limit is 1 MiB decoded.
    let bomb = gzip(&vec![0u8; 10 << 20]);
    assert!(bomb.len() < 20_000, "{} bytes", bomb.len());
    let refused = app
        .client
        .post(app.url("/echo"))
        .header("content-encoding", "gzip")
        .body(bomb)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(refused, 413).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("1048576"),
        "{problem}"
    );
    assert_eq!(app.get("/hello/ada").await.status(), StatusCode::OK);

    let unknown = app
        .client
        .post(app.url("/echo"))
        .header("content-encoding", "compress")
        .body("x")
        .send()
        .await
        .unwrap();
    let accepted = unknown.headers()["accept-encoding"]
        .to_str()
        .unwrap()
        .to_string();
    let problem = assert_problem(unknown, 415).await;
    assert!(accepted.contains("gzip"), "{accepted}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Content-Encoding"),
        "{problem}"
    );
}
