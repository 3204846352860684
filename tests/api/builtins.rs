//! Built-in actions: embedded in the binary, listed as read-only
//! `builtin:<name>` actions, and made into ordinary actions with a config —
//! `sql-table` over SQLite, PostgreSQL and MariaDB, `sql-query`,
//! `http-processor`, `static-response` and `redirect` — with clear config
//! errors and the same grants as any action.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

/// `POST /admin/actions` making `name` from `builtin`.
pub async fn make(app: &TestApp, body: Value) -> reqwest::Response {
    app.admin(Method::POST, "/actions")
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn route(app: &TestApp, name: &str, method: &str, path: &str, action: &str) {
    let created = app
        .create_operation(
            &json!({"name": name, "method": method, "path": path, "action": action, "public": true}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED, "{name}");
}

#[tokio::test]
async fn the_builtins_are_listed_read_only_and_cannot_be_replaced_changed_or_deleted() {
    let app = spawn_app().await;
    let listed: Value = app
        .admin_get("/actions?builtin=true")
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "builtin:http-processor",
            "builtin:redirect",
            "builtin:sql-query",
            "builtin:sql-table",
            "builtin:static-response"
        ]
    );
    for action in listed.as_array().unwrap() {
        assert_eq!(action["read_only"], true);
        assert!(action["latest_version"]["size_bytes"].as_i64().unwrap() > 1000);
    }
    let others: Value = app
        .admin_get("/actions?builtin=false")
        .await
        .json()
        .await
        .unwrap();
    assert!(others.as_array().unwrap().is_empty(), "{others}");

    let replaced = app
        .upload("builtin:redirect", crate::helpers::example_wasm("hello"))
        .await;
    let problem = assert_problem(replaced, 403).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("POST /admin/actions"),
        "{problem}"
    );
    assert_problem(
        app.admin_patch("/actions/builtin:redirect", &json!({"description": "x"}))
            .await,
        403,
    )
    .await;
    assert_problem(app.admin_delete("/actions/builtin:redirect").await, 403).await;

    // A restart installs nothing twice.
    let app = app.restart().await;
    let versions: Value = app
        .admin_get("/actions/builtin:sql-table/versions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(versions.as_array().unwrap().len(), 1, "{versions}");
}

#[tokio::test]
async fn a_static_response_and_a_redirect_answer_what_their_config_says() {
    let app = spawn_app().await;
    let made = make(
        &app,
        json!({"name": "teapot", "builtin": "static-response", "config":
            {"status": 418, "headers": {"x-brew": "earl grey"}, "body": {"short": true, "stout": true}}}),
    )
    .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let made: Value = made.json().await.unwrap();
    assert_eq!(made["builtin"], "static-response");
    assert_eq!(made["read_only"], false);
    route(&app, "teapot", "GET", "/teapot", "teapot").await;
    let answer = app.get("/teapot").await;
    assert_eq!(answer.status().as_u16(), 418);
    assert_eq!(answer.headers()["x-brew"], "earl grey");
    assert_eq!(answer.headers()["content-type"], "application/json");
    assert_eq!(
        answer.json::<Value>().await.unwrap(),
        json!({"short": true, "stout": true})
    );

    make(
        &app,
        json!({"name": "docs", "builtin": "builtin:redirect", "config":
            {"status": 308, "location": "https://docs.example/{topic}?q={query.q}"}}),
    )
    .await;
    route(&app, "docs", "GET", "/docs/:topic", "docs").await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = client
        .get(app.url("/docs/a%20b?q=x%26y"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 308);
    assert_eq!(
        answer.headers()["location"],
        "https://docs.example/a%20b?q=x%26y"
    );
}

#[tokio::test]
async fn config_errors_name_the_field_and_unknown_builtins_and_taken_names_are_refused() {
    let app = spawn_app().await;
    let bad = make(
        &app,
        json!({"name": "t", "builtin": "sql-table", "config":
            {"connection": "db", "table": "items; DROP TABLE x", "key": "id", "columns": []}}),
    )
    .await;
    let problem = assert_problem(bad, 400).await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert!(pointers.contains(&"/config/table"), "{problem}");
    assert!(pointers.contains(&"/config/columns"), "{problem}");

    let missing = make(
        &app,
        json!({"name": "r", "builtin": "redirect", "config": {}}),
    )
    .await;
    assert_problem(missing, 400).await;
    // The admin document lists the built-ins, so an unknown one is a value
    // off its enum.
    let unknown = make(&app, json!({"name": "u", "builtin": "sql-everything"})).await;
    let problem = assert_problem(unknown, 400).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("sql-table"),
        "{problem}"
    );
    let no_connection = make(
        &app,
        json!({"name": "p", "builtin": "http-processor", "config": {"connection": "nope"},
               "connections": ["nope"]}),
    )
    .await;
    assert_problem(no_connection, 422).await;

    let first = make(&app, json!({"name": "s", "builtin": "static-response"})).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let again = make(&app, json!({"name": "s", "builtin": "static-response"})).await;
    assert_problem(again, 409).await;
    // Its config is checked on every change, and its component follows the binary.
    let patched = app
        .admin_patch("/actions/s", &json!({"config": {"status": 9000}}))
        .await;
    assert_problem(patched, 400).await;
    let uploaded = app.upload("s", crate::helpers::example_wasm("hello")).await;
    assert_problem(uploaded, 409).await;
}

