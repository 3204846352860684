//! The `todo` example and the `sql` interface against SQLite (a file in the
//! test's data directory). PostgreSQL and MariaDB runs reuse the same
//! scenarios through `crud_scenario` with another connection config.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app, started_server};

/// Deploys `todo` on a connection `todo-db` with `config` and its five operations.
pub async fn deploy_todo(app: &TestApp, config: Value) {
    deploy_todo_built_as(app, config, "todo").await;
}

/// The Rust todo's scenario against `actions-examples/dist/<wasm>.wasm` (a
/// todo in another language) on SQLite, or on a PostgreSQL database of its
/// own. A generous statement timeout: these tests share the machine with
/// the compilation of other tests' 12–18 MB components.
pub async fn todo_scenario_built_as(wasm: &str, postgres: bool) {
    let app = spawn_app().await;
    let config = if postgres {
        let url = crate::helpers::fresh_postgres_database().await;
        json!({"driver": "postgres", "url": url, "statement_timeout_ms": 30_000})
    } else {
        json!({"driver": "sqlite", "path": "todo.db", "statement_timeout_ms": 30_000})
    };
    deploy_todo_built_as(&app, config, wasm).await;
    crud_scenario(&app).await;
}

/// [`deploy_todo`] with the component `actions-examples/dist/<wasm>.wasm`
/// (`todo-py` is the Python one) as action `todo`.
pub async fn deploy_todo_built_as(app: &TestApp, config: Value, wasm: &str) {
    app.create_connection("todo-db", "sql", config).await;
    let uploaded = app.upload("todo", crate::helpers::example_wasm(wasm)).await;
    assert!(
        uploaded.status().is_success(),
        "{wasm}: {}",
        uploaded.status()
    );
    app.grant("todo", &["todo-db"]).await;
    for (name, method, path) in [
        ("todo-list", "GET", "/todos"),
        ("todo-get", "GET", "/todos/:id"),
        ("todo-create", "POST", "/todos"),
        ("todo-update", "PUT", "/todos/:id"),
        ("todo-delete", "DELETE", "/todos/:id"),
    ] {
        let created = app
            .create_operation(
                &json!({"name": name, "method": method, "path": path, "action": "todo"}),
            )
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
}

/// Drops the `todos` table a previous run (the suite runs twice, once per
/// control plane) left on the shared server at `url`, so ids start at 1.
async fn drop_todos(url: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    sqlx::query("DROP TABLE IF EXISTS todos")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// Create, list with paging and total, read, update, delete, and the 400s
/// and 404s a consumer meets.
pub async fn crud_scenario(app: &TestApp) {
    let post = |body: Value| app.client.post(app.url("/todos")).json(&body).send();
    let first = post(json!({"title": "buy milk"})).await.unwrap();
    let (status, location) = (first.status(), first.headers().get("location").cloned());
    let body = first.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(location.unwrap(), "/todos/1");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"id": 1, "title": "buy milk", "done": false})
    );
    for title in ["walk dog", "write tests"] {
        assert_eq!(
            post(json!({"title": title, "done": true}))
                .await
                .unwrap()
                .status(),
            StatusCode::CREATED
        );
    }

    let page: Value = app
        .get("/todos?limit=2&offset=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 3);
    assert_eq!(page["limit"], 2);
    let titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["walk dog", "write tests"]);

    let one: Value = app.get("/todos/2").await.json().await.unwrap();
    assert_eq!(one, json!({"id": 2, "title": "walk dog", "done": true}));

    let put = app
        .client
        .put(app.url("/todos/1"))
        .json(&json!({"title": "buy oat milk", "done": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    let updated: Value = app.get("/todos/1").await.json().await.unwrap();
    assert_eq!(
        updated,
        json!({"id": 1, "title": "buy oat milk", "done": true})
    );

    let deleted = app.client.delete(app.url("/todos/3")).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get("/todos/3").await, 404).await;
    assert_problem(
        app.client.delete(app.url("/todos/3")).send().await.unwrap(),
        404,
    )
    .await;
    let missing_put = app
        .client
        .put(app.url("/todos/99"))
        .json(&json!({"title": "x", "done": false}))
        .send()
        .await
        .unwrap();
    assert_problem(missing_put, 404).await;

    assert_problem(post(json!({"title": ""})).await.unwrap(), 400).await;
    assert_problem(post(json!({"nope": 1})).await.unwrap(), 400).await;
    assert_problem(app.get("/todos/abc").await, 400).await;
    assert_problem(app.get("/todos?limit=1000").await, 400).await;
    assert_problem(app.get("/todos?limit=1%3BDROP%20TABLE%20todos").await, 400).await;

    // An injection attempt through a parameter is stored as text, nothing more.
    let hostile = "x'); DROP TABLE todos; --";
    let created = post(json!({"title": hostile})).await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let all: Value = app.get("/todos?limit=100").await.json().await.unwrap();
    assert_eq!(all["total"], 3);
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["title"] == hostile)
    );

    // A failing statement: the guest gets a typed error and answers 409.
    let taken = post(json!({"id": 1, "title": "again"})).await.unwrap();
    let problem = assert_problem(taken, 409).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("todo 1 exists already")
    );

    // 41.0 is an integer to JSON Schema (the contract's `integer`): the
    // todo gets the id 41.
    let integral = post(json!({"id": 41.0, "title": "a whole float"}))
        .await
        .unwrap();
    let status = integral.status();
    let created: Value = integral.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["id"], 41, "{created}");
}

