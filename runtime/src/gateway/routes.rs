//! The live route table: method + path → operation → action version.
//!
//! Rebuilt from the control plane after every admin change and swapped in
//! atomically, so changes take effect at once and requests never wait on a
//! lock. Paths are matched by `matchit` (the router under axum); parameter
//! names are erased in the table (`/todos/:id` is stored as `/todos/{p0}`)
//! so that operations on the same path with other methods may name their
//! parameters differently.

use std::collections::BTreeMap;
use std::sync::Arc;

use sqlx::AnyPool;

use jsonschema::Validator;

use crate::contract::{Contract, OutgoingValidation, Parameter};
use crate::engine::Limits;
use crate::schemas::{self, SchemaSet};
use crate::store::{actions, connections, operations};

// The path grammar lives below every surface, where the resource logic
// reaches it too.
pub use crate::path_template::{
    METHODS, PathTemplate, RESERVED_PREFIXES, check_shapes, parse_template, reserved_prefix,
    route_key,
};

/// Everything the gateway needs to invoke one operation.
#[derive(Debug, Clone)]
pub struct Route {
    /// Operation name.
    pub operation: String,
    /// The operation's request metrics.
    pub meters: Arc<crate::telemetry::metrics::OperationMeters>,
    /// The server span's name (`GET /todos/:id`) and route attributes,
    /// made once per route table.
    pub trace_name: std::borrow::Cow<'static, str>,
    /// `http.route`, `sluice.operation`, `sluice.action`, `sluice.action.version`.
    pub trace_attributes: Arc<[opentelemetry::KeyValue]>,
    /// The operation's path template as an admin wrote it (`/todos/:id`),
    /// the `http.route` of its traces.
    pub path: String,
    /// Parameter names in path order.
    pub params: Vec<String>,
    /// Action name (shared with each invocation's state: not copied per
    /// request).
    pub action: Arc<str>,
    /// Action version in use (pinned or latest).
    pub version: i64,
    /// SHA-256 of that version's component.
    pub sha256: String,
    /// That component compiled, kept by the route once its first request
    /// has fetched it from the engine's cache, so later requests skip the
    /// cache lookup (a hash of the key and a lock per request).
    pub prepared: KeptComponent,
    /// The action's limits.
    pub limits: Limits,
    /// The action's config, JSON text.
    pub config: String,
    /// Connections the action is granted.
    pub grants: Arc<[String]>,
    /// The operation's compiled contract, when it declares one.
    pub contract: Option<Arc<CompiledContract>>,
    /// Callable without a token.
    pub public: bool,
    /// Scopes any one of which lets a token call it (none: any valid token).
    pub scopes: Arc<[String]>,
    /// The CORS layer of its policy; `None` when no origin may call it.
    pub cors: Option<Arc<tower_http::cors::CorsLayer>>,
    /// Whether the action's answers carry `Content-Security-Policy:
    /// sandbox` (the operation's `sandbox`, default true).
    pub sandbox: bool,
    /// The operation as an MCP tool, when it is one.
    pub tool: Option<Arc<crate::tool::ToolSpec>>,
}

/// A route's slot for its compiled component (empty until its first
/// request).
#[derive(Clone, Default)]
pub struct KeptComponent(pub Arc<std::sync::OnceLock<crate::engine::Prepared>>);

impl std::fmt::Debug for KeptComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "KeptComponent(compiled)"
        } else {
            "KeptComponent(empty)"
        })
    }
}

/// An operation's contract ready for the gateway: schemas compiled once
/// per route-table build.
pub struct CompiledContract {
    /// Declared parameters, each with the validator of its bounds when it
    /// has any ([`Parameter::is_bounded`]).
    pub parameters: Vec<(Parameter, Option<Validator>)>,
    /// Validator of the request body.
    pub incoming: Option<Validator>,
    /// Validators of responses by status.
    pub outgoing: BTreeMap<u16, Validator>,
    /// What to do with a response that contradicts `outgoing`.
    pub outgoing_validation: OutgoingValidation,
}

