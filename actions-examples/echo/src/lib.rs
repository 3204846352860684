//! `echo`: answers with everything it received, context included, as JSON.
//! Useful to see what the host hands an action.

use serde_json::json;
use sluice_sdk::{Error, InvocationKind, Request, Response};

fn echo(req: Request) -> Result<Response, Error> {
    let ctx = req.context();
    let kind = match ctx.kind {
        InvocationKind::Http => "http",
        InvocationKind::Cron => "cron",
        InvocationKind::Event => "event",
        InvocationKind::Execute => "execute",
    };
    let body = match std::str::from_utf8(req.body()) {
        Ok(text) => serde_json::from_str(text).unwrap_or_else(|_| json!(text)),
        Err(_) => json!({ "bytes": req.body().len() }),
    };
    let config: serde_json::Value = ctx.config()?;
    println!("echo {} {}", req.method(), req.path());
    Ok(Response::json(&json!({
        "method": req.method(),
        "path": req.path(),
        "params": req.params(),
        "query": req.query_pairs(),
        "headers": req.headers(),
        "client_ip": req.client_ip(),
        "body": body,
        "context": {
            "kind": kind,
            "operation": ctx.operation,
            "request_id": ctx.request_id,
            "config": config,
            "app": ctx.app,
            "user": ctx.user,
            "scopes": ctx.scopes,
        },
    })))
}

sluice_sdk::export_action!(echo);
