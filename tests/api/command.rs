//! `command` connections: a guest runs one program with arguments an admin
//! fixed, filling named slots — never through a shell, with nothing from
//! the server's environment, killed (with everything it started) at its
//! deadline, and cut off past its output limit.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, started_server};

fn python() -> String {
    started_server("SLUICE_TEST_PYTHON")
}

/// A server with command connection `tool` running `python -c code` and
/// then `args`, granted to `misbehave` at `POST /mb`.
async fn command_app(code: &str, args: &[&str], slots: Value, extra: Value) -> TestApp {
    let app = spawn_app().await;
    // Braces in the code are literal: doubled, as in any template.
    let literal = code.replace('{', "{{").replace('}', "}}");
    let mut template = vec!["-c".to_string(), literal];
    template.extend(args.iter().map(|s| s.to_string()));
    let mut config = json!({"program": python(), "args": template, "slots": slots});
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    app.create_connection("tool", "command", config).await;
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.grant("misbehave", &["tool"]).await;
    app
}

async fn run(app: &TestApp, args: Value) -> Value {
    app.misbehave("command", json!({"conn": "tool", "args": args}))
        .await
}

const PRINT_ARGV: &str = "import json, sys; print(json.dumps(sys.argv[1:]))";

#[tokio::test]
async fn a_slot_value_with_shell_metacharacters_reaches_the_program_as_one_literal_argument() {
    let marker = tempfile::tempdir().unwrap();
    let pwned = marker.path().join("pwned");
    let app = command_app(
        PRINT_ARGV,
        &["--name", "{name}", "--tag={tag}"],
        json!({"name": ".*", "tag": "[a-z]+"}),
        json!({}),
    )
    .await;
    let hostile = format!(
        "x; touch {p} && echo $(touch {p}) `touch {p}` | tee {p} > {p} * ~ \"'\\n",
        p = pwned.display()
    );
    let answer = run(&app, json!([["name", hostile], ["tag", "ok"]])).await;
    assert_eq!(answer["status"], 0, "{answer}");
    let argv: Vec<String> = serde_json::from_str(answer["stdout"].as_str().unwrap()).unwrap();
    assert_eq!(argv, ["--name", hostile.as_str(), "--tag=ok"]);
    assert!(!pwned.exists(), "something ran the value through a shell");
}

#[tokio::test]
async fn values_that_fail_their_pattern_and_unknown_or_missing_slots_are_refused() {
    let app = command_app(
        PRINT_ARGV,
        &["{city}"],
        json!({"city": "[A-Za-z ]{1,20}"}),
        json!({}),
    )
    .await;
    for args in [
        json!([["city", "Berlin; rm -rf /"]]),
        json!([["city", "$(id)"]]),
        json!([["city", "x".repeat(21)]]),
        json!([["city", ""]]),
        json!([]),
        json!([["town", "Berlin"]]),
        json!([["city", "Berlin"], ["city", "Paris"]]),
    ] {
        let answer = run(&app, args.clone()).await;
        assert_eq!(answer["error"], "invalid-argument", "{args}: {answer}");
    }
    let answer = run(&app, json!([["city", "New York"]])).await;
    assert_eq!(answer["stdout"], "[\"New York\"]\n", "{answer}");
}

#[tokio::test]
async fn the_program_sees_only_the_connections_environment_and_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let code = "import json, os; print(json.dumps({'env': dict(os.environ), 'cwd': os.getcwd()}))";
    let app = command_app(
        code,
        &[],
        json!({}),
        json!({"env": {"GREETING": "hi"}, "cwd": dir.path()}),
    )
    .await;
    let answer = run(&app, json!([])).await;
    let seen: Value = serde_json::from_str(answer["stdout"].as_str().unwrap()).unwrap();
    let env = seen["env"].as_object().unwrap();
    // Python may add LC_CTYPE on its own; nothing of the server's arrives.
    assert_eq!(env.get("GREETING"), Some(&json!("hi")), "{seen}");
    for key in env.keys() {
        assert!(
            ["GREETING", "LC_CTYPE"].contains(&key.as_str()),
            "inherited {key}: {seen}"
        );
    }
    assert_eq!(
        std::fs::canonicalize(seen["cwd"].as_str().unwrap()).unwrap(),
        std::fs::canonicalize(dir.path()).unwrap()
    );
    // The admin API shows the variables' names, never their values.
    let shown: Value = app
        .admin_get("/connections/tool")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["config"]["env_keys"], json!(["GREETING"]), "{shown}");
    assert!(!shown.to_string().contains("\"hi\""), "{shown}");
}

