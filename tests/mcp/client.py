"""An MCP client built on the official Python SDK (`mcp` from PyPI), driven
by the Rust tests in tests/api/mcp.rs. It prints one JSON object per line
(`{"step": ..., ...}`) for the test to read, and `LISTENING` when it waits
for the server to announce a changed tool list.

    client.py session URL TOKEN        a session over Streamable HTTP
    client.py list URL TOKEN           the names of the tools TOKEN may call
    client.py example URL TOKEN        the example project's tools and prompt
    client.py oauth URL USER_TOKEN     the OAuth flow, consent given by USER_TOKEN
    client.py stdio SLUICE URL TOKEN   the stdio bridge `SLUICE mcp --url URL`
"""

import json
import sys
import urllib.parse
from typing import Any

import anyio
import httpx2
import mcp_types as types
from mcp.client.auth import OAuthClientProvider
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken


def say(step: str, **fields: Any) -> None:
    print(json.dumps({"step": step, **fields}), flush=True)


def tool_summary(tool: types.Tool) -> dict:
    annotations = tool.annotations
    return {
        "name": tool.name,
        "input_schema": tool.input_schema,
        "output_schema": tool.output_schema,
        "read_only": annotations.read_only_hint if annotations else None,
        "destructive": annotations.destructive_hint if annotations else None,
    }


def result_summary(result: types.CallToolResult) -> dict:
    return {
        "is_error": result.is_error,
        "structured": result.structured_content,
        "text": [c.text for c in result.content if isinstance(c, types.TextContent)],
    }


async def scenario(session: ClientSession, changes: anyio.Event | None) -> None:
    """Lists and calls tools, reads resources, and (with `changes`) waits
    for `notifications/tools/list_changed`."""
    init = await session.initialize()
    say("initialized", server=init.server_info.name, protocol=init.protocol_version,
        list_changed=bool(init.capabilities.tools and init.capabilities.tools.list_changed))
    tools = await session.list_tools()
    say("tools", tools=[tool_summary(t) for t in tools.tools])
    created = await session.call_tool("todo-create", {"title": "write the MCP guide"})
    say("created", **result_summary(created))
    listed = await session.call_tool("todo-list", {"limit": 10})
    say("listed", **result_summary(listed))
    wrong = await session.call_tool("todo-create", {"title": ""})
    say("wrong", **result_summary(wrong))
    try:
        await session.call_tool("no-such-tool", {})
        say("unknown", error=None)
    except Exception as e:  # an MCP protocol error
        say("unknown", error=str(e))
    resources = await session.list_resources()
    say("resources", uris=[str(r.uri) for r in resources.resources])
    document = await session.read_resource("sluice://openapi.json")
    say("openapi", paths=sorted(json.loads(document.contents[0].text)["paths"]))
    prompts = await session.list_prompts()
    say("prompts", prompts=[{"name": p.name, "arguments": [a.name for a in p.arguments or []]}
                            for p in prompts.prompts])
    filled = await session.get_prompt("summarise", {"topic": "the MCP guide"})
    say("prompt", role=filled.messages[0].role, text=filled.messages[0].content.text)
    try:
        await session.get_prompt("summarise", {})
        say("prompt_missing", error=None)
    except Exception as e:
        say("prompt_missing", error=str(e))
    if changes is not None:
        print("LISTENING", flush=True)
        with anyio.fail_after(30):
            await changes.wait()
        tools = await session.list_tools()
        say("changed", tools=[t.name for t in tools.tools])


async def session_mode(url: str, token: str) -> None:
    changes = anyio.Event()

    async def on_message(message) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changes.set()

    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write, message_handler=on_message) as session:
                await scenario(session, changes)


async def list_mode(url: str, token: str) -> None:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = await session.list_tools()
                say("list", tools=[t.name for t in tools.tools])


async def example_mode(url: str, token: str) -> None:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = await session.list_tools()
                created = await session.call_tool("todo-create", {"title": "Ask the agent"})
                listed = await session.call_tool("todo-list", {"limit": 10})
                greeted = await session.call_tool("greet", {"name": "Ada", "greeting": "Hi"})
                prompt = await session.get_prompt("plan-my-day", {"focus": "the release"})
                say("example", tools=[t.name for t in tools.tools], created=result_summary(created),
                    listed=result_summary(listed), greeted=result_summary(greeted),
                    prompt=prompt.messages[0].content.text)


class Memory:
    """Token storage of one run."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


async def oauth_mode(url: str, user_token: str) -> None:
    """The whole flow as an agent runs it: 401 → protected-resource metadata
    → authorization-server metadata → dynamic registration → code + PKCE,
    the test user consenting through the authorization API (what the
    consent page posts) → token → calls."""
    base = url.rsplit("/mcp", 1)[0]
    answer: dict[str, AuthorizationCodeResult] = {}
    seen: dict[str, str] = {}

    async def consent(authorization_url: str) -> None:
        query = urllib.parse.urlsplit(authorization_url).query
        seen["resource"] = dict(urllib.parse.parse_qsl(query)).get("resource", "")
        async with httpx2.AsyncClient() as http:
            decided = await http.post(
                f"{base}/authorization/authorize",
                headers={"Authorization": f"Bearer {user_token}"},
                json={"query": query, "decision": "allow"},
            )
            decided.raise_for_status()
        back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(decided.json()["redirect_to"]).query))
        answer["code"] = AuthorizationCodeResult(code=back["code"], state=back.get("state"), iss=back.get("iss"))

    async def callback() -> AuthorizationCodeResult:
        return answer["code"]

    storage = Memory()
    auth = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="MCP test agent",
            redirect_uris=["http://127.0.0.1:33418/callback"],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
            scope="todo",
        ),
        storage=storage,
        redirect_handler=consent,
        callback_handler=callback,
    )
    async with httpx2.AsyncClient(auth=auth, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = await session.list_tools()
                listed = await session.call_tool("todo-list", {"limit": 5})
                say("oauth", registered=storage.client is not None and storage.client.client_id,
                    resource=seen.get("resource"), tools=[t.name for t in tools.tools],
                    access_token=storage.tokens.access_token if storage.tokens else None,
                    **result_summary(listed))


async def stdio_mode(sluice: str, url: str, token: str) -> None:
    params = StdioServerParameters(command=sluice, args=["mcp", "--url", url], env={"SLUICE_TOKEN": token})
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            called = await session.call_tool("todo-list", {"limit": 5})
            say("stdio", server=init.server_info.name, tools=[t.name for t in tools.tools],
                **result_summary(called))
            # The test ends the session meanwhile: the bridge starts another.
            print("WAITING", flush=True)
            await anyio.to_thread.run_sync(sys.stdin.readline)
            again = await session.call_tool("todo-list", {"limit": 5})
            say("again", **result_summary(again))


def main() -> None:
    mode, *args = sys.argv[1:]
    run = {"session": session_mode, "list": list_mode, "example": example_mode, "oauth": oauth_mode,
           "stdio": stdio_mode}[mode]
    anyio.run(run, *args)


if __name__ == "__main__":
    main()
