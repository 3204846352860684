import { useState } from 'react';
import { Button, Code, Group, Modal, Paper, Stack, Text, Title } from '@mantine/core';
import { api, unwrap, type Schemas } from '../api/client';
import { useAction } from '../components/useAction';
import type { Resource, Values } from '../components/types';
import { ProblemAlert } from '../components/ProblemAlert';
import { SecretOnce } from './events';
import { DESCRIPTION_FIELD, NAME_FIELD, optional, optionalNumber, whenText } from './util';

type App = Schemas['App'];

/** The non-empty lines of a textarea's value. */
const lines = (v: unknown) =>
  String(v ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

export const apps: Resource<App> = {
  key: 'apps',
  title: 'Apps',
  singular: 'app',
  list: () => unwrap(api.GET('/apps')),
  get: (name) => unwrap(api.GET('/apps/{name}', { params: { path: { name } } })),
  create: (v) =>
    unwrap(
      api.POST('/apps', {
        body: { name: String(v.name ?? ''), description: String(v.description ?? ''), scopes: (v.scopes as string[]) ?? [], active: Boolean(v.active), redirect_uris: lines(v.redirect_uris) },
      }),
    ),
  update: (name, v) =>
    unwrap(
      api.PATCH('/apps/{name}', {
        params: { path: { name } },
        body: { description: String(v.description ?? ''), scopes: (v.scopes as string[]) ?? [], active: Boolean(v.active), redirect_uris: lines(v.redirect_uris) },
      }),
    ),
  remove: (name) => unwrap(api.DELETE('/apps/{name}', { params: { path: { name } } })),
  id: (a) => a.name,
  search: (a) => `${a.name} ${a.description} ${a.client_id}`,
  columns: [
    { label: 'Name', render: (a) => a.name },
    { label: 'Client id', render: (a) => <span className="mono">{a.client_id}</span> },
    { label: 'Scopes', render: (a) => a.scopes.join(', ') || '—' },
    { label: 'Active', render: (a) => (a.active ? 'yes' : 'no') },
  ],
  values: (a) => ({ name: a?.name ?? '', description: a?.description ?? '', scopes: a?.scopes ?? [], active: a?.active ?? true, redirect_uris: (a?.redirect_uris ?? []).join('\n') }),
  fields: () => [
    NAME_FIELD,
    DESCRIPTION_FIELD,
    { name: 'scopes', label: 'Scopes', kind: 'multiselect', source: 'scopes' },
    {
      name: 'redirect_uris',
      label: 'Redirect URIs',
      kind: 'textarea',
      description: 'Where the authorization-code grant may send users back, one per line: https URLs (http only on localhost), compared exactly.',
      placeholder: 'https://app.example/callback',
    },
    { name: 'active', label: 'Active', kind: 'switch' },
  ],
  Created: ({ result }) => <AppSecret app={result as Schemas['AppWithSecret']} />,
  Extras: ({ item, reload }) => <Rotate app={item} onDone={reload} />,
};

function AppSecret({ app }: { app: Schemas['AppWithSecret'] }) {
  return (
    <SecretOnce
      label="Client secret"
      secret={app.client_secret}
      extra={
        <Text size="sm">
          Client id <Code>{app.client_id}</Code>
        </Text>
      }
    />
  );
}

function Rotate({ app, onDone }: { app: App; onDone: () => void }) {
  const [confirm, setConfirm] = useState(false);
  const { busy, problem, run } = useAction();
  const [fresh, setFresh] = useState<Schemas['AppWithSecret'] | null>(null);
  const rotate = () =>
    run(async () => {
      setFresh(await unwrap(api.POST('/apps/{name}/secret', { params: { path: { name: app.name } } })));
      setConfirm(false);
      onDone();
    });
  return (
    <Paper withBorder p="md">
      <Stack>
        <Title order={3}>Client secret</Title>
        <Text size="sm">Last set {whenText(app.secret_rotated_at)}.</Text>
        {problem && <ProblemAlert error={problem} />}
        {fresh && <AppSecret app={fresh} />}
        <Group>
          <Button variant="light" color="orange" onClick={() => setConfirm(true)}>
            Rotate the secret
          </Button>
        </Group>
      </Stack>
      <Modal opened={confirm} onClose={() => setConfirm(false)} title={`Rotate the secret of ${app.name}?`}>
        <Stack>
          <Text size="sm">The current secret stops working at once; clients need the new one.</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirm(false)}>
              Cancel
            </Button>
            <Button color="orange" loading={busy} onClick={() => void rotate()} data-autofocus>
              Rotate
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Paper>
  );
}

