// The people who signed up in the developer portal: search, approve,
// deactivate and reactivate them, and see their apps and usage.
import { useState } from 'react';
import { Anchor, Badge, Button, Group, Loader, Paper, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { Link } from 'wouter';
import { adminCall, type Consumer, type ConsumerDetail, type ConsumerStatus, type ConsumerUsage } from '../api/portal';
import { ProblemAlert } from '../components/ProblemAlert';
import { useAction } from '../components/useAction';
import { useLoad } from '../components/useLoad';

const STATUS_COLORS: Record<ConsumerStatus, string> = { unverified: 'gray', awaiting_approval: 'orange', active: 'green', deactivated: 'red' };
const STATUSES: ConsumerStatus[] = ['unverified', 'awaiting_approval', 'active', 'deactivated'];

function StatusBadge({ status }: { status: ConsumerStatus }) {
  return (
    <Badge color={STATUS_COLORS[status] ?? 'gray'} variant="filled">
      {status.replace('_', ' ')}
    </Badge>
  );
}

export function ConsumersPage() {
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const [debounced] = useDebouncedValue(q, 250);
  const params = new URLSearchParams();
  if (debounced) params.set('q', debounced);
  if (status) params.set('status', status);
  const query = params.toString();
  const consumers = useLoad(() => adminCall<Consumer[]>('GET', `/consumers${query ? `?${query}` : ''}`), [query]);
  return (
    <Stack>
      <Title order={2}>Consumers</Title>
      <Text size="sm" c="dimmed">
        The people who signed up in the developer portal (/portal) and their apps.
      </Text>
      <Group align="flex-end">
        <TextInput label="Search" name="q" placeholder="Name or email" value={q} onChange={(e) => setQ(e.currentTarget.value)} />
        <Select label="Status" placeholder="Any" clearable data={STATUSES.map((s) => ({ value: s, label: s.replace('_', ' ') }))} value={status} onChange={setStatus} />
      </Group>
      {consumers.error && <ProblemAlert error={consumers.error} />}
      {!consumers.data ? (
        consumers.loading && <Loader role="status" aria-label="Loading" />
      ) : consumers.data.length ? (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label="Consumers" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Email</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Apps</Table.Th>
                <Table.Th>Signed up</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {consumers.data.map((c) => (
                <Table.Tr key={c.id}>
                  <Table.Td>
                    <Anchor component={Link} href={`/consumers/${c.id}`}>
                      {c.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{c.email}</Table.Td>
                  <Table.Td>
                    <StatusBadge status={c.status} />
                  </Table.Td>
                  <Table.Td>{c.apps}</Table.Td>
                  <Table.Td>{new Date(c.created_at).toLocaleDateString()}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        <Text>No consumers{query ? ' match' : ' yet'}.</Text>
      )}
    </Stack>
  );
}

export function ConsumerPage({ id }: { id: string }) {
  const path = `/consumers/${encodeURIComponent(id)}`;
  const consumer = useLoad(() => adminCall<ConsumerDetail>('GET', path), [id]);
  const usage = useLoad(() => adminCall<ConsumerUsage>('GET', `${path}/usage`), [id]);
  const change = useAction();
  if (consumer.error) return <ProblemAlert error={consumer.error} />;
  if (!consumer.data) return <Loader role="status" aria-label="Loading" />;
  const c = consumer.data;
  const act = (verb: 'approve' | 'deactivate' | 'activate') =>
    void change.run(async () => {
      await adminCall('POST', `${path}/${verb}`);
      consumer.reload();
    });
  const byOperation = new Map<string, { requests: number; errors: number }>();
  for (const d of usage.data?.days ?? []) {
    const name = d.operation ?? '(no operation)';
    const row = byOperation.get(name) ?? { requests: 0, errors: 0 };
    row.requests += d.requests;
    row.errors += d.errors;
    byOperation.set(name, row);
  }
  return (
    <Stack>
      <Group gap="sm">
        <Title order={2}>{c.name}</Title>
        <StatusBadge status={c.status} />
      </Group>
      <Text>
        {c.email} · signed up {new Date(c.created_at).toLocaleString()}
      </Text>
      {change.problem && <ProblemAlert error={change.problem} />}
      <Group>
        {c.status === 'awaiting_approval' && (
          <Button loading={change.busy} onClick={() => act('approve')}>
            Approve
          </Button>
        )}
        {c.status === 'active' && (
          <Button color="red" loading={change.busy} onClick={() => act('deactivate')}>
            Deactivate
          </Button>
        )}
        {c.status === 'deactivated' && (
          <Button loading={change.busy} onClick={() => act('activate')}>
            Activate again
          </Button>
        )}
      </Group>
      <Title order={3}>Apps</Title>
      {c.apps?.length ? (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label="Consumer apps" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Client id</Table.Th>
                <Table.Th>Scopes</Table.Th>
                <Table.Th>Active</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {c.apps.map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Td>{a.name}</Table.Td>
                  <Table.Td className="mono">{a.client_id}</Table.Td>
                  <Table.Td>{a.scopes.join(', ') || '—'}</Table.Td>
                  <Table.Td>{a.active ? 'yes' : 'no'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        <Text>No apps.</Text>
      )}
      <Consents path={path} />
      <Title order={3}>Usage</Title>
      {usage.error && <ProblemAlert error={usage.error} />}
      {usage.data && (
        <>
          <SimpleGrid cols={{ base: 2, sm: 4 }}>
            <Paper withBorder p="sm">
              <Text size="sm" c="dimmed">
                Requests {usage.data.from} – {usage.data.to}
              </Text>
              <Text fw={700} size="xl">
                {usage.data.totals.requests}
              </Text>
            </Paper>
            <Paper withBorder p="sm">
              <Text size="sm" c="dimmed">
                Errors
              </Text>
              <Text fw={700} size="xl">
                {usage.data.totals.errors}
              </Text>
            </Paper>
          </SimpleGrid>
          {byOperation.size > 0 && (
            <Table aria-label="Consumer usage by operation" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Operation</Table.Th>
                  <Table.Th>Requests</Table.Th>
                  <Table.Th>Errors</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {[...byOperation.entries()].map(([op, r]) => (
                  <Table.Tr key={op}>
                    <Table.Td>{op}</Table.Td>
                    <Table.Td>{r.requests}</Table.Td>
                    <Table.Td>{r.errors}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </>
      )}
    </Stack>
  );
}

interface Consent {
  client_id: string;
  app: string;
  scopes: string[];
  created_at: string;
  updated_at: string;
}

/** The apps the consumer let act for them (the consent page), each withdrawable. */
function Consents({ path }: { path: string }) {
  const consents = useLoad(() => adminCall<Consent[]>('GET', `${path}/consents`), [path]);
  const withdraw = useAction();
  return (
    <>
      <Title order={3}>Apps they allowed</Title>
      {consents.error && <ProblemAlert error={consents.error} />}
      {withdraw.problem && <ProblemAlert error={withdraw.problem} />}
      {consents.data?.length ? (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label="Consents" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>App</Table.Th>
                <Table.Th>Scopes</Table.Th>
                <Table.Th>Since</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {consents.data.map((c) => (
                <Table.Tr key={c.client_id}>
                  <Table.Td>{c.app}</Table.Td>
                  <Table.Td>{c.scopes.join(', ') || '—'}</Table.Td>
                  <Table.Td>{new Date(c.created_at).toLocaleDateString()}</Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      color="red"
                      variant="light"
                      loading={withdraw.busy}
                      onClick={() =>
                        withdraw.run(async () => {
                          await adminCall('DELETE', `${path}/consents/${encodeURIComponent(c.client_id)}`);
                          consents.reload();
                        })
                      }
                    >
                      Withdraw
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        consents.data && <Text>None.</Text>
      )}
    </>
  );
}
