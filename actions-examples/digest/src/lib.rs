//! `digest`: the cron side — "every morning at 7, mail me the day's
//! weather" (Fusio's tutorial). Run by a cronjob (or over HTTP), it asks an
//! OpenWeatherMap-style API for each city through an `http` connection and
//! mails one digest through an `smtp` connection.
//!
//! Config: `{"to": "me@example.com", "cities": ["Berlin", "Paris"],
//! "weather": "weather-api", "mail": "mail", "units": "metric"}` (`to`
//! required); grant it both connections.

use serde::Deserialize;
use sluice_sdk::smtp::Message;
use sluice_sdk::{Error, Request, Response, http};

#[derive(Deserialize)]
struct Config {
    to: String,
    #[serde(default = "default_cities")]
    cities: Vec<String>,
    #[serde(default = "default_weather")]
    weather: String,
    #[serde(default = "default_mail")]
    mail: String,
    #[serde(default = "default_units")]
    units: String,
}

fn default_cities() -> Vec<String> {
    vec!["Berlin".into()]
}
fn default_weather() -> String {
    "weather-api".into()
}
fn default_mail() -> String {
    "mail".into()
}
fn default_units() -> String {
    "metric".into()
}

#[derive(Deserialize)]
struct Upstream {
    name: String,
    main: Main,
    weather: Vec<Sky>,
}

#[derive(Deserialize)]
struct Main {
    temp: f64,
    humidity: u32,
}

#[derive(Deserialize)]
struct Sky {
    description: String,
}

fn line(config: &Config, city: &str) -> Result<String, Error> {
    let answer = http::get(&config.weather, "/data/2.5/weather")
        .query("q", city)
        .query("units", &config.units)
        .send()?;
    if answer.status() != 200 {
        return Err(Error::unavailable(format!(
            "the weather API answered {} for {city}",
            answer.status()
        )));
    }
    let up: Upstream = answer.json().map_err(|e| Error::unavailable(e.message()))?;
    let sky = up.weather.first().map_or("", |s| s.description.as_str());
    Ok(format!(
        "{}: {:.1}°, {sky}, humidity {} %",
        up.name, up.main.temp, up.main.humidity
    ))
}

fn digest(req: Request) -> Result<Response, Error> {
    let config: Config = req.context().config()?;
    let lines = config
        .cities
        .iter()
        .map(|city| line(&config, city))
        .collect::<Result<Vec<_>, _>>()?;
    let text = format!("Good morning! Today's weather:\n\n{}\n", lines.join("\n"));
    let id = Message::new("Your weather digest")
        .to(&config.to)
        .text(&text)
        .send(&config.mail)?;
    Ok(Response::json(
        &serde_json::json!({ "sent": id, "cities": lines.len() }),
    ))
}

sluice_sdk::export_action!(digest);
