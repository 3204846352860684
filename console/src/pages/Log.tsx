// The request log: filters, pages (newest first) and one request's detail
// at /console/log/<id>.
import { useMemo, useState } from 'react';
import { Anchor, Badge, Breadcrumbs, Button, Group, Loader, Paper, Select, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { Link, useLocation, useSearch } from 'wouter';
import { api, unwrap, type Schemas } from '../api/client';
import { ProblemAlert } from '../components/ProblemAlert';
import { useLoad } from '../components/useLoad';
import { useOptions } from '../components/options';

type Entry = Schemas['LogEntry'];

const FILTERS = ['operation', 'app', 'user', 'status', 'failed', 'from', 'to', 'via'] as const;

/** A datetime-local value (local time) as RFC 3339, or undefined. */
function rfc3339(local: string | null): string | undefined {
  return local ? new Date(local).toISOString() : undefined;
}

function statusColor(status: number) {
  return status >= 500 ? 'red' : status >= 400 ? 'orange' : 'green';
}

export function LogPage({ id }: { id?: string }) {
  return id ? <LogEntry id={Number(id)} /> : <LogList />;
}

function LogList() {
  const params = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const [cursor, setCursor] = useState<number | undefined>(params.get('cursor') ? Number(params.get('cursor')) : undefined);
  const [history, setHistory] = useState<(number | undefined)[]>([]);
  const filters = useMemo(() => Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])), [params.toString()]); // eslint-disable-line react-hooks/exhaustive-deps
  const operations = useOptions('operations');
  const apps = useOptions('apps');
  const page = useLoad(
    () =>
      unwrap(
        api.GET('/logs', {
          params: {
            query: {
              operation: filters.operation || undefined,
              app: filters.app || undefined,
              user: filters.user || undefined,
              status: filters.status ? Number(filters.status) : undefined,
              failed: filters.failed === 'true' ? true : undefined,
              via: filters.via === 'mcp' || filters.via === 'http' ? filters.via : undefined,
              from: rfc3339(filters.from),
              to: rfc3339(filters.to),
              cursor,
              limit: 50,
            },
          },
        }),
      ),
    [filters, cursor],
  );

  function setFilter(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    next.delete('cursor');
    setCursor(undefined);
    setHistory([]);
    navigate(`/log${next.size ? `?${next}` : ''}`, { replace: true });
  }

  return (
    <Stack>
      <Title order={2}>Log</Title>
      <Paper withBorder p="sm">
        <Group align="flex-end" wrap="wrap" gap="sm">
          <Select label="Operation" data={operations} searchable clearable value={filters.operation || null} onChange={(v) => setFilter('operation', v ?? '')} w={200} />
          <Select label="App" data={apps} searchable clearable value={filters.app || null} onChange={(v) => setFilter('app', v ?? '')} w={160} />
          <TextInput label="User" value={filters.user} onChange={(e) => setFilter('user', e.currentTarget.value)} w={140} />
          <TextInput label="Status" name="status" value={filters.status} onChange={(e) => setFilter('status', e.currentTarget.value.replace(/\D/g, ''))} w={90} />
          <TextInput label="From" type="datetime-local" value={filters.from} onChange={(e) => setFilter('from', e.currentTarget.value)} w={200} />
          <TextInput label="To" type="datetime-local" value={filters.to} onChange={(e) => setFilter('to', e.currentTarget.value)} w={200} />
          <Switch label="Failed only" checked={filters.failed === 'true'} onChange={(e) => setFilter('failed', e.currentTarget.checked ? 'true' : '')} mb={8} />
          <Switch label="MCP tool calls only" checked={filters.via === 'mcp'} onChange={(e) => setFilter('via', e.currentTarget.checked ? 'mcp' : '')} mb={8} />
        </Group>
      </Paper>
      {page.error && <ProblemAlert error={page.error} />}
      {page.loading && !page.data ? (
        <Loader role="status" aria-label="Loading" />
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table striped highlightOnHover aria-label="Requests" fz="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Time</Table.Th>
                <Table.Th>Request</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Operation</Table.Th>
                <Table.Th>Caller</Table.Th>
                <Table.Th>Duration</Table.Th>
                <Table.Th>Fuel</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(page.data?.items ?? []).map((e) => (
                <Table.Tr key={e.id} data-clickable onClick={() => navigate(`/log/${e.id}`)}>
                  <Table.Td>
                    <Anchor component={Link} href={`/log/${e.id}`} onClick={(ev: React.MouseEvent) => ev.stopPropagation()}>
                      {new Date(e.at).toLocaleTimeString()}
                    </Anchor>
                  </Table.Td>
                  <Table.Td className="mono">
                    {e.method} {e.path}{' '}
                    {e.via === 'mcp' && (
                      <Badge size="xs" variant="outline">
                        MCP
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Badge color={statusColor(e.status)} variant="light">
                      {e.status}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{e.operation ?? '—'}</Table.Td>
                  <Table.Td>{e.user ?? e.app ?? e.ip}</Table.Td>
                  <Table.Td>{(e.duration_us / 1000).toFixed(2)} ms</Table.Td>
                  <Table.Td>{e.fuel_used?.toLocaleString('en-US') ?? '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {page.data?.items.length === 0 && (
            <Text c="dimmed" size="sm" p="sm">
              No requests match.
            </Text>
          )}
        </Table.ScrollContainer>
      )}
      <Group>
        <Button
          variant="default"
          disabled={history.length === 0 || page.loading}
          onClick={() => {
            setCursor(history[history.length - 1]);
            setHistory(history.slice(0, -1));
          }}
        >
          Newer
        </Button>
        <Button
          variant="default"
          disabled={!page.data?.next_cursor || page.loading}
          onClick={() => {
            setHistory([...history, cursor]);
            setCursor(page.data!.next_cursor ?? undefined);
          }}
        >
          Older
        </Button>
        <Button variant="subtle" onClick={page.reload} loading={page.loading}>
          Refresh
        </Button>
      </Group>
    </Stack>
  );
}

function LogEntry({ id }: { id: number }) {
  const { data, error, loading } = useLoad(() => unwrap(api.GET('/logs', { params: { query: { cursor: id + 1, limit: 1 } } })), [id]);
  const entry: Entry | undefined = data?.items.find((e) => e.id === id);
  const rows: [string, React.ReactNode][] = entry
    ? [
        ['Time', new Date(entry.at).toLocaleString()],
        ['Request', `${entry.method} ${entry.path}`],
        ['Status', entry.status],
        ['Operation', entry.operation ?? '—'],
        ['App', entry.app ?? '—'],
        ['User', entry.user ?? '—'],
        ['Client IP', entry.ip],
        ['Duration', `${(entry.duration_us / 1000).toFixed(3)} ms`],
        ['Fuel used', entry.fuel_used?.toLocaleString('en-US') ?? '—'],
        ['Error', entry.error ?? '—'],
        ['Request id', <span className="mono">{entry.request_id}</span>],
        ['Trace id', <span className="mono">{entry.trace_id ?? '—'}</span>],
        ['Weight', entry.weight ?? 1],
      ]
    : [];
  return (
    <Stack>
      <Breadcrumbs>
        <Anchor component={Link} href="/log">
          Log
        </Anchor>
        <Text>#{id}</Text>
      </Breadcrumbs>
      <Title order={2}>Request #{id}</Title>
      {error && <ProblemAlert error={error} />}
      {loading ? (
        <Loader role="status" aria-label="Loading" />
      ) : entry ? (
        <Paper withBorder p="md">
          <Table aria-label="Request detail">
            <Table.Tbody>
              {rows.map(([k, v]) => (
                <Table.Tr key={k}>
                  <Table.Th w={140}>{k}</Table.Th>
                  <Table.Td>{v}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      ) : (
        <Text c="dimmed">The log has no request #{id} (it may have been pruned).</Text>
      )}
    </Stack>
  );
}
