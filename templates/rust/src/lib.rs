//! `{{name}}`: answers `GET /{{name}}/:who` with a JSON greeting. Each
//! request runs in a fresh WebAssembly sandbox; see the Sluice SDK's docs
//! for SQL, HTTP, mail, key-value and events.

use serde::Serialize;
use sluice_sdk::{Error, Request, Response};

#[derive(Serialize)]
struct Greeting<'a> {
    message: String,
    who: &'a str,
}

fn handle(req: Request) -> Result<Response, Error> {
    let who = req
        .param("who")
        .ok_or_else(|| Error::invalid_input("the operation needs a :who path parameter"))?;
    Ok(Response::json(&Greeting {
        message: format!("Hello, {who}!"),
        who,
    }))
}

sluice_sdk::export_action!(handle);