/// A table `name` with an integer key the database assigns, a required
/// text, a nullable float, a boolean with a default and a nullable text.
fn items_table(driver: &str, name: &str) -> String {
    let key = match driver {
        "postgres" => "id BIGSERIAL PRIMARY KEY",
        "mysql" => "id BIGINT AUTO_INCREMENT PRIMARY KEY",
        _ => "id INTEGER PRIMARY KEY AUTOINCREMENT",
    };
    format!(
        "CREATE TABLE {name} ({key}, name VARCHAR(100) NOT NULL, price DOUBLE PRECISION, \
         in_stock BOOLEAN NOT NULL DEFAULT TRUE, note TEXT)"
    )
}

/// The connection config and a fresh table for `driver`.
async fn items_connection(app: &TestApp, driver: &str) -> (Value, String) {
    let table = format!("items_{}", uuid::Uuid::new_v4().simple());
    let config = crate::helpers::sql_database(app, driver, &[items_table(driver, &table)]).await;
    (config, table)
}

/// Makes `items` from `sql-table` over a fresh table and maps the five operations.
async fn items_api(app: &TestApp, driver: &str) -> String {
    let (connection, table) = items_connection(app, driver).await;
    app.create_connection("shop", "sql", connection).await;
    let made = make(
        app,
        json!({"name": "items", "builtin": "sql-table", "connections": ["shop"], "config": {
        "connection": "shop", "table": table, "key": "id", "dialect": driver,
        "columns": [
            {"name": "id", "type": "integer", "generated": true},
            {"name": "name", "type": "string"},
            {"name": "price", "type": "number", "nullable": true},
            {"name": "in_stock", "type": "boolean", "has_default": true},
            {"name": "note", "type": "string", "nullable": true}
        ]}}),
    )
    .await;
    assert_eq!(
        made.status(),
        StatusCode::CREATED,
        "{}",
        made.text().await.unwrap()
    );
    for (name, method, path) in [
        ("items-list", "GET", "/items"),
        ("items-get", "GET", "/items/:id"),
        ("items-create", "POST", "/items"),
        ("items-replace", "PUT", "/items/:id"),
        ("items-update", "PATCH", "/items/:id"),
        ("items-delete", "DELETE", "/items/:id"),
    ] {
        route(app, name, method, path, "items").await;
    }
    table
}