#[tokio::test]
async fn a_program_past_its_deadline_is_killed_with_what_it_started_while_others_are_served() {
    let pids = tempfile::tempdir().unwrap();
    let file = pids.path().join("pids");
    let code = "import os, sys, time\n\
                child = os.fork()\n\
                if child == 0:\n    time.sleep(60)\n    os._exit(0)\n\
                open(sys.argv[1], 'w').write(f'{os.getpid()} {child}')\n\
                time.sleep(60)";
    let app = command_app(
        code,
        &["{file}"],
        json!({"file": ".*"}),
        json!({"timeout_ms": 1500}),
    )
    .await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    let slow = run(&app, json!([["file", file.to_str().unwrap()]]));
    let others = async {
        // While the program sleeps, the server answers other requests at once.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        let response = app.get("/hello/x").await;
        assert_eq!(response.status(), 200);
        started.elapsed()
    };
    let (answer, quick) = tokio::join!(slow, others);
    assert_eq!(answer["error"], "timeout", "{answer}");
    assert!(quick < Duration::from_secs(1), "hello took {quick:?}");
    let text = std::fs::read_to_string(&file).unwrap();
    for pid in text.split_whitespace() {
        // Gone, or a zombie waiting for its reaper: either way not running.
        let running = || {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            !stat.is_empty() && !stat.contains(") Z ")
        };
        // Alive only if it is still running after a second of looking: the
        // kill is sent at the deadline, but a loaded machine may take a
        // moment to finish it.
        let alive = (0..50).all(|_| {
            let still = running();
            if still {
                std::thread::sleep(Duration::from_millis(20));
            }
            still
        });
        assert!(!alive, "process {pid} outlived the deadline");
    }
}

#[tokio::test]
async fn output_past_the_limit_kills_the_program_and_fails_the_call() {
    let code = "import sys\nwhile True: sys.stdout.write('x' * 4096)";
    let app = command_app(
        code,
        &[],
        json!({}),
        json!({"max_output_bytes": 10000, "timeout_ms": 10000}),
    )
    .await;
    let started = Instant::now();
    let answer = run(&app, json!([])).await;
    assert_eq!(answer["error"], "output-too-large", "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_failing_program_is_an_answer_with_its_status_and_stderr() {
    let code = "import sys; sys.stderr.write('no such city'); sys.exit(3)";
    let app = command_app(code, &[], json!({}), json!({})).await;
    let answer = run(&app, json!([])).await;
    assert_eq!(answer["status"], 3, "{answer}");
    assert_eq!(answer["stderr"], "no such city");
}

#[tokio::test]
async fn a_command_connection_needs_an_absolute_program_and_patterns_for_its_slots() {
    let app = spawn_app().await;
    for config in [
        json!({"program": "python3"}),
        json!({"program": "/no/such/program"}),
        json!({"program": python(), "args": ["{city}"]}),
        json!({"program": python(), "args": ["x"], "slots": {"city": ".*"}}),
        json!({"program": python(), "args": ["{city}"], "slots": {"city": "("}}),
        json!({"program": python(), "cwd": "relative"}),
        json!({"program": python(), "timeout_ms": 0}),
        json!({"program": python(), "max_cpu_seconds": 0}),
        json!({"program": python(), "max_memory_bytes": 1024}),
        json!({"program": python(), "max_processes": 0}),
    ] {
        let response = app
            .admin(reqwest::Method::POST, "/connections")
            .json(&json!({"name": "bad", "class": "command", "config": config}))
            .send()
            .await
            .unwrap();
        crate::helpers::assert_problem(response, 400).await;
    }
}

#[tokio::test]
async fn the_cli_data_example_returns_the_tools_json() {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tools/report-cli.py");
    let app = spawn_app().await;
    app.create_connection(
        "report-cli",
        "command",
        json!({"program": python(), "args": [script, "--city", "{city}", "--output-json"],
               "slots": {"city": "[A-Za-z .-]{1,40}"}, "timeout_ms": 5000}),
    )
    .await;
    app.deploy("cli-data", "cli-data", "GET", "/cli-data").await;
    app.grant("cli-data", &["report-cli"]).await;
    let response = app.get("/cli-data?city=Berlin").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["city"], "Berlin");
    assert_eq!(body["source"], "report-cli");
    let refused = app.get("/cli-data?city=Berlin%3B%20id").await;
    crate::helpers::assert_problem(refused, 400).await;
}

