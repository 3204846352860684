// Webhooks: a URL of the consumer's that receives the events the admin
// opened to consumers, signed with a secret shown once; each delivery's
// attempts are listed.
import { useState, type FormEvent } from 'react';
import { Anchor, Badge, Button, Group, Loader, Paper, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { Link, useLocation } from 'wouter';
import { call } from '../api/client';
import type { Delivery, Named, Webhook, WebhookWithSecret } from '../api/types';
import { useAction, useLoad } from '../components/hooks';
import { ProblemAlert, fieldError } from '../components/ProblemAlert';
import { CopyValue, ShownOnce } from '../components/Secret';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

export function Webhooks() {
  const hooks = useLoad(() => call<Webhook[]>('GET', '/webhooks'), []);
  const events = useLoad(() => call<Named[]>('GET', '/events'), []);
  const [event, setEvent] = useState<string | null>(null);
  const [url, setUrl] = useState('');
  const [created, setCreated] = useState<WebhookWithSecret | null>(null);
  const create = useAction();

  function submit(e: FormEvent) {
    e.preventDefault();
    void create.run(async () => {
      setCreated(await call<WebhookWithSecret>('POST', '/webhooks', { event, url }));
      setUrl('');
      hooks.reload();
    });
  }

  return (
    <Stack>
      <Title order={1}>Webhooks</Title>
      <Text c="dimmed" size="sm">
        The server posts each event to your URL, signed with the webhook's secret, and retries failed deliveries.
      </Text>
      {created && (
        <ShownOnce>
          <CopyValue label="Signing secret" value={created.secret} testId="webhook-secret" />
        </ShownOnce>
      )}
      <Paper withBorder p="md">
        <form onSubmit={submit} aria-label="New webhook">
          <Stack maw={560}>
            <Title order={2} size="h4">
              New webhook
            </Title>
            {create.problem && <ProblemAlert error={create.problem} />}
            {events.error && <ProblemAlert error={events.error} />}
            <Select
              label="Event"
              required
              data={(events.data ?? []).map((e) => ({ value: e.name, label: e.description ? `${e.name} — ${e.description}` : e.name }))}
              value={event}
              onChange={setEvent}
              error={fieldError(create.problem, 'event')}
              nothingFoundMessage="No events are open to consumers"
            />
            <TextInput label="URL" name="url" type="url" required placeholder="https://example.com/hooks/sluice" value={url} onChange={(e) => setUrl(e.currentTarget.value)} error={fieldError(create.problem, 'url')} />
            <Group>
              <Button type="submit" loading={create.busy}>
                Create webhook
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
      {hooks.error && <ProblemAlert error={hooks.error} />}
      {!hooks.data ? (
        <Loader role="status" aria-label="Loading" />
      ) : hooks.data.length ? (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label="Webhooks" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Event</Table.Th>
                <Table.Th>URL</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {hooks.data.map((h) => (
                <Table.Tr key={h.id}>
                  <Table.Td>
                    <Anchor component={Link} href={`/webhooks/${h.id}`}>
                      {h.event}
                    </Anchor>
                  </Table.Td>
                  <Table.Td className="mono">{h.url}</Table.Td>
                  <Table.Td>{h.active ? 'active' : 'inactive'}</Table.Td>
                  <Table.Td>{when(h.created_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        <Text>No webhooks yet.</Text>
      )}
    </Stack>
  );
}

export function WebhookPage({ id }: { id: string }) {
  const hook = useLoad(() => call<Webhook>('GET', `/webhooks/${encodeURIComponent(id)}`), [id]);
  const deliveries = useLoad(() => call<Delivery[]>('GET', `/webhooks/${encodeURIComponent(id)}/deliveries`), [id]);
  const remove = useAction();
  const [, navigate] = useLocation();
  if (hook.error) return <ProblemAlert error={hook.error} />;
  if (!hook.data) return <Loader role="status" aria-label="Loading" />;
  const h = hook.data;
  return (
    <Stack>
      <Group gap="sm">
        <Title order={1}>{h.event}</Title>
        <Badge variant="filled" color={h.active ? 'green' : 'gray'}>
          {h.active ? 'active' : 'inactive'}
        </Badge>
      </Group>
      <Text className="mono">{h.url}</Text>
      <Group justify="space-between">
        <Title order={2} size="h4">
          Deliveries
        </Title>
        <Button size="xs" variant="default" onClick={deliveries.reload} loading={deliveries.loading}>
          Refresh
        </Button>
      </Group>
      {deliveries.error && <ProblemAlert error={deliveries.error} />}
      {deliveries.data?.length ? (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label="Deliveries" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Created</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Attempts</Table.Th>
                <Table.Th>Last answer</Table.Th>
                <Table.Th>Delivered</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {deliveries.data.map((d) => (
                <Table.Tr key={d.id}>
                  <Table.Td>{when(d.created_at)}</Table.Td>
                  <Table.Td>{d.status}</Table.Td>
                  <Table.Td>{d.attempts}</Table.Td>
                  <Table.Td>{d.last_status_code ?? d.last_error ?? '—'}</Table.Td>
                  <Table.Td>{when(d.delivered_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        !deliveries.loading && <Text>No deliveries yet.</Text>
      )}
      {remove.problem && <ProblemAlert error={remove.problem} />}
      <Group>
        <Button
          color="red"
          variant="outline"
          loading={remove.busy}
          onClick={() =>
            void remove.run(async () => {
              if (!window.confirm('Delete this webhook?')) return;
              await call('DELETE', `/webhooks/${encodeURIComponent(id)}`);
              navigate('/webhooks');
            })
          }
        >
          Delete webhook
        </Button>
      </Group>
    </Stack>
  );
}