/// Every operation of the `items` API: create, read, list with sort,
/// filter and paging, full and partial update, delete, 404s, bad input
/// and injection attempts that stay inert.
pub async fn items_scenario(app: &TestApp) {
    let post = |body: Value| app.client.post(app.url("/items")).json(&body).send();
    let first = post(json!({"name": "apple", "price": 0.5})).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(first.headers()["location"], "/items/1");
    assert_eq!(
        first.json::<Value>().await.unwrap(),
        json!({"id": 1, "name": "apple", "price": 0.5, "in_stock": true, "note": null})
    );
    for body in [
        json!({"name": "pear", "price": 0.75, "in_stock": false}),
        json!({"name": "fig", "note": "dried"}),
    ] {
        assert_eq!(post(body).await.unwrap().status(), StatusCode::CREATED);
    }

    let page: Value = app
        .get("/items?sort=-name&limit=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 3);
    assert_eq!(page["limit"], 2);
    assert_eq!(page["offset"], 0);
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pear", "fig"]);
    let next: Value = app
        .get("/items?sort=-name&limit=2&offset=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["items"][0]["name"], "apple");
    let in_stock: Value = app.get("/items?in_stock=true").await.json().await.unwrap();
    assert_eq!(in_stock["total"], 2);
    let pears: Value = app.get("/items?name=pear").await.json().await.unwrap();
    assert_eq!(pears["items"][0]["in_stock"], false);

    let fig: Value = app.get("/items/3").await.json().await.unwrap();
    assert_eq!(
        fig,
        json!({"id": 3, "name": "fig", "price": null, "in_stock": true, "note": "dried"})
    );
    let patched = app
        .client
        .patch(app.url("/items/3"))
        .json(&json!({"price": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(
        patched.json::<Value>().await.unwrap(),
        json!({"id": 3, "name": "fig", "price": 2.0, "in_stock": true, "note": "dried"})
    );
    let partial_put = app
        .client
        .put(app.url("/items/3"))
        .json(&json!({"name": "fig"}))
        .send()
        .await
        .unwrap();
    assert_problem(partial_put, 400).await;
    let put = app
        .client
        .put(app.url("/items/3"))
        .json(&json!({"name": "figs", "price": null, "in_stock": false, "note": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.json::<Value>().await.unwrap(),
        json!({"id": 3, "name": "figs", "price": null, "in_stock": false, "note": null})
    );

    let deleted = app.client.delete(app.url("/items/2")).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get("/items/2").await, 404).await;
    assert_problem(
        app.client.delete(app.url("/items/2")).send().await.unwrap(),
        404,
    )
    .await;
    let missing = app
        .client
        .patch(app.url("/items/99"))
        .json(&json!({"price": 1}))
        .send()
        .await
        .unwrap();
    assert_problem(missing, 404).await;

    // Bad input: wrong types, read-only and unknown columns, a bad key.
    assert_problem(post(json!({"name": 5})).await.unwrap(), 400).await;
    assert_problem(post(json!({"price": 1})).await.unwrap(), 400).await;
    assert_problem(post(json!({"id": 7, "name": "x"})).await.unwrap(), 400).await;
    assert_problem(
        post(json!({"name": "x", "colour": "red"})).await.unwrap(),
        400,
    )
    .await;
    assert_problem(app.get("/items/abc").await, 400).await;
    assert_problem(app.get("/items?limit=1000").await, 400).await;

    // Injection attempts through sort, filter names and values are inert.
    for query in [
        "sort=name%3BDROP%20TABLE%20x",
        "sort=-(SELECT%201)",
        "name%20OR%201%3D1=x",
        "in_stock=1%20OR%201%3D1",
    ] {
        let answer = app.get(&format!("/items?{query}")).await;
        let problem = assert_problem(answer, 400).await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            !detail.contains("SELECT") || detail.contains("is not"),
            "{detail}"
        );
    }
    let hostile = "x'); DROP TABLE items; --";
    let stored: Value = app
        .get(&format!("/items?name={}", urlencode(hostile)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["total"], 0);
    assert_eq!(
        post(json!({"name": hostile})).await.unwrap().status(),
        StatusCode::CREATED
    );
    let all: Value = app.get("/items").await.json().await.unwrap();
    assert_eq!(all["total"], 3);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn a_sql_table_action_serves_a_crud_api_over_sqlite() {
    let app = spawn_app().await;
    items_api(&app, "sqlite").await;
    items_scenario(&app).await;
}

#[tokio::test]
async fn a_sql_table_action_serves_a_crud_api_over_postgresql() {
    let app = spawn_app().await;
    items_api(&app, "postgres").await;
    items_scenario(&app).await;
}

#[tokio::test]
async fn a_sql_table_action_serves_a_crud_api_over_mariadb() {
    let app = spawn_app().await;
    items_api(&app, "mysql").await;
    items_scenario(&app).await;
}

#[tokio::test]
async fn a_sql_query_action_binds_path_query_and_body_values() {
    let app = spawn_app().await;
    let table = items_api(&app, "sqlite").await;
    for name in ["apple", "pear", "plum"] {
        app.client
            .post(app.url("/items"))
            .json(&json!({"name": name, "price": 1.5}))
            .send()
            .await
            .unwrap();
    }
    let made = make(
        &app,
        json!({"name": "cheap", "builtin": "sql-query", "connections": ["shop"], "config": {
            "connection": "shop",
            "statement": format!("SELECT name FROM {table} WHERE name LIKE ? AND price <= ? ORDER BY name"),
            "params": ["path.prefix", {"from": "query.max", "type": "number", "default": 100}]
        }}),
    )
    .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    route(&app, "cheap", "GET", "/cheap/:prefix", "cheap").await;
    let rows: Value = app.get("/cheap/p%25?max=2").await.json().await.unwrap();
    assert_eq!(rows, json!([{"name": "pear"}, {"name": "plum"}]));
    assert_problem(app.get("/cheap/p%25?max=lots").await, 400).await;

    make(
        &app,
        json!({"name": "one", "builtin": "sql-query", "connections": ["shop"], "config": {
            "connection": "shop", "result": "row",
            "statement": format!("SELECT id, name FROM {table} WHERE id = ?"),
            "params": [{"from": "path.id", "type": "integer"}]
        }}),
    )
    .await;
    route(&app, "one", "GET", "/one/:id", "one").await;
    let row: Value = app.get("/one/2").await.json().await.unwrap();
    assert_eq!(row, json!({"id": 2, "name": "pear"}));
    assert_problem(app.get("/one/42").await, 404).await;

    make(
        &app,
        json!({"name": "rename", "builtin": "sql-query", "connections": ["shop"], "config": {
            "connection": "shop", "result": "execute",
            "statement": format!("UPDATE {table} SET name = ? WHERE id = ?"),
            "params": ["body.name", {"from": "path.id", "type": "integer"}]
        }}),
    )
    .await;
    route(&app, "rename", "POST", "/rename/:id", "rename").await;
    let done: Value = app
        .client
        .post(app.url("/rename/1"))
        .json(&json!({"name": "green apple"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(done["rows_affected"], 1);
    let missing = app
        .client
        .post(app.url("/rename/1"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(missing, 400).await;
    assert_eq!(problem["detail"], "body field /name is required");
}

#[tokio::test]
async fn an_http_processor_forwards_with_its_mapping_and_stays_under_the_base_url() {
    let app = spawn_app().await;
    let upstream = crate::upstream::start().await;
    app.create_connection("api", "http", json!({"base_url": upstream.base}))
        .await;
    let made = make(
        &app,
        json!({"name": "users", "builtin": "http-processor", "connections": ["api"], "config": {
            "connection": "api", "path": "/users/{id}/profile",
            "query": {"expand": "all"}, "headers": {"x-from": "sluice"}
        }}),
    )
    .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    route(&app, "users", "GET", "/users/:id", "users").await;
    let answer = app
        .client
        .get(app.url("/users/42?x=1"))
        .header("cookie", "session=consumer-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let seen = upstream.seen();
    let last = seen.last().unwrap();
    assert_eq!(last.path, "/v1/users/42/profile");
    let query = last.query.clone().unwrap_or_default();
    assert!(
        query.contains("x=1") && query.contains("expand=all"),
        "{query}"
    );
    assert_eq!(last.headers["x-from"], "sluice");
    assert!(last.headers.get("cookie").is_none());
    // The id is one encoded segment: a slash in it cannot climb out of
    // /v1/users, the host refuses the encoded slash.
    assert_problem(app.get("/users/..%2F..%2Fadmin").await, 400).await;
    assert_eq!(upstream.seen().len(), seen.len());
}

#[tokio::test]
async fn a_deploy_file_names_a_builtin_instead_of_a_source_and_exports_it_back() {
    use crate::project::sluice_at;
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = "actions:\n  maintenance:\n    builtin: static-response\n    config:\n      status: 503\n      \
                headers: {retry-after: '120'}\n      body: back soon\noperations:\n  status:\n    \
                method: GET\n    path: /status\n    action: maintenance\n    public: true\n";
    std::fs::write(dir.path().join("sluice.yaml"), file).unwrap();
    let deployed = sluice_at(&app, dir.path(), &["deploy"], &[]).await;
    assert!(deployed.ok, "{}", deployed.stderr);
    let answer = app.get("/status").await;
    assert_eq!(answer.status().as_u16(), 503);
    assert_eq!(answer.headers()["retry-after"], "120");
    assert_eq!(answer.text().await.unwrap(), "back soon");

    // Deploying the same file again changes nothing.
    let again = sluice_at(
        &app,
        dir.path(),
        &["deploy", "--dry-run", "--output", "json"],
        &[],
    )
    .await;
    assert!(again.ok, "{}", again.stderr);
    let plan: Vec<Value> = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(plan.len(), 2, "{plan:?}");
    assert!(plan.iter().all(|c| c["change"] == "unchanged"), "{plan:?}");

    let exported = dir.path().join("exported.yaml");
    let run = sluice_at(
        &app,
        dir.path(),
        &["export", "-o", exported.to_str().unwrap()],
        &[],
    )
    .await;
    assert!(run.ok, "{}", run.stderr);
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains("builtin: static-response"), "{text}");
    assert!(!text.contains("builtin:sql-table"), "{text}");

    // A config the built-in refuses is refused by the deploy, naming the field.
    std::fs::write(
        dir.path().join("sluice.yaml"),
        file.replace("status: 503", "status: 9000"),
    )
    .unwrap();
    let refused = sluice_at(&app, dir.path(), &["deploy"], &[]).await;
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("/config/status"),
        "{}",
        refused.stderr
    );
}

#[tokio::test]
async fn a_sql_table_config_is_checked_against_the_table_and_the_grants() {
    let app = spawn_app().await;
    let (connection, table) = items_connection(&app, "sqlite").await;
    app.create_connection("shop", "sql", connection).await;
    let config = |columns: Value, table: &str| json!({"connection": "shop", "table": table, "key": "id", "columns": columns});
    let good = json!([{"name": "id", "type": "integer", "generated": true}, {"name": "name", "type": "string"}]);

    let unknown_column = make(
        &app,
        json!({"name": "t1", "builtin": "sql-table", "connections": ["shop"],
               "config": config(json!([{"name": "id", "type": "integer"}, {"name": "colour", "type": "string"}]), &table)}),
    )
    .await;
    let problem = assert_problem(unknown_column, 422).await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("no column \"colour\"") && detail.contains("in_stock"),
        "{detail}"
    );

    let unknown_table = make(
        &app,
        json!({"name": "t2", "builtin": "sql-table", "connections": ["shop"],
               "config": config(good.clone(), "nowhere")}),
    )
    .await;
    let problem = assert_problem(unknown_table, 422).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("no table named \"nowhere\""),
        "{problem}"
    );

    let not_granted = make(
        &app,
        json!({"name": "t3", "builtin": "sql-table", "config": config(good.clone(), &table)}),
    )
    .await;
    let problem = assert_problem(not_granted, 422).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("not granted"),
        "{problem}"
    );

    let made = make(
        &app,
        json!({"name": "t4", "builtin": "sql-table", "connections": ["shop"], "config": config(good, &table)}),
    )
    .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    // Taking the grant away is refused while the config uses it.
    let ungranted = app
        .admin_patch("/actions/t4", &json!({"connections": []}))
        .await;
    assert_problem(ungranted, 422).await;
    let actions: Value = app
        .admin_get("/actions?builtin=false")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        actions.as_array().unwrap().len(),
        1,
        "only t4 was made: {actions}"
    );
}
