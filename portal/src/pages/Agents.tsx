// "Connect an AI agent": the API's MCP server at /mcp and how to point an
// agent at it — a client that speaks Streamable HTTP (it signs in through
// OAuth by itself), a desktop agent through `sluice mcp`, the SDKs and the
// Inspector.
import { Anchor, List, Paper, Stack, Text, Title } from '@mantine/core';
import { Link } from 'wouter';
import { CodeBlock } from '../components/Snippets';

export function Agents() {
  const origin = window.location.origin;
  const endpoint = `${origin}/mcp`;
  const desktop = JSON.stringify(
    {
      mcpServers: {
        [window.location.hostname.replace(/[^A-Za-z0-9_-]/g, '-')]: {
          command: 'sluice',
          args: ['mcp', '--url', origin],
          env: { SLUICE_TOKEN: '<your personal access token>' },
        },
      },
    },
    null,
    2,
  );
  return (
    <Stack maw={900}>
      <Title order={1}>Connect an AI agent</Title>
      <Text>
        AI agents reach this API as tools of a Model Context Protocol (MCP) server at <code>{endpoint}</code>. Each tool is an
        operation; an agent sees the ones your access reaches and calls them with your rights, limits and usage, like your own
        code does.
      </Text>
      <Paper withBorder p="md">
        <Stack>
          <Title order={2} size="h4">
            Agents that connect by URL
          </Title>
          <Text size="sm">
            Claude's custom connectors, Cursor, VS Code and other clients that speak MCP over HTTP take the URL and sign you in
            themselves: they register, send you to this portal to sign in and approve them, and get a token that works for the
            MCP server only. You can withdraw the approval under{' '}
            <Anchor component={Link} href="/account">
              Account
            </Anchor>
            .
          </Text>
          <CodeBlock label="MCP server URL" code={endpoint} />
        </Stack>
      </Paper>
      <Paper withBorder p="md">
        <Stack>
          <Title order={2} size="h4">
            Desktop agents that start a command
          </Title>
          <Text size="sm">
            Claude Desktop and others run MCP servers as commands. The <code>sluice</code> command line bridges them to this
            server; give it a personal access token from{' '}
            <Anchor component={Link} href="/tokens">
              Tokens
            </Anchor>
            . In Claude Desktop this goes in <code>claude_desktop_config.json</code>:
          </Text>
          <CodeBlock label="Desktop agent configuration" code={desktop} />
        </Stack>
      </Paper>
      <Paper withBorder p="md">
        <Stack>
          <Title order={2} size="h4">
            Your own agent
          </Title>
          <Text size="sm">With the official Python SDK (<code>pip install mcp</code>) and a token in <code>TOKEN</code>:</Text>
          <CodeBlock
            label="Python"
            code={`import asyncio, os
import httpx2
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

async def main():
    headers = {"Authorization": f"Bearer {os.environ['TOKEN']}"}
    async with httpx2.AsyncClient(headers=headers) as http:
        async with streamable_http_client("${endpoint}", http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                for tool in (await session.list_tools()).tools:
                    print(tool.name, "-", tool.description)

asyncio.run(main())`}
          />
          <Text size="sm">To try the tools by hand, the MCP Inspector:</Text>
          <CodeBlock
            label="MCP Inspector"
            code={`npx @modelcontextprotocol/inspector --cli ${endpoint} --transport http \\\n  --header "Authorization: Bearer $TOKEN" --method tools/list`}
          />
          <List size="sm">
            <List.Item>A call that fails answers a tool error naming the argument at fault, so the model can correct it.</List.Item>
            <List.Item>Each call counts in your usage and against your rate limits like any request.</List.Item>
          </List>
        </Stack>
      </Paper>
    </Stack>
  );
}
