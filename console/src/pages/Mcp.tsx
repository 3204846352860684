// The MCP server at /mcp as its admin sees it: which operations are tools
// (and who may see each), the sessions agents hold now (end one), and the
// latest tool calls from the request log.
import { Badge, Button, Code, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { api, unwrap } from '../api/client';
import { apiOrigin } from '../api/origin';
import { ProblemAlert } from '../components/ProblemAlert';
import { useAction } from '../components/useAction';
import { useLoad } from '../components/useLoad';

function when(ms: number) {
  return new Date(ms).toLocaleString();
}

export function McpPage() {
  const tools = useLoad(() => unwrap(api.GET('/mcp/tools')), []);
  const info = useLoad(() => unwrap(api.GET('/mcp')), []);
  const sessions = useLoad(() => unwrap(api.GET('/mcp/sessions', { params: { query: { active_within_secs: 3600 } } })), []);
  const calls = useLoad(() => unwrap(api.GET('/logs', { params: { query: { via: 'mcp', limit: 20 } } })), []);
  const { busy, problem, run } = useAction();
  const end = (id: string) =>
    run(async () => {
      if (!window.confirm('End this session? Its agent has to start a new one.')) return;
      await unwrap(api.DELETE('/mcp/sessions/{id}', { params: { path: { id } } }));
      sessions.reload();
    });
  const refresh = () => {
    sessions.reload();
    calls.reload();
  };
  // /mcp is on the public listener, which may not be the console's.
  const [origin, setOrigin] = useState(window.location.origin);
  useEffect(() => {
    void apiOrigin().then((o) => o && setOrigin(o));
  }, []);
  const endpoint = `${origin}/mcp`;
  return (
    <Stack>
      <Title order={2}>MCP</Title>
      <Text size="sm" c="dimmed">
        AI agents reach the operations marked as tools at <Code>{endpoint}</Code> (Model Context Protocol, Streamable
        HTTP) with a bearer token; each sees the tools its scopes reach, and each call runs through the gateway like an
        HTTP request. Mark an operation as a tool in its form (MCP tool).
      </Text>
      {info.data && (
        <Text size="sm">
          Operations without an MCP choice {info.data.tools_by_default ? 'are' : 'are not'} tools
          (SLUICE_MCP_TOOLS_BY_DEFAULT). Hosts served: {info.data.allowed_hosts.join(', ')}; browser origins:{' '}
          {info.data.allowed_origins.join(', ') || 'none'}.
        </Text>
      )}
      {problem && <ProblemAlert error={problem} />}
      <Title order={3}>Tools</Title>
      {tools.error && <ProblemAlert error={tools.error} />}
      {!tools.data ? (
        tools.loading && <Loader role="status" aria-label="Loading" />
      ) : tools.data.length ? (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label="Tools" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Tool</Table.Th>
                <Table.Th>Operation</Table.Th>
                <Table.Th>Who sees it</Table.Th>
                <Table.Th>Hints</Table.Th>
                <Table.Th>Description</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {tools.data.map((t) => (
                <Table.Tr key={t.name}>
                  <Table.Td>
                    <code>{t.name}</code>
                  </Table.Td>
                  <Table.Td>
                    {t.operation} <code>{t.route}</code>
                  </Table.Td>
                  <Table.Td>{t.public ? 'any token' : t.scopes.length ? t.scopes.join(', ') : 'any token'}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {t.read_only && <Badge color="green">read-only</Badge>}
                      {t.destructive && <Badge color="red">destructive</Badge>}
                      {t.idempotent && <Badge color="gray">idempotent</Badge>}
                    </Group>
                  </Table.Td>
                  <Table.Td>{t.description}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        <Text>No operation is a tool yet.</Text>
      )}
      <Group justify="space-between">
        <Title order={3}>Sessions of the last hour</Title>
        <Button variant="default" onClick={refresh}>
          Refresh
        </Button>
      </Group>
      {sessions.error && <ProblemAlert error={sessions.error} />}
      {!sessions.data ? (
        sessions.loading && <Loader role="status" aria-label="Loading" />
      ) : sessions.data.length ? (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label="Sessions" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Client</Table.Th>
                <Table.Th>App</Table.Th>
                <Table.Th>User</Table.Th>
                <Table.Th>Protocol</Table.Th>
                <Table.Th>Opened</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sessions.data.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>{s.client_name ? `${s.client_name} ${s.client_version ?? ''}` : '—'}</Table.Td>
                  <Table.Td>{s.app ?? '—'}</Table.Td>
                  <Table.Td>{s.user ?? '—'}</Table.Td>
                  <Table.Td>{s.protocol_version ?? '—'}</Table.Td>
                  <Table.Td>{when(s.created_ms)}</Table.Td>
                  <Table.Td>{when(s.seen_ms)}</Table.Td>
                  <Table.Td>
                    <Button size="xs" color="red" variant="light" loading={busy} onClick={() => end(s.id)}>
                      End
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        <Text>No session in the last hour.</Text>
      )}
      <Title order={3}>Latest tool calls</Title>
      {calls.error && <ProblemAlert error={calls.error} />}
      {!calls.data ? (
        calls.loading && <Loader role="status" aria-label="Loading" />
      ) : calls.data.items.length ? (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label="Tool calls" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Operation</Table.Th>
                <Table.Th>App</Table.Th>
                <Table.Th>User</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Duration</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {calls.data.items.map((c) => (
                <Table.Tr key={c.id}>
                  <Table.Td>{new Date(c.at).toLocaleString()}</Table.Td>
                  <Table.Td>{c.operation ?? '—'}</Table.Td>
                  <Table.Td>{c.app ?? '—'}</Table.Td>
                  <Table.Td>{c.user ?? '—'}</Table.Td>
                  <Table.Td>
                    <Badge color={c.status < 400 ? 'green' : 'red'}>{c.status}</Badge>
                  </Table.Td>
                  <Table.Td>{(c.duration_us / 1000).toFixed(1)} ms</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        <Text>No tool call yet.</Text>
      )}
    </Stack>
  );
}
