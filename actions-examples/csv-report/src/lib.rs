//! `csv-report`: `GET /reports/:file` → the CSV file's rows as JSON
//! objects, the header row's names as keys, read through a `files`
//! connection (the tutorial's `ReadCSVData`, offline and confined to one
//! directory).
//!
//! Config (optional): `{"connection": "reports"}`. The answer:
//!
//! ```json
//! {"file": "sales.csv", "rows": [{"region": "north", "amount": "1200"}], "count": 1}
//! ```
//!
//! A file that is not there is a 404; a name that would leave the
//! directory, or with an extension the connection does not allow, a 400 or
//! 403 from the host's refusal.

use serde::Deserialize;
use serde_json::json;
use sluice_sdk::files::Files;
use sluice_sdk::{Error, Request, Response};

#[derive(Deserialize)]
struct Config {
    #[serde(default = "default_connection")]
    connection: String,
}

fn default_connection() -> String {
    "reports".into()
}

fn report(req: Request) -> Result<Response, Error> {
    let config: Config = req.context().config()?;
    let file = req
        .param("file")
        .ok_or_else(|| Error::invalid_input("the path has no :file parameter"))?;
    let rows = Files::new(&config.connection).read_csv(file)?;
    Ok(Response::json(
        &json!({ "file": file, "count": rows.len(), "rows": rows }),
    ))
}

sluice_sdk::export_action!(report);
