// The consumer's usage: requests and errors per day (a recharts bar
// chart), each operation's totals and latency, and the latest requests.
// Loaded as a chunk of its own (App.tsx): the chart library is large.
import { useMemo, useState } from 'react';
import { Group, Loader, Paper, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { call, query } from '../api/client';
import type { App, LogRow, Usage as UsageData } from '../api/types';
import { useLoad } from '../components/hooks';
import { ProblemAlert } from '../components/ProblemAlert';

/** YYYY-MM-DD of `date` in UTC (the server's days are UTC days). */
const isoDay = (date: Date) => date.toISOString().slice(0, 10);

export default function Usage() {
  const [to, setTo] = useState(isoDay(new Date()));
  const [from, setFrom] = useState(isoDay(new Date(Date.now() - 29 * 86_400_000)));
  const [app, setApp] = useState<string | null>(null);
  const apps = useLoad(() => call<App[]>('GET', '/apps'), []);
  const usage = useLoad(() => call<UsageData>('GET', `/usage${query({ from, to, app: app ?? undefined })}`), [from, to, app]);
  const logs = useLoad(() => call<LogRow[]>('GET', `/logs${query({ limit: 20 })}`), []);

  const perDay = useMemo(() => {
    const days = new Map<string, { day: string; requests: number; errors: number }>();
    for (const d of usage.data?.days ?? []) {
      const row = days.get(d.day) ?? { day: d.day, requests: 0, errors: 0 };
      row.requests += d.requests;
      row.errors += d.errors;
      days.set(d.day, row);
    }
    return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
  }, [usage.data]);

  const perOperation = useMemo(() => {
    const ops = new Map<string, { operation: string; requests: number; errors: number; p50: number; p95: number }>();
    for (const d of usage.data?.days ?? []) {
      const name = d.operation ?? '(no operation)';
      const row = ops.get(name) ?? { operation: name, requests: 0, errors: 0, p50: 0, p95: 0 };
      row.requests += d.requests;
      row.errors += d.errors;
      // The worst day's percentiles: a daily p95 cannot be averaged.
      row.p50 = Math.max(row.p50, d.p50_ms);
      row.p95 = Math.max(row.p95, d.p95_ms);
      ops.set(name, row);
    }
    return [...ops.values()].sort((a, b) => b.requests - a.requests);
  }, [usage.data]);

  return (
    <Stack>
      <Title order={1}>Usage</Title>
      <Group align="flex-end">
        <TextInput label="From" type="date" name="from" value={from} max={to} onChange={(e) => setFrom(e.currentTarget.value)} />
        <TextInput label="To" type="date" name="to" value={to} min={from} onChange={(e) => setTo(e.currentTarget.value)} />
        <Select
          label="App"
          placeholder="All apps and tokens"
          clearable
          data={(apps.data ?? []).map((a) => ({ value: a.id, label: a.name }))}
          value={app}
          onChange={setApp}
        />
      </Group>
      {usage.error && <ProblemAlert error={usage.error} />}
      {usage.loading && !usage.data && <Loader role="status" aria-label="Loading" />}
      {usage.data && (
        <>
          <SimpleGrid cols={{ base: 2, sm: 4 }}>
            <Paper withBorder p="sm">
              <Text size="sm" c="dimmed">
                Requests
              </Text>
              <Text size="xl" fw={700} data-testid="usage-requests">
                {usage.data.totals.requests}
              </Text>
            </Paper>
            <Paper withBorder p="sm">
              <Text size="sm" c="dimmed">
                Errors
              </Text>
              <Text size="xl" fw={700} data-testid="usage-errors">
                {usage.data.totals.errors}
              </Text>
            </Paper>
          </SimpleGrid>
          <Paper withBorder p="md">
            <Title order={2} size="h4" mb="sm">
              Requests per day
            </Title>
            <figure className="chart" aria-label={`Requests and errors per day from ${from} to ${to}`} style={{ margin: 0 }}>
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={perDay} accessibilityLayer>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="day" />
                  <YAxis allowDecimals={false} />
                  <Tooltip />
                  <Legend />
                  <Bar dataKey="requests" name="Requests" fill="var(--mantine-color-indigo-7)" />
                  <Bar dataKey="errors" name="Errors" fill="var(--mantine-color-red-8)" />
                </BarChart>
              </ResponsiveContainer>
            </figure>
          </Paper>
          <Title order={2} size="h4">
            By operation
          </Title>
          {perOperation.length ? (
            <Table.ScrollContainer minWidth={560}>
              <Table aria-label="Usage by operation" striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Operation</Table.Th>
                    <Table.Th>Requests</Table.Th>
                    <Table.Th>Errors</Table.Th>
                    <Table.Th>p50 (worst day)</Table.Th>
                    <Table.Th>p95 (worst day)</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {perOperation.map((o) => (
                    <Table.Tr key={o.operation}>
                      <Table.Td>{o.operation}</Table.Td>
                      <Table.Td>{o.requests}</Table.Td>
                      <Table.Td>{o.errors}</Table.Td>
                      <Table.Td>{o.p50.toFixed(1)} ms</Table.Td>
                      <Table.Td>{o.p95.toFixed(1)} ms</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          ) : (
            <Text>No requests in this period.</Text>
          )}
        </>
      )}
      <Title order={2} size="h4">
        Latest requests
      </Title>
      {logs.error && <ProblemAlert error={logs.error} />}
      {logs.data?.length ? (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label="Latest requests" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Request</Table.Th>
                <Table.Th>Operation</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Duration</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {logs.data.map((l) => (
                <Table.Tr key={l.id}>
                  <Table.Td>{new Date(l.at).toLocaleString()}</Table.Td>
                  <Table.Td className="mono">
                    {l.method} {l.path}
                  </Table.Td>
                  <Table.Td>{l.operation ?? '—'}</Table.Td>
                  <Table.Td>{l.status}</Table.Td>
                  <Table.Td>{l.duration_ms} ms</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        !logs.loading && <Text>No requests yet.</Text>
      )}
    </Stack>
  );
}
