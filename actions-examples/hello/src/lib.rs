//! `hello`: a JSON greeting from the path parameter `name` and the optional
//! query parameter `greeting`, e.g. `GET /hello/ada?greeting=Hi`.

use serde::Serialize;
use sluice_sdk::{Error, Request, Response};

#[derive(Serialize)]
struct Greeting<'a> {
    message: String,
    name: &'a str,
}

fn hello(req: Request) -> Result<Response, Error> {
    let name = req
        .param("name")
        .ok_or_else(|| Error::invalid_input("the operation must have a :name path parameter"))?;
    let greeting = req.query("greeting").unwrap_or("Hello");
    Ok(Response::json(&Greeting {
        message: format!("{greeting}, {name}!"),
        name,
    }))
}

sluice_sdk::export_action!(hello);