/// Whether process `pid` is running (neither gone nor a zombie waiting for
/// its reaper), after giving a SIGKILL sent just now a second to land.
fn still_running(pid: &str) -> bool {
    let running = || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        !stat.is_empty() && !stat.contains(") Z ")
    };
    (0..50).all(|_| {
        let alive = running();
        if alive {
            std::thread::sleep(Duration::from_millis(20));
        }
        alive
    }) && running()
}

/// The live processes (not zombies) of process group `group`.
fn live_members(group: &str) -> Vec<String> {
    let mut members = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.get(2) == Some(&group) && fields.first() != Some(&"Z") {
            members.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    members
}

/// A server whose connection `tool` runs `/bin/sh -c script` (the script
/// is the connection's own, fixed by the admin; the guest fills `{file}`).
async fn shell_app(script: &str, extra: Value) -> TestApp {
    let app = spawn_app().await;
    let mut config = json!({"program": "/bin/sh", "args": ["-c", script, "sh", "{file}"],
                            "slots": {"file": ".*"}});
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    app.create_connection("tool", "command", config).await;
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.grant("misbehave", &["tool"]).await;
    app
}

#[tokio::test]
async fn a_background_process_the_program_leaves_behind_is_killed_when_the_program_exits() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pids");
    // The helper closes its output, so the run ends with the program's
    // exit while the helper would sleep on.
    let app = shell_app(
        "sleep 300 >/dev/null 2>&1 </dev/null & echo $$ $! > \"$1\"",
        json!({}),
    )
    .await;
    let answer = run(&app, json!([["file", file.to_str().unwrap()]])).await;
    assert_eq!(answer["status"], 0, "{answer}");
    let pids = std::fs::read_to_string(&file).unwrap();
    let (group, helper) = pids.trim().split_once(' ').unwrap();
    assert!(
        !still_running(helper),
        "the background helper {helper} outlived its program"
    );
    assert_eq!(live_members(group), Vec::<String>::new());
}

#[tokio::test]
async fn what_a_program_started_is_killed_when_the_actions_deadline_ends_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pids");
    // The command may run for a minute, the action for one second: the
    // action's deadline drops the guest's instance while it waits.
    let app = shell_app(
        "sleep 300 & echo $$ $! > \"$1\"; wait",
        json!({"timeout_ms": 60000}),
    )
    .await;
    app.set_limits("misbehave", json!({"timeout_ms": 1000}))
        .await;
    let response = app
        .client
        .post(app.url("/mb?do=command"))
        .json(&json!({"conn": "tool", "args": [["file", file.to_str().unwrap()]]}))
        .send()
        .await
        .unwrap();
    let problem = crate::helpers::assert_problem(response, 504).await;
    assert_eq!(problem["type"], "urn:sluice:problem:deadline-exceeded");
    let pids = std::fs::read_to_string(&file).unwrap();
    let (group, helper) = pids.trim().split_once(' ').unwrap();
    assert!(
        !still_running(group),
        "the program {group} outlived the action"
    );
    assert!(
        !still_running(helper),
        "its child {helper} outlived the action"
    );
    assert_eq!(live_members(group), Vec::<String>::new());
}

#[tokio::test]
async fn nothing_of_a_program_that_hits_its_deadline_remains_in_its_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pids");
    // The background sleep keeps stdout open, so the run waits for it
    // until the command's deadline.
    let app = shell_app(
        "sleep 300 & echo $$ $! > \"$1\"; echo started",
        json!({"timeout_ms": 1000}),
    )
    .await;
    let answer = run(&app, json!([["file", file.to_str().unwrap()]])).await;
    assert_eq!(answer["error"], "timeout", "{answer}");
    let pids = std::fs::read_to_string(&file).unwrap();
    let (group, helper) = pids.trim().split_once(' ').unwrap();
    assert!(
        !still_running(helper),
        "the background sleep {helper} outlived the deadline"
    );
    assert_eq!(live_members(group), Vec::<String>::new());
}