#[tokio::test]
async fn the_todo_api_works_on_sqlite() {
    let app = spawn_app().await;
    deploy_todo(&app, json!({"driver": "sqlite", "path": "todo.db"})).await;
    crud_scenario(&app).await;
}

#[tokio::test]
async fn an_action_opens_only_the_connections_it_is_granted() {
    let app = spawn_app().await;
    app.create_connection(
        "db",
        "sql",
        json!({"driver": "sqlite", "path": "db.sqlite"}),
    )
    .await;
    app.deploy("misbehave", "sql", "GET", "/sql").await;

    let denied: Value = app
        .get("/sql?do=sql-open&conn=db")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(denied["error"], "access-denied");
    let unknown: Value = app
        .get("/sql?do=sql-open&conn=nope")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unknown["error"], "no-such-connection");

    app.grant("misbehave", &["db"]).await;
    let opened: Value = app
        .get("/sql?do=sql-open&conn=db")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(opened["opened"], true);
}

#[tokio::test]
async fn a_transaction_left_open_is_rolled_back() {
    let app = spawn_app().await;
    app.create_connection(
        "db",
        "sql",
        json!({"driver": "sqlite", "path": "abandon.sqlite"}),
    )
    .await;
    app.deploy("misbehave", "sql", "GET", "/sql").await;
    app.grant("misbehave", &["db"]).await;
    for _ in 0..2 {
        let answer: Value = app
            .get("/sql?do=sql-abandon&conn=db")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(answer["abandoned"], true);
    }
    let url = format!(
        "sqlite://{}",
        app.data_dir.path().join("abandon.sqlite").display()
    );
    let direct = sqlx::SqlitePool::connect(&url).await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
        .fetch_one(&direct)
        .await
        .unwrap();
    assert_eq!(rows, 0, "the uncommitted inserts were rolled back");
}

