//! `files` connections: a guest reads, lists and (when writable) writes
//! under the connection's root and nowhere else — every way out of the
//! root is refused and nothing outside it is ever read.

use std::os::unix::fs::symlink;
use std::path::Path;

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// A root with files inside, a secret beside it, and ways to try to leave.
struct Tree {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    secret_path: std::path::PathBuf,
}

const SECRET: &str = "top-secret-outside-the-root";

fn tree() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(root.join("ok.csv"), "a,b\n1,2\n").unwrap();
    std::fs::write(root.join("sub/inner.csv"), "x\n9\n").unwrap();
    std::fs::write(root.join("notes.txt"), "not a csv").unwrap();
    let secret_path = outside.join("secret.csv");
    std::fs::write(&secret_path, SECRET).unwrap();
    std::fs::write(dir.path().join("secret.csv"), SECRET).unwrap();
    symlink(&outside, root.join("link-out")).unwrap();
    symlink(&secret_path, root.join("link-file.csv")).unwrap();
    symlink("../secret.csv", root.join("link-up.csv")).unwrap();
    symlink("ok.csv", root.join("link-in.csv")).unwrap();
    mkfifo(&root.join("fifo.csv"));
    Tree {
        _dir: dir,
        root,
        secret_path,
    }
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

async fn files_app(config: Value) -> TestApp {
    let app = spawn_app().await;
    app.create_connection("data", "files", config).await;
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.grant("misbehave", &["data"]).await;
    app
}

async fn op(app: &TestApp, spec: Value) -> Value {
    let mut spec = spec;
    spec["conn"] = json!("data");
    app.misbehave("files", spec).await
}

#[tokio::test]
async fn every_way_out_of_the_root_is_refused_and_nothing_outside_is_read() {
    let t = tree();
    let app = files_app(json!({"root": t.root, "extensions": ["csv"]})).await;
    let absolute = t.secret_path.to_str().unwrap().to_string();
    let cases: Vec<(&str, &str)> = vec![
        ("../secret.csv", "invalid-path"),
        ("a/../../secret.csv", "invalid-path"),
        ("sub/../../secret.csv", "invalid-path"),
        (&absolute, "invalid-path"),
        ("/etc/passwd", "invalid-path"),
        ("link-out/secret.csv", "invalid-path"),
        ("link-file.csv", "invalid-path"),
        ("link-up.csv", "invalid-path"),
        ("%2e%2e/secret.csv", "invalid-path"),
        ("..%2Fsecret.csv", "invalid-path"),
        ("%2E%2E%5Csecret.csv", "invalid-path"),
        ("..\\secret.csv", "invalid-path"),
        ("ok.csv\0.txt", "invalid-path"),
        ("fifo.csv", "not-allowed"),
        ("sub", "not-allowed"),
        ("notes.txt", "not-allowed"),
        ("", "invalid-path"),
    ];
    assert!(cases.len() >= 12);
    for (path, expected) in &cases {
        let answer = op(&app, json!({"op": "read", "path": path})).await;
        assert_eq!(answer["error"], *expected, "{path:?}: {answer}");
        assert!(
            !answer.to_string().contains(SECRET),
            "{path:?} leaked: {answer}"
        );
        let stat = op(&app, json!({"op": "stat", "path": path})).await;
        assert!(
            stat["error"].is_string() || *path == "sub",
            "stat {path:?}: {stat}"
        );
        assert!(!stat.to_string().contains(SECRET));
    }
    let listing = op(&app, json!({"op": "list", "path": "link-out"})).await;
    assert_eq!(listing["error"], "invalid-path", "{listing}");

    // Inside the root everything works, a symlink that stays inside too.
    assert_eq!(
        op(&app, json!({"op": "read", "path": "ok.csv"})).await,
        json!({"text": "a,b\n1,2\n"})
    );
    assert_eq!(
        op(&app, json!({"op": "read", "path": "./sub/inner.csv"})).await,
        json!({"text": "x\n9\n"})
    );
    assert_eq!(
        op(&app, json!({"op": "read", "path": "link-in.csv"})).await,
        json!({"text": "a,b\n1,2\n"})
    );
    assert_eq!(
        op(&app, json!({"op": "read", "path": "missing.csv"})).await["error"],
        "not-found"
    );
}