impl std::fmt::Debug for CompiledContract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledContract")
            .field("parameters", &self.parameters)
            .field("incoming", &self.incoming.is_some())
            .field("outgoing", &self.outgoing.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl CompiledContract {
    /// Compiles `contract` with references resolved in `set`; `None` when
    /// it declares nothing the gateway checks.
    ///
    /// # Errors
    /// A schema that no longer compiles (a reference gone, say).
    pub fn compile(contract: &Contract, set: &SchemaSet) -> Result<Option<Self>, String> {
        if contract.parameters.is_empty()
            && contract.incoming.is_none()
            && (contract.outgoing.is_empty()
                || contract.outgoing_validation == OutgoingValidation::Off)
        {
            return Ok(None);
        }
        let incoming = contract
            .incoming
            .as_ref()
            .map(|s| schemas::compile_ref(s, set))
            .transpose()?;
        let mut outgoing = BTreeMap::new();
        if contract.outgoing_validation != OutgoingValidation::Off {
            for (status, schema) in &contract.outgoing {
                let status: u16 = status.parse().map_err(|_| format!("status {status:?}"))?;
                outgoing.insert(status, schemas::compile_ref(schema, set)?);
            }
        }
        let parameters = contract
            .parameters
            .iter()
            .map(|p| {
                let bounds = p
                    .is_bounded()
                    .then(|| schemas::compile(&p.schema(), None, set))
                    .transpose()
                    .map_err(|e| format!("parameter {:?}: {e}", p.name))?;
                Ok::<_, String>((p.clone(), bounds))
            })
            .collect::<Result<_, _>>()?;
        Ok(Some(Self {
            parameters,
            incoming,
            outgoing,
            outgoing_validation: contract.outgoing_validation,
        }))
    }
}

/// Byte ranges of a matched path's parameter values.
pub type ParamSpans = smallvec::SmallVec<[std::ops::Range<usize>; 4]>;

/// What a lookup found.
pub enum Lookup {
    /// An operation matched; where its parameter values are in the path
    /// looked up, in path order (raw, not decoded), held inline for up to
    /// four parameters (no allocation per request).
    Found(Arc<Route>, ParamSpans),
    /// The path exists with other methods.
    MethodNotAllowed(Vec<String>),
    /// Nothing is at this path.
    NotFound,
}

/// The immutable table the gateway reads.
#[derive(Default)]
pub struct RouteTable {
    router: matchit::Router<BTreeMap<String, Arc<Route>>>,
    /// The global CORS layer (`SLUICE_CORS_ORIGINS`) for answers that match
    /// no operation (404, 405).
    pub fallback_cors: Option<Arc<tower_http::cors::CorsLayer>>,
    /// The routes that are MCP tools, by tool name.
    pub tools: BTreeMap<String, Arc<Route>>,
}

impl RouteTable {
    /// Finds the operation for `method` and `path`; `HEAD` falls back to `GET`.
    pub fn lookup(&self, method: &str, path: &str) -> Lookup {
        let Ok(matched) = self.router.at(path) else {
            return Lookup::NotFound;
        };
        let by_method = matched.value;
        let route = by_method
            .get(method)
            .or_else(|| (method == "HEAD").then(|| by_method.get("GET")).flatten());
        match route {
            Some(route) => Lookup::Found(
                Arc::clone(route),
                // matchit's values are slices of `path` itself.
                matched
                    .params
                    .iter()
                    .map(|(_, v)| {
                        let start = v.as_ptr().addr() - path.as_ptr().addr();
                        start..start + v.len()
                    })
                    .collect(),
            ),
            None => Lookup::MethodNotAllowed(by_method.keys().cloned().collect()),
        }
    }

    /// Builds a table from `(method, template, route)` triples.
    ///
    /// # Errors
    /// matchit's message when two shapes cannot coexist.
    pub fn build(entries: Vec<(String, PathTemplate, Route)>) -> Result<Self, String> {
        let mut shapes: BTreeMap<String, BTreeMap<String, Arc<Route>>> = BTreeMap::new();
        for (method, template, route) in entries {
            shapes
                .entry(template.shape)
                .or_default()
                .insert(method, Arc::new(route));
        }
        let tools = shapes
            .values()
            .flat_map(BTreeMap::values)
            .filter_map(|route| {
                let tool = route.tool.as_ref()?;
                Some((tool.name.clone(), Arc::clone(route)))
            })
            .collect();
        let mut router = matchit::Router::new();
        for (shape, methods) in shapes {
            router
                .insert(shape.clone(), methods)
                .map_err(|e| format!("path {shape} clashes with an existing operation: {e}"))?;
        }
        Ok(Self {
            router,
            fallback_cors: None,
            tools,
        })
    }

    /// What tools MCP clients see: a change of it is announced to them
    /// (`notifications/tools/list_changed`).
    pub fn tools_fingerprint(&self) -> u64 {
        use std::hash::{Hash as _, Hasher as _};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for (name, route) in &self.tools {
            name.hash(&mut hasher);
            route.public.hash(&mut hasher);
            route.scopes.hash(&mut hasher);
            if let Some(tool) = &route.tool {
                tool.method.hash(&mut hasher);
                tool.description.hash(&mut hasher);
                (tool.read_only, tool.destructive, tool.idempotent).hash(&mut hasher);
                serde_json::Value::Object((*tool.input_schema).clone())
                    .to_string()
                    .hash(&mut hasher);
                tool.output_schema
                    .as_ref()
                    .map(|s| serde_json::Value::Object((**s).clone()).to_string())
                    .hash(&mut hasher);
            }
        }
        hasher.finish()
    }

    /// Loads every active operation with its action's current version, with
    /// `cors_origins` (`SLUICE_CORS_ORIGINS`) as the default CORS origins;
    /// an operation without an `mcp` field is an MCP tool when
    /// `tools_by_default` (`SLUICE_MCP_TOOLS_BY_DEFAULT`). Operations whose
    /// action or pinned version is gone are skipped (logged).
    ///
    /// # Errors
    /// On database failure or a clash between stored paths.
    pub async fn load(
        pool: &AnyPool,
        cors_origins: &[String],
        tools_by_default: bool,
    ) -> anyhow::Result<Self> {
        let actions: BTreeMap<String, actions::ActionRow> = actions::list(pool)
            .await?
            .into_iter()
            .map(|a| (a.name.clone(), a))
            .collect();
        let set = SchemaSet::load(pool, None).await?;
        let mut entries = Vec::new();
        for op in operations::list(pool).await? {
            if !op.active {
                continue;
            }
            let Some(action) = actions.get(&op.action) else {
                tracing::warn!(operation = %op.name, action = %op.action, "operation's action is missing");
                continue;
            };
            let version = match op.action_version {
                Some(v) => actions::version(pool, &op.action, v).await?,
                None => actions::latest_version(pool, &op.action).await?,
            };
            let Some(version) = version else {
                tracing::warn!(operation = %op.name, "operation's action version is missing");
                continue;
            };
            // An operation stored before its path became reserved (`/mcp`)
            // is skipped, not the whole table.
            let template = match parse_template(&op.path) {
                Ok(template) => template,
                Err(e) => {
                    tracing::warn!(operation = %op.name, error = %e, "operation's path is not routable; skipped");
                    continue;
                }
            };
            // A tool that cannot be described leaves its operation routed.
            let tool = match crate::tool::describe(&op, &template.params, tools_by_default, &set) {
                Ok(tool) => tool.map(Arc::new),
                Err(e) => {
                    tracing::warn!(operation = %op.name, error = %e, "operation's MCP tool cannot be described; not a tool");
                    None
                }
            };
            entries.push((
                op.method.clone(),
                template.clone(),
                Route {
                    operation: op.name.clone(),
                    meters: Arc::new(crate::telemetry::metrics::OperationMeters::new(&op.name)),
                    trace_name: format!("{} {}", op.method, op.path).into(),
                    // Shared strings: the attributes are cloned into every
                    // traced request's server span.
                    trace_attributes: [
                        opentelemetry::KeyValue::new(
                            "http.route",
                            Arc::<str>::from(op.path.as_str()),
                        ),
                        opentelemetry::KeyValue::new(
                            "sluice.operation",
                            Arc::<str>::from(op.name.as_str()),
                        ),
                        opentelemetry::KeyValue::new(
                            "sluice.action",
                            Arc::<str>::from(action.name.as_str()),
                        ),
                        opentelemetry::KeyValue::new("sluice.action.version", version.version),
                    ]
                    .into(),
                    path: op.path.clone(),
                    params: template.params,
                    action: action.name.as_str().into(),
                    version: version.version,
                    sha256: version.sha256,
                    prepared: KeptComponent::default(),
                    limits: action.limits(),
                    config: action.config.clone(),
                    grants: connections::granted_to(pool, &action.name).await?.into(),
                    contract: CompiledContract::compile(&op.contract, &set)
                        .map_err(|e| anyhow::anyhow!("operation {}: {e}", op.name))?
                        .map(Arc::new),
                    public: op.public,
                    sandbox: op.sandbox,
                    tool,
                    scopes: op.scopes.0.clone().into(),
                    cors: crate::gateway::cors::layer_for(
                        op.cors.as_deref(),
                        cors_origins,
                        &op.method,
                        op.public,
                    )
                    .map(Arc::new),
                },
            ));
        }
        let mut table = Self::build(entries).map_err(anyhow::Error::msg)?;
        table.fallback_cors =
            crate::gateway::cors::layer_for(None, cors_origins, "GET", true).map(Arc::new);
        Ok(table)
    }
}
