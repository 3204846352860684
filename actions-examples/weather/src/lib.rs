//! `weather`: `GET /weather/current?city=Berlin` → the current weather,
//! reshaped from an OpenWeatherMap-style API (`GET /data/2.5/weather?q=…&units=…`)
//! reached through an `http` connection whose API key the host injects as
//! the `appid` query parameter, and cached in a `kv` connection.
//!
//! Config (all optional): `{"connection": "weather-api", "cache":
//! "weather-cache", "cache_seconds": 600, "units": "metric"}`. Grant it both
//! connections. The answer:
//!
//! ```json
//! {"city": "Berlin", "country": "DE", "temperature": 21.5, "feels_like": 20.9,
//!  "units": "metric", "humidity_percent": 40, "description": "clear sky",
//!  "wind_speed": 3.1, "observed_at_unix": 1700000000, "cached": false}
//! ```
//!
//! A missing or empty `city` is a 400, an unknown city a 404, a refused key
//! or an unreachable API a 503. When the cache fails the answer is fetched
//! anyway and the failure logged.

use serde::{Deserialize, Serialize};
use sluice_sdk::kv::Store;
use sluice_sdk::{Error, Request, Response, http, log};

#[derive(Deserialize)]
struct Config {
    #[serde(default = "default_connection")]
    connection: String,
    #[serde(default = "default_cache")]
    cache: String,
    #[serde(default = "default_cache_seconds")]
    cache_seconds: u32,
    #[serde(default = "default_units")]
    units: String,
}

fn default_connection() -> String {
    "weather-api".into()
}
fn default_cache() -> String {
    "weather-cache".into()
}
fn default_cache_seconds() -> u32 {
    600
}
fn default_units() -> String {
    "metric".into()
}

/// The parts of the upstream answer this action uses.
#[derive(Deserialize)]
struct Upstream {
    name: String,
    #[serde(default)]
    sys: Sys,
    main: Main,
    #[serde(default)]
    weather: Vec<Condition>,
    #[serde(default)]
    wind: Wind,
    dt: i64,
}

#[derive(Deserialize, Default)]
struct Sys {
    #[serde(default)]
    country: String,
}

#[derive(Deserialize)]
struct Main {
    temp: f64,
    feels_like: f64,
    humidity: u32,
}

#[derive(Deserialize)]
struct Condition {
    description: String,
}

#[derive(Deserialize, Default)]
struct Wind {
    #[serde(default)]
    speed: f64,
}

#[derive(Serialize, Deserialize)]
struct Current {
    city: String,
    country: String,
    temperature: f64,
    feels_like: f64,
    units: String,
    humidity_percent: u32,
    description: String,
    wind_speed: f64,
    observed_at_unix: i64,
    cached: bool,
}

fn fetch(config: &Config, city: &str) -> Result<Current, Error> {
    let answer = http::get(&config.connection, "/data/2.5/weather")
        .query("q", city)
        .query("units", &config.units)
        .header("accept", "application/json")
        .send()?;
    match answer.status() {
        200 => {}
        404 => return Err(Error::not_found(format!("no city called {city:?}"))),
        401 | 403 => {
            return Err(Error::unavailable(
                "the weather API refused the key; check the weather-api connection",
            ));
        }
        status => {
            return Err(Error::unavailable(format!(
                "the weather API answered {status}"
            )));
        }
    }
    let up: Upstream = answer.json().map_err(|e| Error::unavailable(e.message()))?;
    Ok(Current {
        city: up.name,
        country: up.sys.country,
        temperature: up.main.temp,
        feels_like: up.main.feels_like,
        units: config.units.clone(),
        humidity_percent: up.main.humidity,
        description: up
            .weather
            .into_iter()
            .next()
            .map(|c| c.description)
            .unwrap_or_default(),
        wind_speed: up.wind.speed,
        observed_at_unix: up.dt,
        cached: false,
    })
}

fn weather(req: Request) -> Result<Response, Error> {
    let config: Config = req.context().config()?;
    // The operation's parameter: 1 to 100 characters, not only JSON
    // whitespace (what its documented pattern says).
    let city = req.query("city").unwrap_or("");
    let blank = city.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    if blank || city.chars().count() > 100 {
        return Err(Error::invalid_input(
            "query parameter city is required (1 to 100 characters), e.g. ?city=Berlin",
        ));
    }
    let city = city.trim_matches([' ', '\t', '\n', '\r']);
    let cache = Store::new(&config.cache);
    let key = format!("current:{}:{}", config.units, city.to_lowercase());
    match cache.get_json::<Current>(&key) {
        Ok(Some(mut hit)) => {
            hit.cached = true;
            return Ok(Response::json(&hit));
        }
        Ok(None) => {}
        Err(e) => log::warn(&format!("weather cache unavailable: {}", e.message())),
    }
    let current = fetch(&config, city)?;
    if let Err(e) = cache.set_json(&key, &current, Some(config.cache_seconds.max(1))) {
        log::warn(&format!("weather cache unavailable: {}", e.message()));
    }
    Ok(Response::json(&current))
}

sluice_sdk::export_action!(weather);