type User = Schemas['User'];

export const users: Resource<User> = {
  key: 'users',
  title: 'Users',
  singular: 'user',
  list: () => unwrap(api.GET('/users')),
  get: (name) => unwrap(api.GET('/users/{name}', { params: { path: { name } } })),
  create: (v) =>
    unwrap(
      api.POST('/users', {
        body: { name: String(v.name ?? ''), email: optional(v, 'email') ?? null, password: String(v.password ?? ''), roles: (v.roles as string[]) ?? [], active: Boolean(v.active) },
      }),
    ),
  update: (name, v) =>
    unwrap(
      api.PATCH('/users/{name}', {
        params: { path: { name } },
        body: { ...(optional(v, 'email') ? { email: String(v.email) } : {}), ...(optional(v, 'password') ? { password: String(v.password) } : {}), roles: (v.roles as string[]) ?? [], active: Boolean(v.active) },
      }),
    ),
  remove: (name) => unwrap(api.DELETE('/users/{name}', { params: { path: { name } } })),
  id: (u) => u.name,
  search: (u) => `${u.name} ${u.email ?? ''} ${u.roles.join(' ')}`,
  columns: [
    { label: 'Name', render: (u) => u.name },
    { label: 'Email', render: (u) => u.email ?? '—' },
    { label: 'Roles', render: (u) => u.roles.join(', ') || '—' },
    { label: 'Active', render: (u) => (u.active ? 'yes' : 'no') },
  ],
  values: (u) => ({ name: u?.name ?? '', email: u?.email ?? '', password: '', roles: u?.roles ?? [], active: u?.active ?? true }),
  fields: (_v, u) => [
    NAME_FIELD,
    { name: 'email', label: 'Email', kind: 'text' },
    { name: 'password', label: 'Password', kind: 'secret', required: !u, isSet: Boolean(u), description: 'At least 8 characters; stored as an argon2id hash' },
    { name: 'roles', label: 'Roles', kind: 'multiselect', source: 'roles' },
    { name: 'active', label: 'Active', kind: 'switch' },
  ],
};

type Role = Schemas['Role'];

export const roles: Resource<Role> = {
  key: 'roles',
  title: 'Roles',
  singular: 'role',
  list: () => unwrap(api.GET('/roles')),
  get: (name) => unwrap(api.GET('/roles/{name}', { params: { path: { name } } })),
  create: (v) => unwrap(api.POST('/roles', { body: { name: String(v.name ?? ''), description: String(v.description ?? ''), scopes: (v.scopes as string[]) ?? [] } })),
  update: (name, v) => unwrap(api.PATCH('/roles/{name}', { params: { path: { name } }, body: { description: String(v.description ?? ''), scopes: (v.scopes as string[]) ?? [] } })),
  remove: (name) => unwrap(api.DELETE('/roles/{name}', { params: { path: { name } } })),
  id: (r) => r.name,
  search: (r) => `${r.name} ${r.description} ${r.scopes.join(' ')}`,
  columns: [
    { label: 'Name', render: (r) => r.name },
    { label: 'Scopes', render: (r) => r.scopes.join(', ') || '—' },
    { label: 'Description', render: (r) => r.description || '—' },
  ],
  values: (r) => ({ name: r?.name ?? '', description: r?.description ?? '', scopes: r?.scopes ?? [] }),
  fields: () => [
    NAME_FIELD,
    DESCRIPTION_FIELD,
    { name: 'scopes', label: 'Scopes', kind: 'multiselect', source: 'scopes' },
  ],
};

type Scope = Schemas['Scope'];

