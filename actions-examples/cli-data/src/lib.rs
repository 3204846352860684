//! `cli-data`: `GET /cli-data?city=Berlin` → the JSON a command-line tool
//! prints, run through a `command` connection (the tutorial's "CLI
//! Processor" running `your-cli-tool --output-json`, without a shell).
//!
//! Config (optional): `{"connection": "report-cli"}`. The connection's
//! argument template has a slot `city`; this action fills it from the
//! query and answers the tool's JSON as it is. A city the slot's pattern
//! refuses is a 400; a tool that fails or runs too long a 503.

use serde::Deserialize;
use sluice_sdk::command::Command;
use sluice_sdk::{Error, Request, Response};

#[derive(Deserialize)]
struct Config {
    #[serde(default = "default_connection")]
    connection: String,
}

fn default_connection() -> String {
    "report-cli".into()
}

fn cli_data(req: Request) -> Result<Response, Error> {
    let config: Config = req.context().config()?;
    let city = req.query("city").ok_or_else(|| {
        Error::invalid_input("query parameter city is required, e.g. ?city=Berlin")
    })?;
    let output = Command::new(&config.connection).slot("city", city).run()?;
    let data: serde_json::Value = output.json()?;
    Ok(Response::json(&data))
}

sluice_sdk::export_action!(cli_data);