#[tokio::test]
async fn a_program_past_its_cpu_seconds_is_killed_and_the_guest_is_told_why() {
    let app = command_app(
        "while True: pass",
        &[],
        json!({}),
        json!({"max_cpu_seconds": 1, "timeout_ms": 30000}),
    )
    .await;
    let started = Instant::now();
    let answer = run(&app, json!([])).await;
    assert_eq!(answer["error"], "io", "{answer}");
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.contains("1 s of CPU time") && message.contains("max_cpu_seconds"),
        "{answer}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_program_cannot_map_more_memory_than_its_address_space_limit() {
    // 1 GiB of zeroes costs no resident memory, so without a limit on the
    // address space the allocation succeeds.
    let code = "b = bytearray(1 << 30); print(len(b))";
    let app = command_app(code, &[], json!({}), json!({"max_memory_bytes": 256 << 20})).await;
    let answer = run(&app, json!([])).await;
    assert_eq!(answer["status"], 1, "{answer}");
    assert!(
        answer["stderr"].as_str().unwrap().contains("MemoryError"),
        "{answer}"
    );
}

#[tokio::test]
async fn the_program_runs_with_the_connections_resource_limits_or_the_defaults() {
    let code = "print(open('/proc/self/limits').read())";
    let limit = |limits: &str, name: &str| -> String {
        let line = limits.lines().find(|l| l.starts_with(name)).unwrap();
        line[name.len()..]
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let app = command_app(
        code,
        &[],
        json!({}),
        json!({"max_cpu_seconds": 3, "max_memory_bytes": 512 << 20, "max_processes": 77}),
    )
    .await;
    let answer = run(&app, json!([])).await;
    let limits = answer["stdout"].as_str().unwrap();
    assert_eq!(limit(limits, "Max cpu time"), "3 4", "{limits}");
    assert_eq!(limit(limits, "Max address space"), "536870912 536870912");
    assert_eq!(limit(limits, "Max processes"), "77 77");
    assert_eq!(limit(limits, "Max core file size"), "0 0");

    // By default: one core for the whole deadline, 4 GiB, 1 024 processes.
    let app = command_app(code, &[], json!({}), json!({"timeout_ms": 2500})).await;
    let answer = run(&app, json!([])).await;
    let limits = answer["stdout"].as_str().unwrap();
    assert_eq!(limit(limits, "Max cpu time"), "3 4", "{limits}");
    assert_eq!(limit(limits, "Max address space"), "4294967296 4294967296");
    assert_eq!(limit(limits, "Max processes"), "1024 1024");
}

#[tokio::test]
async fn changing_the_program_without_restating_the_environment_is_refused_and_keeps_the_secret_home()
 {
    let code = "import os; print(os.environ.get('API_KEY', 'none'))";
    let app = command_app(code, &[], json!({}), json!({"env": {"API_KEY": "s3cret"}})).await;
    assert_eq!(run(&app, json!([])).await["stdout"], "s3cret\n");

    // Another program, the stored environment not restated: refused, and
    // nothing changes.
    let problem = crate::helpers::assert_problem(
        app.admin_patch(
            "/connections/tool",
            &json!({"config": {"program": "/usr/bin/env", "args": [], "slots": {}}}),
        )
        .await,
        422,
    )
    .await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("config.program") && detail.contains("restate config.env"),
        "{problem}"
    );
    assert!(
        detail.contains("API_KEY") && !detail.contains("s3cret"),
        "{problem}"
    );
    assert_eq!(run(&app, json!([])).await["stdout"], "s3cret\n");

    // The same program with another limit keeps the stored environment.
    let response = app
        .admin_patch(
            "/connections/tool",
            &json!({"config": {"timeout_ms": 4000}}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(run(&app, json!([])).await["stdout"], "s3cret\n");

    // Another program with the environment restated as empty: the new
    // program never sees the old value.
    let response = app
        .admin_patch(
            "/connections/tool",
            &json!({"config": {"program": "/usr/bin/env", "args": [], "slots": {}, "env": {}}}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let answer = run(&app, json!([])).await;
    assert_eq!(answer["status"], 0, "{answer}");
    assert!(
        !answer["stdout"].as_str().unwrap().contains("s3cret"),
        "{answer}"
    );
    let shown: Value = app
        .admin_get("/connections/tool")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["config"]["env_keys"], json!([]), "{shown}");
}
