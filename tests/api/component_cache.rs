//! Compiled components kept on disk: a restart serves an action's first
//! request without compiling it, and a damaged cache file is never
//! trusted — the component is compiled again.

use std::path::{Path, PathBuf};

use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app_with};

/// `sluice_component_compilations_total` as `/system/metrics` reports it.
async fn compilations(app: &TestApp) -> f64 {
    let text = app
        .client
        .get(app.url("/system/metrics"))
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with("sluice_component_compilations_total"))
        .and_then(|l| l.split_whitespace().last())
        .map_or(0.0, |v| v.parse().unwrap())
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test]
async fn a_restart_serves_the_first_request_from_compiled_code_on_disk_and_never_trusts_a_damaged_file()
 {
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("components");
    let with_cache = |dir: PathBuf| {
        move |s: &mut sluice::config::Settings| {
            s.engine.component_cache_dir = Some(dir);
        }
    };
    let app = spawn_app_with(with_cache(dir.clone())).await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    assert_eq!(app.get("/hello/ada").await.status(), StatusCode::OK);
    assert_eq!(compilations(&app).await, 1.0, "the upload compiles it once");
    assert!(
        !files_under(&dir).is_empty(),
        "nothing was written to the cache"
    );

    let app = app.restart_with(with_cache(dir.clone())).await;
    assert_eq!(app.get("/hello/ada").await.status(), StatusCode::OK);
    assert_eq!(compilations(&app).await, 0.0, "the restart compiled again");
    // Two loads: the action's code and the code that ran its start
    // function ahead of time (docs/actions.md, "Start functions run once").
    assert_eq!(app.state.engine.disk_cache_counts(), Some((2, 0)));

    // Every cached file overwritten with garbage: loaded, refused, compiled.
    for file in files_under(&dir) {
        let len = std::fs::metadata(&file).unwrap().len() as usize;
        std::fs::write(&file, vec![0x5a; len.max(64)]).unwrap();
    }
    let app = app.restart_with(with_cache(dir.clone())).await;
    let answer = app.get("/hello/ada").await;
    assert_eq!(answer.status(), StatusCode::OK);
    let greeting: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(greeting["message"], "Hello, ada!");
    assert_eq!(compilations(&app).await, 1.0);
}