export const scopes: Resource<Scope> = {
  key: 'scopes',
  title: 'Scopes',
  singular: 'scope',
  list: () => unwrap(api.GET('/scopes')),
  get: (name) => unwrap(api.GET('/scopes/{name}', { params: { path: { name } } })),
  create: (v) => unwrap(api.POST('/scopes', { body: { name: String(v.name ?? ''), description: String(v.description ?? '') } })),
  update: (name, v) => unwrap(api.PUT('/scopes/{name}', { params: { path: { name } }, body: { description: String(v.description ?? '') } })),
  remove: (name) => unwrap(api.DELETE('/scopes/{name}', { params: { path: { name } } })),
  id: (s) => s.name,
  search: (s) => `${s.name} ${s.description}`,
  columns: [
    { label: 'Name', render: (s) => s.name },
    { label: 'Description', render: (s) => s.description || '—' },
  ],
  values: (s) => ({ name: s?.name ?? '', description: s?.description ?? '' }),
  fields: () => [
    { name: 'name', label: 'Name', kind: 'text', required: true, createOnly: true, description: 'Letters, digits, _ - . and :' },
    DESCRIPTION_FIELD,
  ],
};

type RateLimit = Schemas['RateLimit'];

function limitBody(v: Values) {
  const who = String(v.who ?? 'anyone');
  return {
    name: String(v.name ?? ''),
    priority: optionalNumber(v, 'priority') ?? 0,
    operation: optional(v, 'operation') ?? null,
    app: who === 'an app' ? (optional(v, 'app') ?? null) : null,
    user: who === 'a user' ? (optional(v, 'user') ?? null) : null,
    anonymous: who === 'anonymous callers' ? true : null,
    requests: optionalNumber(v, 'requests') ?? 0,
    window_seconds: optionalNumber(v, 'window_seconds') ?? 0,
  };
}

export const rateLimits: Resource<RateLimit> = {
  key: 'rate-limits',
  title: 'Rate limits',
  singular: 'rate limit',
  list: () => unwrap(api.GET('/rate-limits')),
  get: (name) => unwrap(api.GET('/rate-limits/{name}', { params: { path: { name } } })),
  create: (v) => unwrap(api.POST('/rate-limits', { body: limitBody(v) })),
  update: (name, v) => unwrap(api.PUT('/rate-limits/{name}', { params: { path: { name } }, body: limitBody(v) })),
  remove: (name) => unwrap(api.DELETE('/rate-limits/{name}', { params: { path: { name } } })),
  id: (r) => r.name,
  search: (r) => `${r.name} ${r.operation ?? ''} ${r.app ?? ''} ${r.user ?? ''}`,
  columns: [
    { label: 'Name', render: (r) => r.name },
    { label: 'Priority', render: (r) => r.priority },
    { label: 'Applies to', render: (r) => [r.operation && `operation ${r.operation}`, r.app && `app ${r.app}`, r.user && `user ${r.user}`, r.anonymous && 'anonymous'].filter(Boolean).join(', ') || 'everyone' },
    { label: 'Allowance', render: (r) => `${r.requests} per ${r.window_seconds} s` },
  ],
  values: (r) => ({
    name: r?.name ?? '',
    priority: r?.priority ?? 10,
    operation: r?.operation ?? '',
    who: r?.app ? 'an app' : r?.user ? 'a user' : r?.anonymous ? 'anonymous callers' : 'anyone',
    app: r?.app ?? '',
    user: r?.user ?? '',
    requests: r?.requests ?? 60,
    window_seconds: r?.window_seconds ?? 60,
  }),
  fields: (v) => [
    NAME_FIELD,
    { name: 'priority', label: 'Priority', kind: 'number', description: 'The matching rule of highest priority applies' },
    { name: 'operation', label: 'Operation', kind: 'select', source: 'operations', placeholder: 'every operation' },
    { name: 'who', label: 'Callers', kind: 'select', required: true, options: ['anyone', 'an app', 'a user', 'anonymous callers'] },
    ...(v.who === 'an app' ? [{ name: 'app', label: 'App', kind: 'select' as const, source: 'apps' as const, required: true }] : []),
    ...(v.who === 'a user' ? [{ name: 'user', label: 'User', kind: 'select' as const, source: 'users' as const, required: true }] : []),
    { name: 'requests', label: 'Requests', kind: 'number', required: true },
    { name: 'window_seconds', label: 'Per seconds', kind: 'number', required: true },
  ],
};