#[tokio::test]
async fn a_listing_shows_directories_and_allowed_files_only() {
    let t = tree();
    let app = files_app(json!({"root": t.root, "extensions": ["csv"]})).await;
    let answer = op(&app, json!({"op": "list", "path": ""})).await;
    let names: Vec<&str> = answer["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    // Symlinks to files inside count as files; the FIFO, the text file and
    // what points outside do not show.
    assert_eq!(names, ["link-in.csv", "ok.csv", "sub"], "{answer}");
    let ok = &answer["entries"][1];
    assert_eq!(ok["size"], 8);
    assert_eq!(ok["is_dir"], false);
    assert!(ok["modified_ms"].as_i64().unwrap() > 1_700_000_000_000);
    let stat = op(&app, json!({"op": "stat", "path": "sub"})).await;
    assert_eq!(stat["entry"]["is_dir"], true, "{stat}");
}

#[tokio::test]
async fn a_read_only_connection_refuses_writes_and_deletes_and_changes_nothing() {
    let t = tree();
    let app = files_app(json!({"root": t.root})).await;
    for spec in [
        json!({"op": "write", "path": "ok.csv", "contents": "overwritten"}),
        json!({"op": "write", "path": "new.csv", "contents": "new"}),
        json!({"op": "delete", "path": "ok.csv"}),
    ] {
        let answer = op(&app, spec.clone()).await;
        assert_eq!(answer["error"], "read-only", "{spec}: {answer}");
    }
    assert_eq!(
        std::fs::read_to_string(t.root.join("ok.csv")).unwrap(),
        "a,b\n1,2\n"
    );
    assert!(!t.root.join("new.csv").exists());
}

#[tokio::test]
async fn a_writable_connection_replaces_files_whole_and_stays_inside() {
    let t = tree();
    let app = files_app(json!({"root": t.root, "read_only": false, "max_file_bytes": 64})).await;
    assert_eq!(
        op(
            &app,
            json!({"op": "write", "path": "sub/out.csv", "contents": "n\n1\n"})
        )
        .await,
        json!({"ok": true})
    );
    assert_eq!(
        std::fs::read_to_string(t.root.join("sub/out.csv")).unwrap(),
        "n\n1\n"
    );
    assert_eq!(
        op(
            &app,
            json!({"op": "write", "path": "sub/out.csv", "contents": "n\n2\n"})
        )
        .await,
        json!({"ok": true})
    );
    assert_eq!(
        std::fs::read_to_string(t.root.join("sub/out.csv")).unwrap(),
        "n\n2\n"
    );
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(t.root.join("sub")).unwrap().count(), 2);

    let too_big = "x".repeat(65);
    let answer = op(
        &app,
        json!({"op": "write", "path": "big.csv", "contents": too_big}),
    )
    .await;
    assert_eq!(answer["error"], "too-large", "{answer}");
    for (path, expected) in [
        ("../escaped.csv", "invalid-path"),
        ("link-out/escaped.csv", "invalid-path"),
        ("link-file.csv", "not-allowed"),
        ("fifo.csv", "not-allowed"),
        ("nodir/x.csv", "not-found"),
    ] {
        let answer = op(&app, json!({"op": "write", "path": path, "contents": "x"})).await;
        assert_eq!(answer["error"], expected, "{path}: {answer}");
    }
    assert_eq!(std::fs::read_to_string(&t.secret_path).unwrap(), SECRET);
    assert!(!t.root.parent().unwrap().join("escaped.csv").exists());

    assert_eq!(
        op(&app, json!({"op": "delete", "path": "sub/out.csv"})).await,
        json!({"existed": true})
    );
    assert_eq!(
        op(&app, json!({"op": "delete", "path": "sub/out.csv"})).await,
        json!({"existed": false})
    );
    assert_eq!(
        op(&app, json!({"op": "delete", "path": "sub"})).await["error"],
        "not-allowed"
    );
    // Deleting a symlink removes the link, inside the root; what it
    // pointed to outside stays.
    assert_eq!(
        op(&app, json!({"op": "delete", "path": "link-out"})).await,
        json!({"existed": true})
    );
    assert!(t.secret_path.exists());
}

#[tokio::test]
async fn files_larger_than_the_limit_are_not_read() {
    let t = tree();
    std::fs::write(t.root.join("big.csv"), "y".repeat(100)).unwrap();
    let app = files_app(json!({"root": t.root, "max_file_bytes": 99})).await;
    let answer = op(&app, json!({"op": "read", "path": "big.csv"})).await;
    assert_eq!(answer["error"], "too-large", "{answer}");
}

