//! The MCP server's handler (one per session, or per request for a
//! stateless client): tools from the route table, resources from the
//! OpenAPI document and the stored schemas, and the tool list's change
//! notifications.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, GetPromptRequestParams, GetPromptResponse,
    Implementation, ListPromptsResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities,
    ServerConfig, SubscriptionFilter, Tool, ToolAnnotations,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};

use crate::gateway::routes::Route;
use crate::identity::Caller;
use crate::state::AppState;

/// What the server tells a client about itself at `initialize`.
const INSTRUCTIONS: &str = "The tools are this API's operations: each runs the operation \
    with your token's scopes and answers its JSON response as structured content. A failed \
    call is a tool error whose text names the argument at fault (a JSON pointer). The \
    resource sluice://openapi.json describes the whole API; sluice://schemas/{name} each \
    schema. The prompts are ready-made requests for working with the API.";

/// The MCP handler over a node's state.
#[derive(Clone)]
pub struct Server {
    state: AppState,
}

impl Server {
    /// A handler serving `state`'s operations.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// The caller the guard put in the request ([`super::guard`]).
pub(crate) fn caller_of(extensions: &rmcp::model::Extensions) -> Result<Arc<Caller>, ErrorData> {
    extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Arc<Caller>>())
        .cloned()
        .ok_or_else(|| ErrorData::internal_error("the request carries no caller", None))
}

/// Whether `caller` may call `route` (the gateway's rule, see
/// [`crate::gateway::auth::authorize`]).
pub(crate) fn reachable(route: &Route, caller: &Caller) -> bool {
    route.public || route.scopes.is_empty() || route.scopes.iter().any(|s| caller.has_scope(s))
}

/// The MCP form of a route's tool.
fn tool(spec: &crate::tool::ToolSpec) -> Tool {
    let mut tool = Tool::new(
        spec.name.clone(),
        spec.description.clone(),
        Arc::clone(&spec.input_schema),
    )
    .with_annotations(
        ToolAnnotations::new()
            .read_only(spec.read_only)
            .destructive(spec.destructive)
            .idempotent(spec.idempotent),
    );
    if let Some(schema) = &spec.output_schema {
        tool = tool.with_raw_output_schema(Arc::clone(schema));
    }
    tool
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .enable_resources()
                .enable_prompts()
                .build(),
        )
        .with_server_info(Implementation::new("sluice", env!("CARGO_PKG_VERSION")))
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let caller = caller_of(&context.extensions)?;
        let table = self.state.routes.load();
        let tools = table
            .tools
            .values()
            .filter(|route| reachable(route, &caller))
            .filter_map(|route| route.tool.as_deref().map(tool))
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = caller_of(&context.extensions)?;
        let parts = context
            .extensions
            .get::<axum::http::request::Parts>()
            .ok_or_else(|| ErrorData::internal_error("the request carries no HTTP parts", None))?;
        super::call::run(&self.state, request, parts, caller)
            .await
            .map(Into::into)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        super::call::resources(&self.state)
            .await
            .map(ListResourcesResult::with_all_items)
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        super::call::read(&self.state, &request.uri)
            .await
            .map(Into::into)
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        super::prompts::list(&self.state)
            .await
            .map(ListPromptsResult::with_all_items)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        super::prompts::get(&self.state, &request.name, request.arguments)
            .await
            .map(Into::into)
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        // A session's client hears of a changed tool list on its SSE stream
        // until it goes away.
        let mut changes = self.state.tools_changed.subscribe();
        let peer = context.peer;
        tokio::spawn(async move {
            // A minute's tick notices a session gone while nothing changes.
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tokio::select! {
                    changed = changes.changed() => {
                        if changed.is_err() || peer.notify_tool_list_changed().await.is_err() {
                            return;
                        }
                    }
                    _ = tick.tick() => {}
                }
                if peer.is_transport_closed() {
                    return;
                }
            }
        });
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let mut accepted = SubscriptionFilter::new();
        accepted.tools_list_changed = requested.tools_list_changed;
        Some(accepted)
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        // Protocol 2026-07-28 has no sessions: a client subscribes instead.
        let mut changes = self.state.tools_changed.subscribe();
        loop {
            tokio::select! {
                () = context.cancelled() => return Ok(()),
                changed = changes.changed() => {
                    if changed.is_err() || context.sink().notify_tool_list_changed().await.is_err() {
                        return Ok(());
                    }
                }
            }
        }
    }
}
