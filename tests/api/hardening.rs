//! What a hostile consumer or guest could do before the hardening of issue
//! 42, each tried through the real server: a form that costs minutes, a
//! guest's SQL reaching the control plane or the host's memory, a role's
//! scopes outliving their removal, unbounded password hashing, and the
//! data directory's permissions.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, on_postgres, spawn_app, spawn_app_with};
use crate::node::Node;

const FORM: &str = "application/x-www-form-urlencoded";

/// The RFC 6749 §5.2 error body of `answer`, after checking its status.
async fn oauth_error(answer: reqwest::Response, status: u16) -> Value {
    assert_eq!(answer.status().as_u16(), status);
    answer.json().await.unwrap()
}

/// A form of `n` distinct fields with empty values, their names as short
/// as base 62 makes them (`0&1&…&a&…&Z&10&…`), so that 340 000 of them fit
/// the 2 MB body that used to be read.
fn form_of(n: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut body = String::new();
    for mut i in 0..n {
        let mut name = Vec::new();
        loop {
            name.push(DIGITS[i % 62]);
            i /= 62;
            if i == 0 {
                break;
            }
        }
        body.extend(name.iter().map(|&b| b as char));
        body.push('&');
    }
    body
}

#[tokio::test]
async fn a_form_of_340_000_fields_is_refused_at_once_while_the_server_keeps_answering() {
    let app = spawn_app().await;
    let body = form_of(340_000);
    assert!(body.len() < 2_000_000);
    let attacks: Vec<_> = (0..4)
        .map(|_| {
            let request = app
                .client
                .post(app.url("/authorization/token"))
                .header(CONTENT_TYPE, FORM)
                .body(body.clone());
            tokio::spawn(async move {
                let started = Instant::now();
                let answer = request.send().await;
                (answer.map(|a| a.status()), started.elapsed())
            })
        })
        .collect();
    let health = app.get("/system/health").await;
    assert_eq!(health.status(), StatusCode::OK);
    for attack in attacks {
        let (status, took) = attack.await.unwrap();
        // The server answers before reading the body; a client still
        // writing may see the connection closed instead of the 413.
        if let Ok(status) = status {
            assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        }
        // Quadratic parsing took about two minutes of CPU per such form.
        assert!(took < Duration::from_secs(2), "answered after {took:?}");
    }
}

#[tokio::test]
async fn forms_with_too_many_or_repeated_fields_are_refused_and_earn_the_senders_ban() {
    let app = spawn_app_with(|s| s.token_ban.attempts = 3).await;
    let client = app.create_client("shop", &[]).await;
    let too_many = app
        .client
        .post(app.url("/authorization/token"))
        .header(CONTENT_TYPE, FORM)
        .body(form_of(40))
        .send()
        .await
        .unwrap();
    let problem = oauth_error(too_many, 400).await;
    assert_eq!(problem["error"], "invalid_request");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("more than 32 fields")
    );

    for _ in 0..2 {
        let repeated = app
            .client
            .post(app.url("/authorization/revoke"))
            .header(CONTENT_TYPE, FORM)
            .body("token=a&token=b")
            .send()
            .await
            .unwrap();
        let problem = oauth_error(repeated, 400).await;
        assert!(problem["detail"].as_str().unwrap().contains("repeated"));
    }

    // Three refusals from 127.0.0.1: even good credentials are now refused.
    let banned = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client.client_id),
            ("client_secret", &client.client_secret),
        ])
        .await;
    let problem = assert_problem(banned, 403).await;
    assert!(problem["detail"].as_str().unwrap().contains("banned"));
}

/// `misbehave` at `GET /sql`, granted SQLite connection `db` (file
/// `guest.db` in the data directory).
async fn guest_with_sqlite(app: &TestApp) {
    app.create_connection("db", "sql", json!({"driver": "sqlite", "path": "guest.db"}))
        .await;
    app.deploy("misbehave", "sql", "GET", "/sql").await;
    app.grant("misbehave", &["db"]).await;
}

