//! `calendar-digest`: "at 7 AM, mail me today's calendar" (the tutorial's
//! Google Calendar digest, offline). Run by a cronjob (or over HTTP), it
//! reads today's events from a calendar API through an `http` connection
//! authorized with OAuth2 — the host holds, refreshes and sends the user's
//! token; the action never sees it — and mails them through an `smtp`
//! connection.
//!
//! Config: `{"to": "me@example.com", "calendar": "calendar", "mail":
//! "mail"}` (`to` required); grant it both connections. The calendar API
//! answers `GET /calendar/today` with `{"date", "events": [{"start",
//! "title"}]}`. A connection that needs authorization makes the run fail
//! with a 503 that says so.

use serde::Deserialize;
use sluice_sdk::smtp::Message;
use sluice_sdk::{Error, Request, Response, http};

#[derive(Deserialize)]
struct Config {
    to: String,
    #[serde(default = "default_calendar")]
    calendar: String,
    #[serde(default = "default_mail")]
    mail: String,
}

fn default_calendar() -> String {
    "calendar".into()
}

fn default_mail() -> String {
    "mail".into()
}

#[derive(Deserialize)]
struct Today {
    date: String,
    events: Vec<Event>,
}

#[derive(Deserialize)]
struct Event {
    start: String,
    title: String,
}

fn calendar_digest(req: Request) -> Result<Response, Error> {
    let config: Config = req.context().config()?;
    let answer = http::get(&config.calendar, "/calendar/today").send()?;
    if answer.status() != 200 {
        return Err(Error::unavailable(format!(
            "the calendar API answered {}",
            answer.status()
        )));
    }
    let today: Today = answer.json().map_err(|e| Error::unavailable(e.message()))?;
    let lines: Vec<String> = today
        .events
        .iter()
        .map(|e| format!("{}  {}", e.start, e.title))
        .collect();
    let text = if lines.is_empty() {
        format!(
            "Good morning! Nothing in your calendar for {}.\n",
            today.date
        )
    } else {
        format!(
            "Good morning! Your calendar for {}:\n\n{}\n",
            today.date,
            lines.join("\n")
        )
    };
    let id = Message::new(&format!("Your day, {}", today.date))
        .to(&config.to)
        .text(&text)
        .send(&config.mail)?;
    Ok(Response::json(
        &serde_json::json!({ "sent": id, "events": lines.len(), "date": today.date }),
    ))
}

sluice_sdk::export_action!(calendar_digest);
