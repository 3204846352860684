//! Entry points for the fuzz targets (`fuzz/`, cargo-fuzz and libFuzzer)
//! and for the replay of their corpus in the tests
//! (`tests/api/fuzz_corpus.rs`): one `pub fn <target>(data: &[u8])` per
//! target, each feeding arbitrary bytes to the real code path that takes
//! hostile input.
//!
//! | target | what it feeds | who controls that input |
//! | --- | --- | --- |
//! | [`routes`] | operation path templates parsed and compiled into a route table, then request paths (and query strings) matched against it, their parameters decoded and checked against a contract | an admin (templates), any consumer (paths) |
//! | [`deploy_file`] | the CLI's reading of a project: `sluice.yaml` and the files it includes, `$file`s and action sources, held in memory; YAML, the deploy schema, secrets, `${VAR}` substitution | whoever writes the project |
//! | [`json_schema`] | a schema posted to `/admin/schemas` (meta-schema check, compilation with references to another stored schema) and instances validated against it, as request and response bodies are | an admin (schemas), any consumer (instances) |
//! | [`component`] | the bytes of `PUT /admin/actions/{name}`: validation, pre-initialization, compilation and linking ([`crate::engine::Engine::prepare`]) | an action developer |
//! | [`guest_response`] | a guest's answer (status, headers, body, or a typed error) turned into the HTTP response a consumer gets, and its check against an outgoing schema | guest code |
//! | [`host_call`] | strings a guest passes to host calls: an `http` connection's path, query, method and headers, a `files` connection's path (resolved in a real directory holding a symlink that points out of it), a SQL statement's placeholders | guest code |
//!
//! [`oauth_form`] feeds the body of `POST /authorization/token` to the
//! authorization server's form parser.
//!
//! A finding is a panic (an `assert!` below states a property the code
//! promises, such as "a joined URL stays under the base URL"), an abort
//! (stack overflow, allocation failure), a hang (libFuzzer's `-timeout`),
//! or memory without bound (`-rss_limit_mb`). An `Err` is not a finding:
//! refusing hostile input is the code doing its job.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use arbitrary::{Arbitrary, Unstructured};
use axum::response::IntoResponse;

use crate::bindings::types;
use crate::connections::files::{self, FilesConfig};
use crate::connections::http::{HttpAuth, HttpConfig, KeyLocation};
use crate::connections::http_client::{self, HttpClient};
use crate::contract::{Contract, OutgoingValidation, ParamLocation, ParamType, Parameter};
use crate::gateway::routes::{self, CompiledContract, Lookup, Route, RouteTable};
use crate::schemas::SchemaSet;

/// The form parser of the authorization endpoints
/// (`POST /authorization/token` and `/authorization/revoke`,
/// [`crate::api::oauth_form::parse`]) on a body of arbitrary bytes with the
/// endpoints' default field limit.
///
/// Properties: an accepted form has at most that many fields, no name twice,
/// and is exactly what a plain `application/x-www-form-urlencoded` reading
/// gives; a refusal names a field that is repeated or the limit.
pub fn oauth_form(data: &[u8]) {
    use crate::api::oauth_form::{DEFAULT_MAX_FIELDS, FormError, parse};
    let plain: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    match parse(data, DEFAULT_MAX_FIELDS) {
        Ok(fields) => {
            assert!(fields.len() <= DEFAULT_MAX_FIELDS);
            let names: std::collections::HashSet<&str> =
                fields.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names.len(), fields.len(), "a name twice in {fields:?}");
            assert_eq!(fields, plain);
        }
        Err(FormError::TooManyFields(max)) => {
            assert_eq!(max, DEFAULT_MAX_FIELDS);
            assert!(plain.len() > DEFAULT_MAX_FIELDS);
        }
        Err(FormError::Repeated(name)) => {
            assert!(plain.iter().filter(|(n, _)| *n == name).count() >= 2);
        }
    }
}

