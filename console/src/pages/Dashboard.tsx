// Requests, errors and latency over the last hour or day, from the
// statistics API.
import { useState } from 'react';
import { Anchor, Group, Paper, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'wouter';
import { api, unwrap } from '../api/client';
import { ProblemAlert } from '../components/ProblemAlert';
import { useLoad } from '../components/useLoad';

type Report = 'requests' | 'errors' | 'latency' | 'top-operations';

interface Bucket {
  start: string;
  requests: number;
}
interface ErrorRow extends Bucket {
  status: number;
}
interface Latency {
  operation: string | null;
  requests: number;
  p50_us: number;
  p95_us: number;
  p99_us: number;
}
interface Top {
  name: string | null;
  requests: number;
  errors: number;
  mean_duration_us: number;
  fuel: number;
}

const RANGES: Record<string, { ms: number; bucket: number; label: string }> = {
  hour: { ms: 3_600_000, bucket: 60, label: 'last hour' },
  day: { ms: 86_400_000, bucket: 1_800, label: 'last day' },
};

function report<T>(name: Report, range: string, extra: { bucket?: number; limit?: number } = {}) {
  const to = new Date();
  const from = new Date(to.getTime() - RANGES[range].ms);
  return unwrap(api.GET('/statistics/{report}', { params: { path: { report: name }, query: { from: from.toISOString(), to: to.toISOString(), ...extra } } })).then(
    (r) => r.items as T[],
  );
}

function ms(us: number) {
  return `${(us / 1000).toFixed(us < 10_000 ? 2 : 0)} ms`;
}

function Bars({ buckets, errors, label }: { buckets: Bucket[]; errors?: boolean; label: string }) {
  const max = Math.max(1, ...buckets.map((b) => b.requests));
  return (
    <div className="bars" role="img" aria-label={label}>
      {buckets.map((b) => (
        <div
          key={b.start}
          data-error={errors ?? false}
          style={{ height: `${(100 * b.requests) / max}%` }}
          title={`${new Date(b.start).toLocaleTimeString()}: ${b.requests}`}
        />
      ))}
    </div>
  );
}

export function Dashboard() {
  const [range, setRange] = useState('hour');
  const bucket = RANGES[range].bucket;
  const data = useLoad(async () => {
    const [requests, errors, latency, top] = await Promise.all([
      report<Bucket>('requests', range, { bucket }),
      report<ErrorRow>('errors', range, { bucket }),
      report<Latency>('latency', range),
      report<Top>('top-operations', range, { limit: 10 }),
    ]);
    // Errors come per bucket and status: one bar per bucket.
    const byStart = new Map<string, number>();
    for (const e of errors) byStart.set(e.start, (byStart.get(e.start) ?? 0) + e.requests);
    const errorBuckets = requests.map((b) => ({ start: b.start, requests: byStart.get(b.start) ?? 0 }));
    return { requests, errors, errorBuckets, latency, top };
  }, [range]);
  const d = data.data;
  const total = d?.requests.reduce((s, b) => s + b.requests, 0) ?? 0;
  const failed = d?.errors.reduce((s, b) => s + b.requests, 0) ?? 0;
  const worst = d?.latency.reduce((m, l) => Math.max(m, l.p95_us), 0) ?? 0;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Dashboard</Title>
        <SegmentedControl
          value={range}
          onChange={setRange}
          data={[
            { value: 'hour', label: 'Last hour' },
            { value: 'day', label: 'Last day' },
          ]}
        />
      </Group>
      {data.error && <ProblemAlert error={data.error} />}
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Paper withBorder p="md">
          <Text size="xs" c="dimmed">
            Requests, {RANGES[range].label}
          </Text>
          <Text size="xl" fw={700} data-testid="stat-requests">
            {total.toLocaleString('en-US')}
          </Text>
        </Paper>
        <Paper withBorder p="md">
          <Text size="xs" c="dimmed">
            Errors (status 400 and above)
          </Text>
          <Text size="xl" fw={700} c={failed ? 'red' : undefined} data-testid="stat-errors">
            {failed.toLocaleString('en-US')}
          </Text>
        </Paper>
        <Paper withBorder p="md">
          <Text size="xs" c="dimmed">
            Slowest operation p95
          </Text>
          <Text size="xl" fw={700}>
            {worst ? ms(worst) : '—'}
          </Text>
        </Paper>
      </SimpleGrid>
      <Paper withBorder p="md">
        <Text size="sm" fw={600} mb="xs">
          Requests per {bucket >= 60 ? `${bucket / 60} min` : `${bucket} s`}
        </Text>
        <Bars buckets={d?.requests ?? []} label="Requests over time" />
        <Text size="sm" fw={600} mt="md" mb="xs">
          Errors
        </Text>
        <Bars buckets={d?.errorBuckets ?? []} errors label="Errors over time" />
      </Paper>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Paper withBorder p="md">
          <Title order={4} mb="xs">
            Latency by operation
          </Title>
          <Table.ScrollContainer minWidth={360}>
            <Table fz="sm" aria-label="Latency by operation">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Operation</Table.Th>
                  <Table.Th>p50</Table.Th>
                  <Table.Th>p95</Table.Th>
                  <Table.Th>p99</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {(d?.latency ?? []).map((l) => (
                  <Table.Tr key={l.operation ?? '-'}>
                    <Table.Td>{l.operation ?? '(none)'}</Table.Td>
                    <Table.Td>{ms(l.p50_us)}</Table.Td>
                    <Table.Td>{ms(l.p95_us)}</Table.Td>
                    <Table.Td>{ms(l.p99_us)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
        <Paper withBorder p="md">
          <Title order={4} mb="xs">
            Busiest operations
          </Title>
          <Table.ScrollContainer minWidth={360}>
            <Table fz="sm" aria-label="Busiest operations">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Operation</Table.Th>
                  <Table.Th>Requests</Table.Th>
                  <Table.Th>Errors</Table.Th>
                  <Table.Th>Mean</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {(d?.top ?? []).map((t) => (
                  <Table.Tr key={t.name ?? '-'}>
                    <Table.Td>
                      {t.name ? (
                        <Anchor component={Link} href={`/log?operation=${encodeURIComponent(t.name)}`}>
                          {t.name}
                        </Anchor>
                      ) : (
                        '(none)'
                      )}
                    </Table.Td>
                    <Table.Td>{t.requests.toLocaleString('en-US')}</Table.Td>
                    <Table.Td>{t.errors.toLocaleString('en-US')}</Table.Td>
                    <Table.Td>{ms(t.mean_duration_us)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      </SimpleGrid>
    </Stack>
  );
}
