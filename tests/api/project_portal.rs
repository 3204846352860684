//! The deploy file's `portal:` key, through the real CLI: a deploy sets the
//! portal's settings in the same transaction as the rest, an export writes
//! them back, and a bad key refuses the whole deploy.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, started_server};
use crate::project::sluice_at;

/// A project with an smtp connection, a scope open to consumers and the
/// `portal` section `portal` (YAML, indented by two).
fn portal_project(dir: &Path, portal: &str) -> PathBuf {
    // The test SMTP server, so that the export (which has no `skip_test`)
    // deploys too.
    let port = started_server("SLUICE_TEST_SMTP_PORT");
    let text = format!(
        "connections:\n  mailer:\n    class: smtp\n    skip_test: true\n    config:\n      host: 127.0.0.1\n      port: {port}\n      tls: none\n      from: Weather API <noreply@weather.test>\nscopes:\n  weather:read:\n    description: Read the weather\n    consumers: true\nportal:\n{portal}"
    );
    let file = dir.join("sluice.yaml");
    std::fs::write(&file, text).unwrap();
    file
}

const GOOD: &str = "  registration: approval\n  mailer: mailer\n  title: Weather API\n  pages:\n    - slug: getting-started\n      title: Getting started\n      markdown: '## First steps'\n  max_apps_per_consumer: 3\n";

async fn settings(app: &TestApp) -> Value {
    app.admin_get("/portal").await.json().await.unwrap()
}

async fn deploy(app: &TestApp, file: &Path, extra: &[&str]) -> crate::project::Run {
    let mut args = vec!["deploy", "-f", file.to_str().unwrap(), "--output", "json"];
    args.extend_from_slice(extra);
    sluice_at(app, file.parent().unwrap(), &args, &[]).await
}

fn portal_line(plan: &[Value]) -> &Value {
    plan.iter()
        .find(|c| c["kind"] == "portal")
        .unwrap_or_else(|| panic!("no portal line in {plan:?}"))
}

#[tokio::test]
async fn a_deploy_with_portal_sets_registration_and_mailer_and_the_export_round_trips() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = portal_project(dir.path(), GOOD);

    let dry = deploy(&app, &file, &["--dry-run"]).await;
    assert!(dry.ok, "{}", dry.stderr);
    let plan: Vec<Value> = serde_json::from_str(&dry.stdout).unwrap();
    let line = portal_line(&plan);
    assert_eq!(line["name"], "settings");
    assert_eq!(line["change"], "update");
    let fields: Vec<&str> = line["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"registration") && fields.contains(&"mailer"),
        "{line}"
    );
    assert_eq!(
        settings(&app).await["registration"],
        "closed",
        "a dry run changes nothing"
    );

    let run = deploy(&app, &file, &[]).await;
    assert!(run.ok, "{}", run.stderr);
    let stored = settings(&app).await;
    assert_eq!(stored["registration"], "approval");
    assert_eq!(stored["mailer"], "mailer");
    assert_eq!(stored["title"], "Weather API");
    assert_eq!(stored["max_apps_per_consumer"], 3);
    assert_eq!(stored["pages"][0]["slug"], "getting-started");
    // What the portal shows consumers follows at once.
    let shown: Value = app.get("/consumer/portal").await.json().await.unwrap();
    assert_eq!(shown["title"], "Weather API", "{shown}");

    let again = deploy(&app, &file, &[]).await;
    let plan: Vec<Value> = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(portal_line(&plan)["change"], "unchanged", "{plan:?}");

    // A file without the key leaves the settings as they are.
    let bare = dir.path().join("bare.yaml");
    std::fs::write(&bare, "scopes:\n  other:\n    description: x\n").unwrap();
    let run = deploy(&app, &bare, &[]).await;
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(settings(&app).await, stored);

    let out = tempfile::tempdir().unwrap();
    let exported = out.path().join("sluice.yaml");
    let run = sluice_at(
        &app,
        out.path(),
        &["export", "-o", exported.to_str().unwrap()],
        &[],
    )
    .await;
    assert!(run.ok, "{}", run.stderr);
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains("portal:"), "{text}");
    assert!(text.contains("registration: approval"), "{text}");

    let second = spawn_app().await;
    let run = deploy(&second, &exported, &[]).await;
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(settings(&second).await, stored);
    let plan: Vec<Value> =
        serde_json::from_str(&deploy(&second, &exported, &[]).await.stdout).unwrap();
    assert!(plan.iter().all(|c| c["change"] == "unchanged"), "{plan:?}");
}

#[tokio::test]
async fn a_bad_portal_key_refuses_the_whole_deploy_and_changes_nothing() {
    let app = spawn_app().await;
    let before = settings(&app).await;
    let dir = tempfile::tempdir().unwrap();

    // An unknown mailer: refused at the end, after everything else was
    // written in the transaction, which rolls back.
    let file = portal_project(
        dir.path(),
        "  registration: open\n  mailer: no-such-mailer\n",
    );
    let run = deploy(&app, &file, &[]).await;
    assert!(!run.ok);
    assert!(run.stderr.contains("portal \"settings\""), "{}", run.stderr);
    assert!(run.stderr.contains("no-such-mailer"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was applied"), "{}", run.stderr);
    assert!(
        run.stderr.contains("sluice.yaml:"),
        "the place in the file: {}",
        run.stderr
    );
    for path in ["/connections/mailer", "/scopes/weather:read"] {
        assert_eq!(
            app.admin_get(path).await.status(),
            404,
            "{path} was applied"
        );
    }
    assert_eq!(settings(&app).await, before);

    // A mode that does not exist: the file's schema refuses it in the CLI,
    // the server refuses it too.
    let file = portal_project(dir.path(), "  registration: sometimes\n  mailer: mailer\n");
    let run = deploy(&app, &file, &[]).await;
    assert!(!run.ok);
    assert!(run.stderr.contains("registration"), "{}", run.stderr);
    let refused = app
        .admin(reqwest::Method::POST, "/deploy")
        .json(&json!({
            "scopes": {"weather:read": {"description": "x"}},
            "portal": {"registration": "sometimes"},
        }))
        .send()
        .await
        .unwrap();
    // The admin API checks the body against its document first: the
    // pointer names the member.
    let problem = crate::helpers::assert_problem(refused, 400).await;
    assert_eq!(
        problem["errors"][0]["pointer"], "/portal/registration",
        "{problem}"
    );

    // Open registration without a mailer breaks a rule: a pointer under /portal.
    let refused = app
        .admin(reqwest::Method::POST, "/deploy")
        .json(&json!({"portal": {"registration": "open"}}))
        .send()
        .await
        .unwrap();
    let problem = crate::helpers::assert_problem(refused, 400).await;
    assert_eq!(
        problem["errors"][0]["pointer"], "/portal/mailer",
        "{problem}"
    );

    assert_eq!(app.admin_get("/scopes/weather:read").await.status(), 404);
    assert_eq!(settings(&app).await, before);
}
