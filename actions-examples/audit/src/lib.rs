//! `audit`: the trigger side of events. Invoked for an event (kind
//! `event`, the CloudEvents JSON as the body), it records the event in the
//! table `audit` of a SQL connection, once per event id — deliveries are
//! at least once, so a repeat is ignored. Invoked over HTTP (`GET`), it
//! lists the latest 50 entries.
//!
//! Config (optional): `{"connection": "todo-db"}`; grant it that connection.

use serde::{Deserialize, Serialize};
use sluice_sdk::sql;
use sluice_sdk::{Error, InvocationKind, Request, Response};

#[derive(Deserialize)]
struct Config {
    #[serde(default = "default_connection")]
    connection: String,
}

fn default_connection() -> String {
    "todo-db".into()
}

/// The CloudEvents fields the audit keeps.
#[derive(Deserialize)]
struct CloudEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    time: String,
    #[serde(default)]
    data: serde_json::Value,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    event_id: String,
    event: String,
    at: String,
    data: String,
}

fn audit(req: Request) -> Result<Response, Error> {
    let config: Config = req.context().config()?;
    let db = sql::open(&config.connection)?;
    db.execute(
        "CREATE TABLE IF NOT EXISTS audit (event_id TEXT PRIMARY KEY, event TEXT NOT NULL,
         at TEXT NOT NULL, data TEXT NOT NULL)",
        &[],
    )?;
    if req.context().kind != InvocationKind::Event {
        let entries: Vec<Entry> = db.query(
            "SELECT event_id, event, at, data FROM audit ORDER BY at DESC LIMIT 50",
            &[],
        )?;
        return Ok(Response::json(&entries));
    }
    let event: CloudEvent = req.json()?;
    let done = db.execute(
        "INSERT INTO audit (event_id, event, at, data) VALUES (?, ?, ?, ?)
         ON CONFLICT (event_id) DO NOTHING",
        &[
            event.id.as_str().into(),
            event.kind.as_str().into(),
            event.time.as_str().into(),
            event.data.to_string().as_str().into(),
        ],
    )?;
    Ok(Response::json(
        &serde_json::json!({ "recorded": done.rows_affected == 1 }),
    ))
}

sluice_sdk::export_action!(audit);
