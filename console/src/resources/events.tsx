import { Alert, Badge, Button, Code, CopyButton, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { api, unwrap, type Schemas } from '../api/client';
import { useAction } from '../components/useAction';
import type { Resource, Values } from '../components/types';
import { ProblemAlert } from '../components/ProblemAlert';
import { useLoad } from '../components/useLoad';
import { Deliveries } from './Deliveries';
import { DESCRIPTION_FIELD, NAME_FIELD, jsonText, parseJson, when } from './util';

type Event = Schemas['Event'];

function eventBody(v: Values) {
  const text = String(v.schema ?? '').trim();
  // A stored schema's name, or an inline schema.
  const schema = !text ? undefined : text.startsWith('{') ? parseJson(v, 'schema') : text;
  return { name: String(v.name ?? ''), description: String(v.description ?? ''), schema };
}

export const events: Resource<Event> = {
  key: 'events',
  title: 'Events',
  singular: 'event',
  intro: (
    <Text size="sm" c="dimmed">
      Events actions dispatch; triggers run actions and webhooks notify URLs when one happens.
    </Text>
  ),
  list: () => unwrap(api.GET('/events')),
  get: (name) => unwrap(api.GET('/events/{name}', { params: { path: { name } } })),
  create: (v) => unwrap(api.POST('/events', { body: eventBody(v) })),
  update: (name, v) => unwrap(api.PUT('/events/{name}', { params: { path: { name } }, body: eventBody(v) })),
  remove: (name) => unwrap(api.DELETE('/events/{name}', { params: { path: { name } } })),
  id: (e) => e.name,
  search: (e) => `${e.name} ${e.description}`,
  columns: [
    { label: 'Name', render: (e) => e.name },
    { label: 'Description', render: (e) => e.description || '—' },
    { label: 'Schema', render: (e) => (typeof e.schema === 'string' ? e.schema : e.schema ? 'inline' : '—') },
  ],
  values: (e) => ({ name: e?.name ?? '', description: e?.description ?? '', schema: typeof e?.schema === 'string' ? e.schema : jsonText(e?.schema) }),
  fields: () => [
    NAME_FIELD,
    DESCRIPTION_FIELD,
    { name: 'schema', label: 'Data schema', kind: 'text', description: "A stored schema's name, or an inline JSON Schema; empty: any data" },
  ],
};

type Trigger = Schemas['Trigger'];

export const triggers: Resource<Trigger> = {
  key: 'triggers',
  title: 'Triggers',
  singular: 'trigger',
  list: () => unwrap(api.GET('/triggers')),
  get: (name) => unwrap(api.GET('/triggers/{name}', { params: { path: { name } } })),
  create: (v) =>
    unwrap(api.POST('/triggers', { body: { name: String(v.name ?? ''), event: String(v.event ?? ''), action: String(v.action ?? ''), active: Boolean(v.active) } })),
  remove: (name) => unwrap(api.DELETE('/triggers/{name}', { params: { path: { name } } })),
  id: (t) => t.name,
  search: (t) => `${t.name} ${t.event} ${t.action}`,
  columns: [
    { label: 'Name', render: (t) => t.name },
    { label: 'Event', render: (t) => t.event },
    { label: 'Action', render: (t) => t.action },
    { label: 'Active', render: (t) => (t.active ? 'yes' : 'no') },
  ],
  values: (t) => ({ name: t?.name ?? '', event: t?.event ?? '', action: t?.action ?? '', active: t?.active ?? true }),
  fields: () => [
    NAME_FIELD,
    { name: 'event', label: 'Event', kind: 'select', required: true, source: 'events', createOnly: true },
    { name: 'action', label: 'Action', kind: 'select', required: true, source: 'actions', createOnly: true },
    { name: 'active', label: 'Active', kind: 'switch', createOnly: true },
  ],
  Extras: ({ item }) => <Deliveries title="Runs" load={() => unwrap(api.GET('/triggers/{name}/runs', { params: { path: { name: item.name } } }))} />,
};

type Webhook = Schemas['Webhook'];

export const webhooks: Resource<Webhook> = {
  key: 'webhooks',
  title: 'Webhooks',
  singular: 'webhook',
  list: () => unwrap(api.GET('/webhooks')),
  get: (name) => unwrap(api.GET('/webhooks/{name}', { params: { path: { name } } })),
  create: (v) =>
    unwrap(api.POST('/webhooks', { body: { name: String(v.name ?? ''), event: String(v.event ?? ''), url: String(v.url ?? ''), active: Boolean(v.active) } })),
  update: (name, v) => unwrap(api.PATCH('/webhooks/{name}', { params: { path: { name } }, body: { url: String(v.url ?? ''), active: Boolean(v.active) } })),
  remove: (name) => unwrap(api.DELETE('/webhooks/{name}', { params: { path: { name } } })),
  id: (w) => w.name,
  search: (w) => `${w.name} ${w.event} ${w.url}`,
  columns: [
    { label: 'Name', render: (w) => w.name },
    { label: 'Event', render: (w) => w.event },
    { label: 'URL', render: (w) => <span className="mono">{w.url}</span> },
    { label: 'State', render: (w) => (w.disabled_reason ? <Badge color="red">disabled</Badge> : w.active ? 'active' : 'inactive') },
  ],
  values: (w) => ({ name: w?.name ?? '', event: w?.event ?? '', url: w?.url ?? 'https://', active: w?.active ?? true }),
  fields: () => [
    NAME_FIELD,
    { name: 'event', label: 'Event', kind: 'select', required: true, source: 'events', createOnly: true },
    { name: 'url', label: 'URL', kind: 'text', required: true, description: 'Receives each event as a signed POST (Standard Webhooks)' },
    { name: 'active', label: 'Active', kind: 'switch' },
  ],
  Created: ({ result }) => <SecretOnce label="Signing secret" secret={(result as { secret: string }).secret} />,
  Extras: ({ item }) => (
    <>
      {item.disabled_reason && (
        <Alert color="red" title="Disabled">
          {item.disabled_reason}
        </Alert>
      )}
      <Deliveries title="Deliveries" load={() => unwrap(api.GET('/webhooks/{name}/deliveries', { params: { path: { name: item.name } } }))} />
    </>
  ),
};

/** A secret the server shows only once, with a copy button. */
export function SecretOnce({ label, secret, extra }: { label: string; secret: string; extra?: React.ReactNode }) {
  return (
    <Alert color="yellow" title={`${label} — shown only now`} role="status" data-testid="secret-once">
      <Stack gap="xs">
        <Text size="sm">Copy it now: the server keeps only a hash and will not show it again.</Text>
        {extra}
        <Group gap="xs" wrap="nowrap">
          <Code className="mono" data-testid="secret-value">
            {secret}
          </Code>
          <CopyButton value={secret}>
            {({ copied, copy }) => (
              <Button size="xs" variant="light" onClick={copy}>
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
        </Group>
      </Stack>
    </Alert>
  );
}

type Cronjob = Schemas['Cronjob'];

function cronBody(v: Values) {
  return {
    name: String(v.name ?? ''),
    schedule: String(v.schedule ?? ''),
    action: String(v.action ?? ''),
    active: Boolean(v.active),
    missed: v.missed as 'run_once' | 'skip',
    description: String(v.description ?? ''),
  };
}

export const cronjobs: Resource<Cronjob> = {
  key: 'cronjobs',
  title: 'Cronjobs',
  singular: 'cronjob',
  list: () => unwrap(api.GET('/cronjobs')),
  get: (name) => unwrap(api.GET('/cronjobs/{name}', { params: { path: { name } } })),
  create: (v) => unwrap(api.POST('/cronjobs', { body: cronBody(v) })),
  update: (name, v) => unwrap(api.PUT('/cronjobs/{name}', { params: { path: { name } }, body: cronBody(v) })),
  remove: (name) => unwrap(api.DELETE('/cronjobs/{name}', { params: { path: { name } } })),
  id: (c) => c.name,
  search: (c) => `${c.name} ${c.schedule} ${c.action} ${c.description ?? ''}`,
  columns: [
    { label: 'Name', render: (c) => c.name },
    { label: 'Schedule (UTC)', render: (c) => <code>{c.schedule}</code> },
    { label: 'Action', render: (c) => c.action },
    { label: 'Next run', render: (c) => when(c.next_runs_ms?.[0]) },
  ],
  values: (c) => ({
    name: c?.name ?? '',
    schedule: c?.schedule ?? '0 7 * * *',
    action: c?.action ?? '',
    active: c?.active ?? true,
    missed: c?.missed ?? 'run_once',
    description: c?.description ?? '',
  }),
  fields: () => [
    NAME_FIELD,
    { name: 'schedule', label: 'Schedule', kind: 'text', required: true, description: 'Cron expression in UTC: minute hour day month weekday (a seconds field first is allowed)' },
    { name: 'action', label: 'Action', kind: 'select', required: true, source: 'actions' },
    { name: 'active', label: 'Active', kind: 'switch' },
    { name: 'missed', label: 'Ticks missed while stopped', kind: 'select', required: true, options: ['run_once', 'skip'] },
    DESCRIPTION_FIELD,
  ],
  Extras: ({ item }) => <CronPanels job={item} />,
};

function CronPanels({ job }: { job: Cronjob }) {
  const runs = useLoad(() => unwrap(api.GET('/cronjobs/{name}/runs', { params: { path: { name: job.name } } })), [job.name]);
  const { busy, problem, run } = useAction();
  const runNow = () =>
    run(async () => {
      await unwrap(api.POST('/cronjobs/{name}/run', { params: { path: { name: job.name } } }));
      runs.reload();
    });
  return (
    <>
      <Paper withBorder p="md">
        <Stack gap="xs">
          <Title order={3}>Next runs</Title>
          {job.next_runs_ms?.length ? (
            job.next_runs_ms.map((ms) => (
              <Text key={ms} size="sm">
                {when(ms)}
              </Text>
            ))
          ) : (
            <Text size="sm" c="dimmed">
              None while inactive.
            </Text>
          )}
        </Stack>
      </Paper>
      <Paper withBorder p="md">
        <Stack>
          <Group justify="space-between">
            <Title order={3}>Runs</Title>
            <Button onClick={() => void runNow()} loading={busy}>
              Run now
            </Button>
          </Group>
          {problem && <ProblemAlert error={problem} />}
          {runs.error && <ProblemAlert error={runs.error} />}
          <Table.ScrollContainer minWidth={480}>
            <Table aria-label="Runs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Started</Table.Th>
                  <Table.Th>Outcome</Table.Th>
                  <Table.Th>Duration</Table.Th>
                  <Table.Th>Error</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {(runs.data ?? []).map((r) => (
                  <Table.Tr key={r.id}>
                    <Table.Td>
                      {when(r.started_ms)}
                      {r.tick_ms === null ? ' (on demand)' : ''}
                    </Table.Td>
                    <Table.Td>
                      <Badge color={r.outcome === 'ok' ? 'green' : r.outcome === 'failed' ? 'red' : 'yellow'} variant="light">
                        {r.outcome}
                        {r.status_code ? ` ${r.status_code}` : ''}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{r.duration_ms !== null && r.duration_ms !== undefined ? `${r.duration_ms} ms` : '—'}</Table.Td>
                    <Table.Td>{r.error ?? ''}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Stack>
      </Paper>
    </>
  );
}
