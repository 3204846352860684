//! The account commands: `sluice user add`, `sluice app add`, `sluice token`.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{ControlPlane, start, test_settings};

async fn sluice(
    args: &[&str],
    data_dir: &std::path::Path,
    cp: &ControlPlane,
    stdin: Option<&str>,
) -> String {
    use tokio::io::AsyncWriteExt;
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sluice"));
    command
        .args(args)
        .envs(cp.env.iter().map(|(k, v)| (k, v)))
        .arg("--data-dir")
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.unwrap();
    }
    drop(input);
    let output = child.wait_with_output().await.unwrap();
    assert!(
        output.status.success(),
        "sluice {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn the_first_admin_comes_from_the_cli_and_its_token_opens_the_admin_api() {
    let data_dir = tempfile::tempdir().unwrap();
    let cp = ControlPlane::new().await;
    let added: Value = serde_json::from_str(
        &sluice(
            &["user", "add", "boss", "--admin"],
            data_dir.path(),
            &cp,
            None,
        )
        .await,
    )
    .unwrap();
    assert_eq!(added["roles"], serde_json::json!(["admin"]));
    let password = added["password"].as_str().unwrap().to_string();
    assert!(password.len() >= 16, "a generated password is shown once");
    sluice(
        &["user", "add", "ada", "--password-stdin"],
        data_dir.path(),
        &cp,
        Some("correct horse\n"),
    )
    .await;

    let mut settings = test_settings(&data_dir);
    settings.admin_token = None;
    cp.apply(&mut settings);
    let app = start(settings, data_dir).await;
    let dir = app.data_dir.path().to_path_buf();
    let without = app
        .client
        .get(app.url("/admin/actions"))
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), StatusCode::UNAUTHORIZED);

    let token = sluice(&["token", "--user", "boss"], &dir, &cp, None).await;
    let with = app
        .client
        .get(app.url("/admin/actions"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), StatusCode::OK);

    let login = app
        .token_request(&[
            ("grant_type", "password"),
            ("username", "boss"),
            ("password", &password),
        ])
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    let ada = app
        .token_request(&[
            ("grant_type", "password"),
            ("username", "ada"),
            ("password", "correct horse"),
        ])
        .await;
    assert_eq!(ada.status(), StatusCode::OK);

    let created: Value = serde_json::from_str(
        &sluice(&["app", "add", "ops", "--scope", "admin"], &dir, &cp, None).await,
    )
    .unwrap();
    let client = crate::helpers::AppClient {
        client_id: created["client_id"].as_str().unwrap().into(),
        client_secret: created["client_secret"].as_str().unwrap().into(),
    };
    let app_token = app.client_token(&client).await;
    let by_app = app
        .client
        .get(app.url("/admin/users"))
        .bearer_auth(&app_token)
        .send()
        .await
        .unwrap();
    assert_eq!(by_app.status(), StatusCode::OK);

    // The last admin cannot be removed: nobody could administer the platform.
    let last = app
        .client
        .delete(app.url("/admin/users/boss"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(last.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn an_oauth2_client_library_obtains_a_token_and_calls_a_private_operation() {
    let app = crate::helpers::spawn_app().await;
    app.upload_example("echo").await;
    app.create_scopes(&["todo:read"]).await;
    app.admin_create(
        "/operations",
        serde_json::json!({"name": "closed", "method": "GET", "path": "/closed/:x",
                           "action": "echo", "public": false, "scopes": ["todo:read"]}),
    )
    .await;
    let client = app.create_client("lib", &["todo:read"]).await;
    app.admin_create(
        "/roles",
        serde_json::json!({"name": "reader", "scopes": ["todo:read"]}),
    )
    .await;
    app.admin_create(
        "/users",
        serde_json::json!({"name": "ada", "password": "correct horse", "roles": ["reader"]}),
    )
    .await;
    // authlib (PyPI), an independent OAuth2 implementation: client
    // credentials with HTTP Basic, then the password grant and a refresh.
    let script = format!(
        r#"
from authlib.integrations.requests_client import OAuth2Session
base = "{base}"
s = OAuth2Session("{id}", "{secret}", scope="todo:read")
token = s.fetch_token(base + "/authorization/token", grant_type="client_credentials")
assert token["token_type"] == "Bearer", token
r = s.get(base + "/closed/authlib")
assert r.status_code == 200, (r.status_code, r.text)
assert r.json()["context"]["app"] == "lib", r.text
u = OAuth2Session("{id}", "{secret}")
t = u.fetch_token(base + "/authorization/token", username="ada", password="correct horse")
r = u.get(base + "/closed/user")
assert r.json()["context"]["user"] == "ada", r.text
t2 = u.refresh_token(base + "/authorization/token", refresh_token=t["refresh_token"])
assert t2["access_token"] != t["access_token"]
assert u.get(base + "/closed/again").status_code == 200
print("ok")
"#,
        base = app.address,
        id = client.client_id,
        secret = client.client_secret,
    );
    let out = crate::helpers::run_tool("python", app.data_dir.path(), &["-c", &script]).await;
    assert!(out.contains("ok"), "{out}");
}
