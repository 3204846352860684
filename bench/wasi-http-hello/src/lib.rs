//! `GET /hello/{name}` answering `{"message":"Hello, {name}!","name":"{name}"}`
//! for `wasmtime serve`: the reference the `hello` action is measured
//! against in `scripts/bench.sh`.

use wasi::http::types::{
    Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

struct Hello;

impl wasi::exports::http::incoming_handler::Guest for Hello {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let path = request.path_with_query().unwrap_or_default();
        let name = path.rsplit('/').next().unwrap_or_default();
        let name = name.split('?').next().unwrap_or_default();
        // The same answer as the `hello` action, without a JSON library:
        // the name is a path segment, so only `"` and `\` need escaping.
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        let body = format!("{{\"message\":\"Hello, {escaped}!\",\"name\":\"{escaped}\"}}");
        let headers = Fields::from_list(&[(
            "content-type".to_string(),
            b"application/json".to_vec(),
        )])
        .expect("a valid header");
        let response = OutgoingResponse::new(headers);
        let outgoing = response.body().expect("the body is taken once");
        ResponseOutparam::set(out, Ok(response));
        let stream = outgoing.write().expect("the stream is taken once");
        stream
            .blocking_write_and_flush(body.as_bytes())
            .expect("writing the body");
        drop(stream);
        OutgoingBody::finish(outgoing, None).expect("finishing the body");
    }
}

wasi::http::proxy::export!(Hello);
