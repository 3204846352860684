//! The CLI against running servers: login with a password and a refreshed
//! token, `get`, `delete` and `logs`, `sluice new` + `sluice build`, and
//! `sluice up --watch`.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::{ADMIN_TOKEN, spawn_app};
use crate::project::{repo, sluice_at};

/// Runs `sluice args` with `stdin`, with no URL or token in the environment
/// and its config in `config`.
async fn sluice_plain(args: &[&str], config: &Path, stdin: &str) -> (bool, String, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env_remove("SLUICE_URL")
        .env_remove("SLUICE_TOKEN")
        .env("SLUICE_CONFIG_DIR", config)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn saved(config: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(config.join("credentials.json")).unwrap()).unwrap()
}

#[tokio::test]
async fn a_login_with_a_password_is_refreshed_when_it_expires_and_logout_ends_it() {
    let app = spawn_app().await;
    app.admin_create(
        "/users",
        json!({"name": "boss", "password": "correct horse battery", "roles": ["admin"]}),
    )
    .await;
    let config = tempfile::tempdir().unwrap();
    let dir = config.path();

    let (ok, _, err) = sluice_plain(
        &["login", &app.address, "--user", "boss", "--password-stdin"],
        dir,
        "wrong password\n",
    )
    .await;
    assert!(!ok && err.contains("refused the login"), "{err}");
    let (ok, out, err) = sluice_plain(
        &["login", &app.address, "--user", "boss", "--password-stdin"],
        dir,
        "correct horse battery\n",
    )
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("logged in"), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("credentials.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let (ok, out, err) = sluice_plain(&["get", "scopes"], dir, "").await;
    assert!(ok && out.contains("admin"), "{out}{err}");

    // An access token past its expiry is refreshed (and the refresh token rotated).
    let mut credentials = saved(dir);
    let old_refresh = credentials["refresh_token"].clone();
    credentials["expires_at"] = json!(0);
    std::fs::write(dir.join("credentials.json"), credentials.to_string()).unwrap();
    let (ok, out, err) = sluice_plain(&["get", "scopes", "-o", "json"], dir, "").await;
    assert!(ok, "{err}");
    assert!(serde_json::from_str::<Value>(&out).unwrap().is_array());
    let refreshed = saved(dir);
    assert_ne!(refreshed["refresh_token"], old_refresh);
    assert!(refreshed["expires_at"].as_i64().unwrap() > 0);

    let (ok, out, _) = sluice_plain(&["logout"], dir, "").await;
    assert!(ok && out.contains("logged out"), "{out}");
    assert!(!dir.join("credentials.json").exists());
    let reused = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                refreshed["refresh_token"].as_str().unwrap(),
            ),
        ])
        .await;
    assert_eq!(reused.status(), 400, "the session ended on the server");
    let (ok, _, err) = sluice_plain(&["get", "scopes"], dir, "").await;
    assert!(!ok && err.contains("sluice login"), "{err}");
}

#[tokio::test]
async fn get_delete_and_logs_show_what_the_admin_api_holds() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let hello = repo().join("actions-examples/dist/hello.wasm");
    std::fs::write(
        dir.path().join("sluice.yaml"),
        format!("actions:\n  hello: {{source: {}}}\noperations:\n  hello: {{method: GET, path: /hello/:name, action: hello, public: true}}\n  hi: {{method: GET, path: /hi/:name, action: hello, public: true}}\n", hello.display()),
    )
    .unwrap();
    assert!(sluice_at(&app, dir.path(), &["deploy"], &[]).await.ok);
    assert_eq!(app.get("/hello/logged").await.status(), 200);
    app.state.request_log.flush().await;

    let table = sluice_at(&app, dir.path(), &["get", "operations"], &[]).await;
    assert!(table.ok, "{}", table.stderr);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("METHOD"),
        "{}",
        table.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("hello") && l.contains("/hello/:name")),
        "{}",
        table.stdout
    );
    let one = sluice_at(
        &app,
        dir.path(),
        &["get", "actions", "hello", "-o", "json"],
        &[],
    )
    .await;
    let action: Value = serde_json::from_str(&one.stdout).unwrap();
    assert_eq!(action["latest_version"]["version"], 1);
    let yaml = sluice_at(&app, dir.path(), &["get", "rate-limits", "-o", "yaml"], &[]).await;
    assert!(
        yaml.ok && yaml.stdout.contains("name: default"),
        "{}",
        yaml.stdout
    );

    let logs = sluice_at(&app, dir.path(), &["logs", "--operation", "hello"], &[]).await;
    assert!(
        logs.ok && logs.stdout.contains("/hello/logged"),
        "{}{}",
        logs.stdout,
        logs.stderr
    );

    let deleted = sluice_at(&app, dir.path(), &["delete", "operations", "hi"], &[]).await;
    assert!(deleted.ok, "{}", deleted.stderr);
    assert_eq!(app.admin_get("/operations/hi").await.status(), 404);
    let in_use = sluice_at(&app, dir.path(), &["delete", "actions", "hello"], &[]).await;
    assert!(
        !in_use.ok && in_use.stderr.contains("409"),
        "{}",
        in_use.stderr
    );
    let unknown = sluice_at(&app, dir.path(), &["get", "widgets"], &[]).await;
    assert!(
        !unknown.ok && unknown.stderr.contains("unknown kind"),
        "{}",
        unknown.stderr
    );
}