/// Route table building and matching: the input's first line holds
/// templates separated by spaces (each optionally `METHOD:template`), the
/// lines after it are request paths, each with an optional `?query`.
///
/// Properties: a table of templates that passed [`routes::check_shapes`]
/// builds; a found route's parameter spans are slices of the path, one per
/// parameter; a template's own path (parameters filled in) finds a route.
pub fn routes(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let templates_line = lines.next().unwrap_or_default();
    let mut parsed = Vec::new();
    for (i, item) in templates_line.split(' ').take(32).enumerate() {
        let (method, path) = match item.split_once(':') {
            Some((m, p)) if routes::METHODS.contains(&m) => (m, p),
            _ => ("GET", item),
        };
        let Ok(template) = routes::parse_template(path) else {
            continue;
        };
        assert!(template.shape.starts_with('/'));
        assert!(routes::reserved_prefix(path).is_none());
        if routes::check_shapes(
            parsed
                .iter()
                .map(|(_, t, _): &(String, routes::PathTemplate, Route)| t.shape.as_str())
                .chain([template.shape.as_str()]),
        )
        .is_err()
        {
            continue;
        }
        let route = fuzz_route(&format!("op{i}"), path, &template.params);
        parsed.push((method.to_string(), template, route));
    }
    let samples: Vec<(String, String)> = parsed
        .iter()
        .map(|(m, t, _)| (m.clone(), sample_path(&t.shape)))
        .collect();
    let table = RouteTable::build(parsed)
        .unwrap_or_else(|e| panic!("shapes that passed check_shapes do not build: {e}"));
    for (method, path) in &samples {
        match table.lookup(method, path) {
            Lookup::Found(..) | Lookup::MethodNotAllowed(_) => {}
            Lookup::NotFound => panic!("the template path {path:?} finds no route"),
        }
    }
    for line in lines.take(64) {
        let (path, query) = line.split_once('?').unwrap_or((line, ""));
        let Some((method, path)) = path.split_once(' ') else {
            lookup(&table, "GET", path, query);
            continue;
        };
        lookup(&table, method, path, query);
    }
}

/// A path the template with shape `shape` matches: each `{p…}` filled with
/// `x` (a catch-all with `x/y`).
fn sample_path(shape: &str) -> String {
    let mut out = String::new();
    let mut rest = shape;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str(if rest[start..].starts_with("{*") {
            "x/y"
        } else {
            "x"
        });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// What the gateway does with a request path: match it, decode the
/// parameters, check them and the query against a contract.
fn lookup(table: &RouteTable, method: &str, path: &str, query: &str) {
    let Lookup::Found(route, spans) = table.lookup(method, path) else {
        return;
    };
    assert_eq!(spans.len(), route.params.len(), "one span per parameter");
    let mut params = Vec::new();
    for (name, span) in route.params.iter().zip(spans) {
        assert!(span.start <= span.end && span.end <= path.len());
        // As the gateway does: a span off a character boundary would panic.
        let Ok(value) = percent_encoding::percent_decode_str(&path[span]).decode_utf8() else {
            continue;
        };
        params.push((name.clone(), value.into_owned()));
    }
    let query: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if let Some(contract) = &route.contract {
        let _ = crate::gateway::validate::check_request(
            contract,
            &params,
            &query,
            &axum::http::HeaderMap::new(),
            b"",
        );
    }
}

/// A route for the fuzz table, with a contract whose path parameters are
/// integers, numbers and booleans in turn and a required query parameter.
fn fuzz_route(name: &str, path: &str, params: &[String]) -> Route {
    const TYPES: [ParamType; 4] = [
        ParamType::Integer,
        ParamType::Number,
        ParamType::Boolean,
        ParamType::String,
    ];
    let mut parameters: Vec<Parameter> = params
        .iter()
        .zip(TYPES.iter().cycle())
        .map(|(p, t)| Parameter {
            name: p.clone(),
            location: ParamLocation::Path,
            type_: *t,
            required: true,
            description: String::new(),
            minimum: None,
            maximum: None,
            min_length: None,
            max_length: None,
            pattern: None,
        })
        .collect();
    parameters.push(Parameter {
        name: "limit".into(),
        location: ParamLocation::Query,
        type_: ParamType::Integer,
        required: true,
        description: String::new(),
        minimum: Some(0.into()),
        maximum: Some(100.into()),
        min_length: None,
        max_length: None,
        pattern: None,
    });
    let contract = Contract {
        parameters,
        ..Contract::default()
    };
    Route {
        operation: name.into(),
        meters: Arc::new(crate::telemetry::metrics::OperationMeters::new(name)),
        trace_name: format!("GET {path}").into(),
        trace_attributes: Arc::new([]),
        path: path.into(),
        params: params.to_vec(),
        action: "fuzz".into(),
        version: 1,
        sha256: String::new(),
        prepared: routes::KeptComponent::default(),
        limits: crate::engine::EngineSettings::default().default_limits,
        config: "{}".into(),
        grants: Arc::new([]),
        contract: CompiledContract::compile(&contract, &SchemaSet::default())
            .expect("a contract of parameters compiles")
            .map(Arc::new),
        public: true,
        scopes: Arc::new([]),
        cors: None,
        sandbox: true,
        tool: None,
    }
}

/// The CLI's reading of a project held in memory: the input is split into
/// files at each line that starts with `@@ `; the first file is
/// `/project/sluice.yaml`, each other is named by the rest of its `@@ `
/// line (relative to `/project`). Every other path reads as missing.
///
/// Properties: reading ends (includes are finite), and a project read
/// whole names a component for every action that has no built-in.
pub fn deploy_file(data: &[u8]) {
    let mut files: HashMap<PathBuf, Vec<u8>> = HashMap::new();
    let mut parts = split_files(data).into_iter();
    let root = Path::new("/project/sluice.yaml");
    files.insert(root.into(), parts.next().unwrap_or_default().to_vec());
    for part in parts.take(32) {
        let (name, body) = match part.iter().position(|b| *b == b'\n') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &[][..]),
        };
        let name = String::from_utf8_lossy(name);
        files.insert(
            normal(&Path::new("/project").join(name.as_ref())),
            body.to_vec(),
        );
    }
    let read = |path: &Path| {
        files
            .get(&normal(path))
            .cloned()
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    };
    for sources in [
        crate::cli::project::Sources::Skip,
        crate::cli::project::Sources::Read,
    ] {
        if let Ok(project) = crate::cli::project::load_with(root, sources, &read)
            && sources == crate::cli::project::Sources::Read
        {
            let actions = project.body.get("actions").and_then(|a| a.as_object());
            for (name, action) in actions.into_iter().flatten() {
                if action.get("builtin").is_none() {
                    let sha = action.get("sha256").and_then(|s| s.as_str());
                    assert!(
                        sha.is_some_and(|s| project.components.contains_key(s)),
                        "action {name:?} was read without its component"
                    );
                }
            }
        }
    }
}