#[tokio::test]
async fn a_files_connection_needs_an_existing_absolute_root_and_a_grant() {
    let app = spawn_app().await;
    for config in [
        json!({"root": "relative/dir"}),
        json!({"root": "/no/such/dir/anywhere"}),
        json!({"root": "/tmp", "extensions": [".csv"]}),
        json!({"root": "/tmp", "max_file_bytes": 0}),
    ] {
        let response = app
            .admin(reqwest::Method::POST, "/connections")
            .json(&json!({"name": "bad", "class": "files", "config": config}))
            .send()
            .await
            .unwrap();
        crate::helpers::assert_problem(response, 400).await;
    }
    let t = tree();
    app.create_connection("data", "files", json!({"root": t.root}))
        .await;
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    let answer = app
        .misbehave(
            "files",
            json!({"conn": "data", "op": "read", "path": "ok.csv"}),
        )
        .await;
    assert_eq!(answer["error"], "access-denied", "{answer}");
}

#[tokio::test]
async fn the_csv_report_example_answers_a_files_rows_as_objects() {
    let t = tree();
    std::fs::write(
        t.root.join("sales.csv"),
        "region,amount\nnorth,1200\n\"east, coast\",1430\n",
    )
    .unwrap();
    let app = spawn_app().await;
    app.create_connection(
        "reports",
        "files",
        json!({"root": t.root, "extensions": ["csv"]}),
    )
    .await;
    app.deploy("csv-report", "report", "GET", "/reports/:file")
        .await;
    app.grant("csv-report", &["reports"]).await;
    let response = app.get("/reports/sales.csv").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"file": "sales.csv", "count": 2, "rows": [
            {"region": "north", "amount": "1200"},
            {"region": "east, coast", "amount": "1430"},
        ]})
    );
    let missing = app.get("/reports/nothing.csv").await;
    crate::helpers::assert_problem(missing, 404).await;
    let escape = app.get("/reports/..%2F..%2Fsecret.csv").await;
    let problem = crate::helpers::assert_problem(escape, 400).await;
    assert!(!problem.to_string().contains(SECRET));
    let text = app.get("/reports/notes.txt").await;
    crate::helpers::assert_problem(text, 403).await;
}

#[tokio::test]
async fn the_python_and_javascript_sdks_read_files_and_run_commands() {
    let t = tree();
    std::fs::write(t.root.join("sales.csv"), "region,amount\nnorth,1200\n").unwrap();
    std::fs::write(t.root.join("totals.json"), "{\"sum\": 1200}").unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tools/report-cli.py");
    let app = spawn_app().await;
    app.create_connection(
        "reports",
        "files",
        json!({"root": t.root, "extensions": ["csv", "json"]}),
    )
    .await;
    app.create_connection(
        "report-cli",
        "command",
        json!({"program": crate::helpers::started_server("SLUICE_TEST_PYTHON"),
               "args": [script, "--city", "{city}", "--output-json"],
               "slots": {"city": "[A-Za-z .-]{1,40}"}}),
    )
    .await;
    for (action, routes) in [
        (
            "tools-py",
            vec![
                ("py-report", "/py/reports/:file"),
                ("py-cli", "/py/cli-data"),
            ],
        ),
        (
            "tools-js",
            vec![
                ("js-report", "/js/reports/:file"),
                ("js-list", "/js/reports"),
                ("js-cli", "/js/cli-data"),
            ],
        ),
    ] {
        let uploaded = app.upload_example(action).await;
        assert!(uploaded.status().is_success());
        app.grant(action, &["reports", "report-cli"]).await;
        for (name, path) in routes {
            let created = app
                .create_operation(&json!({"name": name, "method": "GET", "path": path, "action": action, "public": true}))
                .await;
            assert_eq!(created.status(), 201);
        }
    }
    let get = |path: &'static str| {
        let app = &app;
        async move {
            let response = app.get(path).await;
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = get("/py/reports/sales.csv").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"], json!([{"region": "north", "amount": "1200"}]));
    let (status, body) = get("/py/cli-data?city=Berlin").await;
    assert_eq!((status, &body["city"]), (200, &json!("Berlin")), "{body}");
    let (status, body) = get("/py/reports/missing.csv").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = get("/py/cli-data?city=Berlin%3Bid").await;
    assert_eq!(status, 400, "{body}");

    let (status, body) = get("/js/reports/totals.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["text"], "{\"sum\": 1200}");
    let (status, body) = get("/js/reports").await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"sales.csv") && names.contains(&"totals.json"),
        "{body}"
    );
    let (status, body) = get("/js/cli-data?city=Paris").await;
    assert_eq!((status, &body["city"]), (200, &json!("Paris")), "{body}");
    let (status, body) = get("/js/reports/..%2Fsecret.csv").await;
    assert_eq!(status, 400, "{body}");
    assert!(!body.to_string().contains(SECRET));
}