#[tokio::test]
async fn a_new_rust_project_builds_with_sluice_build_and_deploys() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let made = sluice_at(&app, dir.path(), &["new", "rust", "greeter"], &[]).await;
    assert!(made.ok, "{}", made.stderr);
    let project = dir.path().join("greeter");
    for file in [
        "Cargo.toml",
        "src/lib.rs",
        "sluice.yaml",
        "README.md",
        "sluice-sdk/src/lib.rs",
        "wit/action.wit",
    ] {
        assert!(project.join(file).exists(), "{file} is missing");
    }
    // On these machines rustup has no wasm32-wasip2: build with the toolchain
    // of WASM_TOOLCHAIN.md through the repository's script instead of cargo's
    // wasip2 target, as the file's own `build` would elsewhere.
    let file = project.join("sluice.yaml");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "command: cargo build --release --target wasm32-wasip2",
        &format!(
            "command: [bash, {}, ., target/wasm32-wasip2/release/greeter.wasm]",
            repo().join("scripts/build-action-crate.sh").display()
        ),
    );
    std::fs::write(&file, text).unwrap();
    let built = sluice_at(&app, &project, &["build"], &[]).await;
    assert!(built.ok, "{}", built.stderr);
    let deployed = sluice_at(&app, &project, &["deploy"], &[]).await;
    assert!(deployed.ok, "{}", deployed.stderr);
    let answer: Value = app.get("/greeter/world").await.json().await.unwrap();
    assert_eq!(answer["message"], "Hello, world!");
    let taken = sluice_at(&app, dir.path(), &["new", "rust", "greeter"], &[]).await;
    assert!(
        !taken.ok && taken.stderr.contains("exists"),
        "{}",
        taken.stderr
    );
}

#[tokio::test]
async fn sluice_up_serves_the_project_and_redeploys_when_the_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    let hello = repo().join("actions-examples/dist/hello.wasm");
    let file = dir.path().join("sluice.yaml");
    let write = |description: &str| {
        std::fs::write(
            &file,
            format!("actions:\n  hello: {{source: {}}}\noperations:\n  hello: {{method: GET, path: /hello/:name, action: hello, public: true, description: {description}}}\n", hello.display()),
        )
        .unwrap();
    };
    write("first");
    let data = dir.path().join("data");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["up", "-f", file.to_str().unwrap(), "--watch"])
        .env("SLUICE_LISTEN", "127.0.0.1:0")
        .env("SLUICE_DATA_DIR", &data)
        .env("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let base = loop {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("sluice up started within a minute")
            .unwrap()
            .expect("sluice up exited early");
        if let Some(rest) = line.strip_prefix("sluice is up at ") {
            break rest.split(' ').next().unwrap().to_string();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(format!("{base}/hello/up"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(
        data.join("admin-password").exists(),
        "the first start creates the admin user"
    );

    write("second");
    let started = Instant::now();
    loop {
        let op: Value = client
            .get(format!("{base}/admin/operations/hello"))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if op["description"] == "second" {
            break;
        }
        // A minute, as for the start: a busy machine recompiles slowly.
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no redeploy: {op}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().await.unwrap();
}

#[tokio::test]
async fn the_cli_logs_in_and_works_against_the_admin_listener() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.admin_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    app.admin_create(
        "/users",
        json!({"name": "boss", "password": "correct horse battery", "roles": ["admin"]}),
    )
    .await;
    let config = tempfile::tempdir().unwrap();
    let dir = config.path();

    let (ok, out, err) = sluice_plain(
        &[
            "login",
            &app.admin_address,
            "--user",
            "boss",
            "--password-stdin",
        ],
        dir,
        "correct horse battery\n",
    )
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("logged in"), "{out}");
    let (ok, out, err) = sluice_plain(&["get", "scopes"], dir, "").await;
    assert!(ok, "{err}");
    assert!(out.contains("admin"), "{out}");

    // The main address signs consumers in, but serves no admin API: the
    // refusal says where it is.
    let (ok, _, err) = sluice_plain(
        &["login", &app.address, "--user", "boss", "--password-stdin"],
        dir,
        "correct horse battery\n",
    )
    .await;
    assert!(ok, "{err}");
    let (ok, _, err) = sluice_plain(&["get", "scopes"], dir, "").await;
    assert!(!ok);
    assert!(err.contains("SLUICE_ADMIN_LISTEN"), "{err}");
}