/// `data` cut before each `\n@@ ` (the marker's newline dropped, `@@ `
/// kept off).
fn split_files(data: &[u8]) -> Vec<&[u8]> {
    const MARKER: &[u8] = b"\n@@ ";
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.windows(MARKER.len()).position(|w| w == MARKER) {
        out.push(&rest[..i]);
        rest = &rest[i + MARKER.len()..];
    }
    out.push(rest);
    out
}

/// `path` with `.` dropped and `..` applied, for the in-memory files.
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A schema posted to the admin API, then instances validated against it:
/// the input is a sequence of JSON documents; the first is the posted
/// schema (stored as `posted`), the second another stored schema (`other`,
/// which either may `$ref` by name), the rest instances.
///
/// Properties: none beyond ending: compiling and validating must neither
/// panic, overflow the stack, nor run without end.
pub fn json_schema(data: &[u8]) {
    let mut documents = serde_json::Deserializer::from_slice(data).into_iter::<serde_json::Value>();
    let Some(Ok(posted)) = documents.next() else {
        return;
    };
    let other = documents
        .next()
        .and_then(Result::ok)
        .unwrap_or_else(|| serde_json::json!({ "type": "string" }));
    if crate::schemas::meta_error(&posted).is_some() {
        return;
    }
    let mut set = HashMap::new();
    set.insert("posted".to_string(), posted.clone());
    if crate::schemas::check_meta(&other).is_ok() {
        set.insert("other".to_string(), other);
    }
    let set = SchemaSet(Arc::new(set));
    let Ok(validator) = crate::schemas::compile(&posted, Some("posted"), &set) else {
        return;
    };
    // As an operation's contract refers to it by name.
    let by_name =
        crate::schemas::compile_ref(&crate::contract::SchemaRef::Named("posted".into()), &set);
    for instance in documents.take(8) {
        let Ok(instance) = instance else { break };
        let errors = crate::schemas::errors(&validator, &instance, "/body");
        assert_eq!(errors.is_empty(), validator.is_valid(&instance));
        if let Ok(by_name) = &by_name {
            let _ = crate::schemas::errors(by_name, &instance, "/body");
        }
    }
}