/// Runs `query` through the guest on `db`: the status and the answer.
async fn guest_query(base: &str, client: &reqwest::Client, query: &str) -> (StatusCode, Value) {
    let url = reqwest::Url::parse_with_params(
        &format!("{base}/sql"),
        &[("do", "sql-query"), ("conn", "db"), ("q", query)],
    )
    .unwrap();
    let answer = client.get(url).send().await.unwrap();
    let status = answer.status();
    (status, answer.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_guest_cannot_attach_the_control_plane_load_extensions_or_learn_host_paths() {
    let app = spawn_app().await;
    guest_with_sqlite(&app).await;
    let control_plane = app.data_dir.path().join("sluice.db");
    let copy = app.data_dir.path().join("copy.db");
    let hostile = [
        format!("ATTACH DATABASE '{}' AS cp", control_plane.display()),
        format!("VACUUM INTO '{}'", copy.display()),
        "SELECT load_extension('/lib/x86_64-linux-gnu/libc.so.6')".to_string(),
        "PRAGMA database_list".to_string(),
        "SELECT file FROM pragma_database_list".to_string(),
        "PRAGMA writable_schema = ON".to_string(),
    ];
    for statement in &hostile {
        let (status, answer) = guest_query(&app.address, &app.client, statement).await;
        assert_eq!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{statement}: {answer}"
        );
        let detail = answer["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("a guest's SQLite connection may not"),
            "{statement}: {detail}"
        );
        assert!(
            !detail.contains(&app.data_dir.path().display().to_string()),
            "{statement} revealed the data directory: {detail}"
        );
    }
    assert!(
        !copy.exists(),
        "VACUUM INTO wrote a copy of the guest's file"
    );

    // The guest's own file works as before.
    for statement in [
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
        "INSERT INTO notes (body) VALUES ('kept') RETURNING id",
        "PRAGMA table_info(notes)",
    ] {
        let (status, answer) = guest_query(&app.address, &app.client, statement).await;
        assert_eq!(status, StatusCode::OK, "{statement}: {answer}");
    }
    // And the admin's row is still the admin's.
    assert_eq!(app.admin_get("/users").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn no_connection_may_open_the_control_planes_file_by_any_path() {
    if on_postgres() {
        return; // the control plane is not a file then
    }
    let app = spawn_app().await;
    let dir = app.data_dir.path();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::hard_link(dir.join("sluice.db"), dir.join("linked.db")).unwrap();
    let paths = [
        "sluice.db".to_string(),
        "sub/../sluice.db".to_string(),
        dir.join("sluice.db").display().to_string(),
        "linked.db".to_string(),
        "secret.key".to_string(),
    ];
    for path in &paths {
        let refused = app
            .admin(reqwest::Method::POST, "/connections")
            .json(&json!({"name": "cp", "class": "sql",
                "config": {"driver": "sqlite", "path": path}}))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(refused, 422).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("platform's own files"),
            "{path}: {problem}"
        );
    }
    // Stored without the test, the connection still cannot open the file.
    let stored = app
        .admin(reqwest::Method::POST, "/connections?skip_test=true")
        .json(&json!({"name": "db", "class": "sql",
            "config": {"driver": "sqlite", "path": "sluice.db"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), StatusCode::CREATED);
    app.deploy("misbehave", "sql", "GET", "/sql").await;
    app.grant("misbehave", &["db"]).await;
    let (status, answer) = guest_query(
        &app.address,
        &app.client,
        "SELECT name, password_hash FROM users",
    )
    .await;
    assert_ne!(status, StatusCode::OK, "{answer}");
    assert!(!answer.to_string().contains("argon2"), "{answer}");
}

/// Resident memory of process `pid`, bytes.
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .unwrap()
        .trim()
        .trim_end_matches(" kB")
        .parse()
        .unwrap();
    kib << 10
}

#[tokio::test]
async fn a_query_past_the_result_byte_cap_is_refused_before_the_server_holds_it() {
    let node = Node::spawn(&[]).await;
    node.upload("misbehave").await;
    node.create(
        "/connections",
        &json!({"name": "db", "class": "sql",
            "config": {"driver": "sqlite", "path": "guest.db"}}),
    )
    .await;
    node.create(
        "/operations",
        &json!({"name": "sql", "method": "GET", "path": "/sql",
            "action": "misbehave", "public": true}),
    )
    .await;
    node.send(
        reqwest::Method::PATCH,
        "/actions/misbehave",
        &json!({"connections": ["db"]}),
    )
    .await;
    let rows = |n: u32, bytes: u32| {
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             SELECT zeroblob({bytes}) FROM n"
        )
    };
    // A small result passes, and warms what a query needs.
    let (status, answer) = guest_query(&node.base, &node.client, &rows(2, 10)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let before = rss_bytes(node.pid());

    // Eight values of 64 MB: each is past the cap on its own.
    let (status, answer) = guest_query(&node.base, &node.client, &rows(8, 64_000_000)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{answer}");
    assert!(
        answer["detail"]
            .as_str()
            .unwrap()
            .contains("max_result_bytes"),
        "{answer}"
    );
    // What the issue measured: such a query took the node from 498 MB to
    // 1.03 GB, and kept it there.
    let grown = rss_bytes(node.pid()).saturating_sub(before);
    assert!(grown < 64 << 20, "the server grew by {} MiB", grown >> 20);

    // A hundred values of 1 MB: the sum crosses the cap at the 17th row.
    let (status, answer) = guest_query(&node.base, &node.client, &rows(100, 1_000_000)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{answer}");
    assert!(
        answer["detail"]
            .as_str()
            .unwrap()
            .contains("larger than 16777216 bytes"),
        "{answer}"
    );
}

/// A node whose action `misbehave`, at `GET /sql`, is granted the `sql`
/// connection `db` with `config`.
async fn node_with_sql(config: Value) -> Node {
    let node = Node::spawn(&[]).await;
    node.upload("misbehave").await;
    node.create(
        "/connections",
        &json!({"name": "db", "class": "sql", "config": config}),
    )
    .await;
    node.create(
        "/operations",
        &json!({"name": "sql", "method": "GET", "path": "/sql",
            "action": "misbehave", "public": true}),
    )
    .await;
    node.send(
        reqwest::Method::PATCH,
        "/actions/misbehave",
        &json!({"connections": ["db"]}),
    )
    .await;
    node
}

#[tokio::test]
async fn a_capped_result_on_postgresql_and_mariadb_stops_the_transfer_and_frees_the_connection() {
    // 9 999 rows of 1 MB, 10 GB in all: PostgreSQL and MariaDB stream
    // them as fast as they are read.
    let ten_gigabytes = [
        (
            "postgres",
            "SLUICE_TEST_POSTGRES_URL",
            "SELECT repeat('x', 1000000) FROM generate_series(1, 9999)",
        ),
        (
            "mysql",
            "SLUICE_TEST_MYSQL_URL",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 9999) \
             SELECT REPEAT('x', 1000000) FROM n",
        ),
    ];
    for (driver, url, query) in ten_gigabytes {
        let url = crate::helpers::started_server(url);
        // One pooled connection, and a deadline far past the test's, so
        // that only the cap can end the transfer.
        let node = node_with_sql(json!({"driver": driver, "url": url, "pool_size": 1,
            "statement_timeout_ms": 60000}))
        .await;
        let (status, answer) = guest_query(&node.base, &node.client, "SELECT 1").await;
        assert_eq!(status, StatusCode::OK, "{driver}: {answer}");
        let before = rss_bytes(node.pid());

        let started = Instant::now();
        let (status, answer) = guest_query(&node.base, &node.client, query).await;
        assert_eq!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{driver}: {answer}"
        );
        assert!(
            answer["detail"]
                .as_str()
                .unwrap()
                .contains("larger than 16777216 bytes"),
            "{driver}: {answer}"
        );
        let grown = rss_bytes(node.pid()).saturating_sub(before);
        assert!(
            grown < 64 << 20,
            "{driver}: the server grew by {} MiB",
            grown >> 20
        );
        // The pool's only connection is not kept busy reading and
        // throwing away the other 9.98 GB: the next statement is answered
        // at once.
        let (status, answer) = guest_query(&node.base, &node.client, "SELECT 2").await;
        assert_eq!(status, StatusCode::OK, "{driver}: {answer}");
        let took = started.elapsed();
        assert!(took < Duration::from_secs(3), "{driver}: {took:?}");
    }
}

#[tokio::test]
async fn taking_a_scope_from_a_role_revokes_the_tokens_of_its_holders_at_once() {
    let app = spawn_app().await;
    app.admin_create("/roles", json!({"name": "ops", "scopes": ["admin"]}))
        .await;
    app.admin_create(
        "/users",
        json!({"name": "bob", "password": "correct horse", "roles": ["ops"]}),
    )
    .await;
    let login = app.password_login("bob", "correct horse").await;
    let access = login["access_token"].as_str().unwrap();
    let refresh = login["refresh_token"].as_str().unwrap();
    let users = |token: String| {
        app.client
            .get(app.url("/admin/users"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(users(access.into()).await.unwrap().status(), StatusCode::OK);

    let narrowed = app.admin_patch("/roles/ops", &json!({"scopes": []})).await;
    assert_eq!(narrowed.status(), StatusCode::OK);

    assert_eq!(
        users(access.into()).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let refreshed = app
        .token_request(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .await;
    let problem = oauth_error(refreshed, 400).await;
    assert_eq!(problem["error"], "invalid_grant");
    // A new login gets what the role holds now.
    let again = app.password_login("bob", "correct horse").await;
    assert_eq!(again["scope"], "");
    let token = again["access_token"].as_str().unwrap().to_string();
    assert_eq!(users(token).await.unwrap().status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn password_checks_beyond_the_bound_are_answered_503_with_retry_after() {
    let app = spawn_app_with(|s| {
        s.hashing.concurrency = 1;
        s.hashing.queue = 1;
    })
    .await;
    app.admin_create(
        "/users",
        json!({"name": "ada", "password": "correct horse", "roles": []}),
    )
    .await;
    let attempts: Vec<_> = (0..12)
        .map(|_| {
            let request = app.client.post(app.url("/authorization/token")).form(&[
                ("grant_type", "password"),
                ("username", "ada"),
                ("password", "correct horse"),
            ]);
            tokio::spawn(async move { request.send().await.unwrap() })
        })
        .collect();
    let (mut served, mut busy) = (0, 0);
    for attempt in attempts {
        let answer = attempt.await.unwrap();
        match answer.status() {
            StatusCode::OK => served += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(answer.headers()["retry-after"], "1");
                let problem: Value = answer.json().await.unwrap();
                assert_eq!(problem["error"], "temporarily_unavailable");
                busy += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(served >= 2, "{served} served");
    assert!(busy >= 1, "no check was refused: {served} served");
}

#[tokio::test]
async fn a_fresh_data_directory_and_its_control_plane_are_private_to_the_servers_user() {
    let app = spawn_app_with(|s| s.data_dir = s.data_dir.join("fresh")).await;
    let dir = app.data_dir.path().join("fresh");
    if on_postgres() {
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        return;
    }
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("sluice.db")), 0o600);
}

#[tokio::test]
async fn sqlite_paths_with_question_marks_and_percent_signs_open_as_themselves() {
    let app = spawn_app_with(|s| s.data_dir = s.data_dir.join("data?x%41")).await;
    let dir = app.data_dir.path().join("data?x%41");
    assert!(dir.join("sluice.db").exists() || on_postgres());
    app.create_connection(
        "db",
        "sql",
        json!({"driver": "sqlite", "path": "odd?name%41.db"}),
    )
    .await;
    app.deploy("misbehave", "sql", "GET", "/sql").await;
    app.grant("misbehave", &["db"]).await;
    let (status, answer) =
        guest_query(&app.address, &app.client, "CREATE TABLE t (v INTEGER)").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(dir.join("odd?name%41.db").exists());
    assert!(!dir.join("odd").exists() && !dir.join("odd?nameA.db").exists());
}