#[tokio::test]
async fn changing_a_connection_reopens_its_pool_with_the_new_config() {
    let app = spawn_app().await;
    deploy_todo(&app, json!({"driver": "sqlite", "path": "first.db"})).await;
    app.client
        .post(app.url("/todos"))
        .json(&json!({"title": "in first"}))
        .send()
        .await
        .unwrap();
    let patched = app
        .admin_patch(
            "/connections/todo-db",
            &json!({"config": {"path": "second.db"}}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let page: Value = app.get("/todos").await.json().await.unwrap();
    assert_eq!(page["total"], 0, "the todo list now comes from second.db");
}

/// The URL of a database server `scripts/test.sh` started for this run.
#[tokio::test]
async fn the_same_todo_component_works_on_postgresql() {
    let app = spawn_app().await;
    let url = started_server("SLUICE_TEST_POSTGRES_URL");
    drop_todos(&url).await;
    deploy_todo(&app, json!({"driver": "postgres", "url": url})).await;
    crud_scenario(&app).await;
}

#[tokio::test]
async fn the_same_todo_component_works_on_mariadb() {
    let app = spawn_app().await;
    let url = started_server("SLUICE_TEST_MYSQL_URL");
    drop_todos(&url).await;
    deploy_todo(&app, json!({"driver": "mysql", "url": url})).await;
    crud_scenario(&app).await;
}

#[tokio::test]
async fn tls_mode_require_connects_over_tls_and_is_refused_without_it() {
    let app = spawn_app().await;
    let pg = url::Url::parse(&started_server("SLUICE_TEST_POSTGRES_URL")).unwrap();
    let over_tls = json!({
        "driver": "postgres", "host": pg.host_str().unwrap(), "port": pg.port().unwrap(),
        "user": pg.username(), "database": pg.path().trim_start_matches('/'), "tls_mode": "require"
    });
    app.create_connection("pg-tls", "sql", over_tls).await;

    let my = url::Url::parse(&started_server("SLUICE_TEST_MYSQL_URL")).unwrap();
    let response = app
        .admin(reqwest::Method::POST, "/connections")
        .json(&json!({"name": "my-tls", "class": "sql", "config": {
            "driver": "mysql", "host": my.host_str().unwrap(), "port": my.port().unwrap(),
            "user": my.username(), "password": my.password().unwrap(),
            "database": my.path().trim_start_matches('/'), "tls_mode": "require"
        }}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 422).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("connection test failed")
    );
}

/// Runs `query` through the `misbehave` guest on connection `db` (created
/// from `config`) and returns the first row's tagged values by column.
async fn first_row(config: Value, query: &str) -> serde_json::Map<String, Value> {
    let app = spawn_app().await;
    app.create_connection("db", "sql", config).await;
    app.deploy("misbehave", "sql", "GET", "/sql").await;
    app.grant("misbehave", &["db"]).await;
    let url = reqwest::Url::parse_with_params(
        &app.url("/sql"),
        &[("do", "sql-query"), ("conn", "db"), ("q", query)],
    )
    .unwrap();
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    let body: Value = response.json().await.unwrap();
    let columns = body["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string());
    columns
        .zip(body["rows"][0].as_array().unwrap().iter().cloned())
        .collect()
}

#[tokio::test]
async fn postgresql_timestamps_json_numerics_and_uuids_reach_the_guest_as_text() {
    let url = started_server("SLUICE_TEST_POSTGRES_URL");
    let row = first_row(
        json!({"driver": "postgres", "url": url}),
        "SELECT TIMESTAMPTZ '2024-02-29 10:11:12+00' AS tz, TIMESTAMP '2024-02-29 10:11:12.5' AS ts, \
         DATE '2024-02-29' AS d, TIME '10:11:12' AS t, '{\"a\": [1, 2]}'::jsonb AS j, 12.50::numeric AS n, \
         '6f1c1c1e-0e5b-4f4e-9d3e-2b8f7a1c9d00'::uuid AS u, true AS b, 7::int2 AS s, NULL::text AS z",
    )
    .await;
    assert_eq!(row["tz"], json!({"text": "2024-02-29T10:11:12Z"}));
    assert_eq!(row["ts"], json!({"text": "2024-02-29T10:11:12.5"}));
    assert_eq!(row["d"], json!({"text": "2024-02-29"}));
    assert_eq!(row["t"], json!({"text": "10:11:12"}));
    assert_eq!(row["j"], json!({"text": "{\"a\":[1,2]}"}));
    assert_eq!(row["n"], json!({"text": "12.50"}));
    assert_eq!(
        row["u"],
        json!({"text": "6f1c1c1e-0e5b-4f4e-9d3e-2b8f7a1c9d00"})
    );
    assert_eq!(row["b"], json!({"boolean": true}));
    assert_eq!(row["s"], json!({"integer": 7}));
    assert_eq!(row["z"], json!({"null": null}));
}

#[tokio::test]
async fn mariadb_datetimes_decimals_and_json_reach_the_guest_as_text() {
    let url = started_server("SLUICE_TEST_MYSQL_URL");
    let row = first_row(
        json!({"driver": "mysql", "url": url}),
        "SELECT CAST('2024-02-29 10:11:12' AS DATETIME) AS dt, DATE('2024-02-29') AS d, \
         CAST(12.50 AS DECIMAL(6,2)) AS n, JSON_OBJECT('a', 1) AS j, CAST(7 AS UNSIGNED) AS u, 2.5e0 AS r",
    )
    .await;
    assert_eq!(row["dt"], json!({"text": "2024-02-29T10:11:12"}));
    assert_eq!(row["d"], json!({"text": "2024-02-29"}));
    assert_eq!(row["n"], json!({"text": "12.50"}));
    assert_eq!(
        row["j"]["text"].as_str().map(|j| j.replace(' ', "")),
        Some("{\"a\":1}".to_string())
    );
    assert_eq!(row["u"], json!({"integer": 7}));
    assert_eq!(row["r"], json!({"real": 2.5}));
}

/// A statement the host rewrites for PostgreSQL (`?` → `$n`) with a
/// dollar-quoted literal and an escape string holding `?`, a comment, and
/// the JSONB operators written with the question mark doubled: the
/// placeholders are numbered, the rest reaches the server as written.
#[tokio::test]
async fn a_postgresql_statement_keeps_dollar_quotes_and_writes_jsonb_operators_as_doubled_question_marks()
 {
    let url = crate::helpers::fresh_postgres_database().await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query("CREATE TABLE docs (id INTEGER, name TEXT, doc JSONB)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        r#"INSERT INTO docs VALUES (1, 'a', '{"k": 1, "x": 1}'), (2, 'b', '{"k": 2}'),
           (3, 'c', '{"k": 3, "y": 1}'), (4, 'd', '{"z": 1}'), (5, 'e', '{"k": 5, "x": 1}')"#,
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let app = spawn_app().await;
    app.create_connection("docs", "sql", json!({"driver": "postgres", "url": url}))
        .await;
    let statement = r"SELECT name, $$it's ?$$ AS note, E'\'?' AS quoted FROM docs -- ? here
        WHERE doc ?? ? AND doc ??| ARRAY['x', 'y'] AND NOT doc ??& ARRAY['k', 'z'] /* ?? */
        AND id < ? ORDER BY name";
    let made = app
        .admin(reqwest::Method::POST, "/actions")
        .json(
            &json!({"name": "docs", "builtin": "sql-query", "connections": ["docs"], "config": {
                "connection": "docs", "statement": statement,
                "params": ["path.key", {"from": "query.below", "type": "integer"}]
            }}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);
    let created = app
        .create_operation(
            &json!({"name": "docs", "method": "GET", "path": "/docs/:key",
                                  "action": "docs", "public": true}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);

    let response = app.get("/docs/k?below=5").await;
    assert_eq!(response.status(), StatusCode::OK);
    let rows: Value = response.json().await.unwrap();
    assert_eq!(
        rows,
        json!([
            {"name": "a", "note": "it's ?", "quoted": "'?"},
            {"name": "c", "note": "it's ?", "quoted": "'?"}
        ])
    );
}