/// The engine of the [`component`] target: one per process, with a small
/// pool and start functions run ahead of time, as the server does.
fn engine() -> &'static crate::engine::Engine {
    static ENGINE: OnceLock<crate::engine::Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        crate::engine::Engine::new(crate::engine::EngineSettings {
            pool_instances: 2,
            ..crate::engine::EngineSettings::default()
        })
        .expect("the fuzz engine builds")
    })
}

/// What `PUT /admin/actions/{name}` does with the uploaded bytes before
/// storing them: [`crate::engine::Engine::prepare`] (core modules refused,
/// start functions run ahead of time, compiled, linked against the host's
/// imports, the `handler` export checked).
pub fn component(data: &[u8]) {
    let _ = engine().prepare(data);
}

/// A guest's answer as the fuzzer builds it.
#[derive(Debug, Arbitrary)]
enum GuestAnswer {
    /// `ok(response)`.
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// `err(action-error)`: the case (0-5) and its message.
    Error(u8, String),
}

/// The outgoing contract the [`guest_response`] target checks answers
/// against: status 200 must be an object whose `id` is an integer.
fn outgoing_contract() -> &'static CompiledContract {
    static CONTRACT: OnceLock<CompiledContract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let contract = Contract {
            outgoing: [(
                "200".to_string(),
                crate::contract::SchemaRef::Inline(serde_json::json!({
                    "type": "object",
                    "required": ["id"],
                    "properties": { "id": { "type": "integer" } }
                })),
            )]
            .into(),
            outgoing_validation: OutgoingValidation::Enforce,
            ..Contract::default()
        };
        CompiledContract::compile(&contract, &SchemaSet::default())
            .expect("the fuzz contract compiles")
            .expect("the fuzz contract checks responses")
    })
}

/// A guest's answer, built from the input by `arbitrary`, turned into the
/// HTTP response a consumer gets, as the gateway does after the guest
/// returns: [`crate::engine::check_response`], then
/// [`crate::gateway::invoke::to_http`] or the problem of its typed error,
/// and the outgoing contract's check.
///
/// Properties: an answer that passes is sent with the guest's status and
/// without the headers the host owns; every refusal is a problem document.
pub fn guest_response(data: &[u8]) {
    let Ok(answer) = GuestAnswer::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    const MAX_BODY: usize = 64 << 10;
    let response = match answer {
        GuestAnswer::Error(case, message) => {
            let error = match case % 6 {
                0 => types::ActionError::InvalidInput(message),
                1 => types::ActionError::Forbidden(message),
                2 => types::ActionError::NotFound(message),
                3 => types::ActionError::Conflict(message),
                4 => types::ActionError::Unavailable(message),
                _ => types::ActionError::Internal(message),
            };
            let http = crate::gateway::invoke::action_error(&error, 7).into_response();
            assert_problem(&http);
            return;
        }
        GuestAnswer::Response {
            status,
            headers,
            body,
        } => types::Response {
            status,
            headers,
            body,
        },
    };
    if let Err(e) = crate::engine::check_response(&response, MAX_BODY) {
        assert_problem(&crate::gateway::invoke::invoke_error(e).into_response());
        return;
    }
    match crate::gateway::invoke::to_http(&response) {
        Ok(http) => {
            assert_eq!(http.status().as_u16(), response.status);
            for name in crate::gateway::invoke::DROPPED_HEADERS {
                assert!(!http.headers().contains_key(name), "{name} was passed on");
            }
        }
        Err(e) => assert_problem(&e.into_response()),
    }
    if let Err(e) = crate::gateway::validate::check_response(
        outgoing_contract(),
        "fuzz",
        response.status,
        &response.body,
    ) {
        assert_problem(&e.into_response());
    }
}

/// Asserts that `response` is a problem document (RFC 9457).
fn assert_problem(response: &axum::response::Response) {
    assert!(
        response.status().is_client_error() || response.status().is_server_error(),
        "a refusal answered {}",
        response.status()
    );
    assert_eq!(
        response
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
}

/// Arguments of guest host calls, as the fuzzer builds them.
#[derive(Debug, Arbitrary)]
struct HostCall {
    /// `http.send`: the request's method, path, query pairs and headers.
    method: String,
    http_path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    /// `files.*`: the path, and whether the root itself may be named.
    files_path: String,
    list: bool,
    /// `sql.query`: the statement.
    statement: String,
}

/// The `http` connection the [`host_call`] target sends through: a base
/// path, an API key in the query, a default header.
fn http_client() -> &'static HttpClient {
    static CLIENT: OnceLock<HttpClient> = OnceLock::new();
    CLIENT.get_or_init(|| {
        HttpClient::new(HttpConfig {
            base_url: "https://api.example.com/v1/".into(),
            headers: [("x-default".to_string(), "1".to_string())].into(),
            auth: HttpAuth::ApiKey {
                location: KeyLocation::Query,
                name: "key".into(),
                value: Some("SECRET-KEY".into()),
            },
            timeout_ms: 1000,
            max_response_bytes: 1 << 20,
            max_redirects: 0,
        })
        .expect("the fuzz http connection builds")
    })
}

/// The text of the file outside the `files` root that the root's symlink
/// `escape` points at: a guest must never read it.
const OUTSIDE: &[u8] = b"outside the root";

/// A `files` connection on a directory of this process's own: a file
/// `a.txt`, a directory `d` with `b.csv`, and a symlink `escape` to a file
/// outside the root.
fn files_config() -> &'static FilesConfig {
    static CONFIG: OnceLock<FilesConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("sluice-fuzz-files-{}", std::process::id()));
        let root = base.join("root");
        std::fs::create_dir_all(root.join("d")).expect("the fuzz root is made");
        std::fs::write(base.join("outside.txt"), OUTSIDE).expect("the outside file is made");
        std::fs::write(root.join("a.txt"), b"a").expect("a.txt is made");
        std::fs::write(root.join("d/b.csv"), b"b").expect("d/b.csv is made");
        let _ = std::os::unix::fs::symlink(base.join("outside.txt"), root.join("escape"));
        let _ = std::os::unix::fs::symlink("../outside.txt", root.join("d/up"));
        FilesConfig {
            root: root.to_string_lossy().into_owned(),
            read_only: true,
            max_file_bytes: 1 << 10,
            extensions: None,
        }
    })
}

/// What the host does with the strings a guest passes to its host calls,
/// built from the input by `arbitrary`: an `http` request's method, URL
/// and headers ([`HttpClient::url`], [`crate::host::http::headers`]), a
/// `files` path checked and then read, listed and stat'ed in a real
/// directory, a SQL statement's `?` placeholders numbered for PostgreSQL.
///
/// Properties: a URL the host accepts is under the connection's base,
/// reads back as itself, has no `.` or `..` segment (nor `..;`, which Java
/// servers read as `..`) and carries the
/// connection's key once, last; the guest cannot set the host's headers; a
/// `files` path the host accepts is relative and plain, and nothing
/// outside the root is ever read.
pub fn host_call(data: &[u8]) {
    let Ok(call) = HostCall::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let client = http_client();
    let _ = axum::http::Method::from_bytes(call.method.as_bytes());
    if let Ok(url) = client.url(&call.http_path, &call.query) {
        assert!(
            http_client::within(&client.base, &url),
            "{url} is outside the base"
        );
        let reparsed = url::Url::parse(url.as_str()).expect("a joined URL parses");
        assert_eq!(reparsed, url, "the URL reads back otherwise");
        for segment in url.path_segments().into_iter().flatten() {
            let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
            // As a Java upstream reads it: `..;x` is `..` (issue 42, item 7).
            let bare = decoded.split(';').next().unwrap_or_default();
            assert!(bare != "." && bare != "..", "{url} has a dot segment");
        }
        let keys: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k == "key")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(keys, [("key".to_string(), "SECRET-KEY".to_string())]);
    }
    if let Ok(headers) = crate::host::http::headers(client, call.headers) {
        for name in ["host", "content-length", "transfer-encoding"] {
            assert!(!headers.contains_key(name), "the guest set {name}");
        }
    }
    let config = files_config();
    if let Ok(path) = files::check_path(&call.files_path, call.list) {
        assert!(
            path.components()
                .all(|c| matches!(c, std::path::Component::Normal(_))),
            "{path:?} is not plain"
        );
    }
    if let Ok(contents) = files::read(config, &call.files_path) {
        assert_ne!(
            contents, OUTSIDE,
            "{:?} read outside the root",
            call.files_path
        );
    }
    let _ = files::stat(config, &call.files_path);
    let _ = files::list(config, &call.files_path);
    // `??` writes a literal `?` (JSONB operators), so the text may shrink;
    // a statement without `?` must come back unchanged.
    let numbered = crate::host::placeholders::numbered_placeholders(&call.statement);
    if !call.statement.contains('?') {
        assert_eq!(numbered, call.statement);
    }
}
