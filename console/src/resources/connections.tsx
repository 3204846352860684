import { useState } from 'react';
import { Alert, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { api, unwrap, type Schemas } from '../api/client';
import { asProblem } from '../api/problem';
import type { Field, Resource, Values } from '../components/types';
import { NAME_FIELD, jsonText, objectToPairs, optional, optionalNumber, pairsToObject, parseJson } from './util';

type Connection = Schemas['Connection'];
type Config = Record<string, unknown>;

/** The fields of each class, as `<field>` in the form and in `config`. */
const CLASS_FIELDS: Record<string, Field[]> = {
  sql: [
    { name: 'driver', label: 'Driver', kind: 'select', required: true, options: ['sqlite', 'postgres', 'mysql'] },
    { name: 'url', label: 'URL', kind: 'text', description: 'postgres://host/db, mysql://host/db — or the fields below' },
    { name: 'path', label: 'File (SQLite)', kind: 'text', description: 'Relative to the data directory' },
    { name: 'host', label: 'Host', kind: 'text' },
    { name: 'port', label: 'Port', kind: 'number' },
    { name: 'user', label: 'User', kind: 'text' },
    { name: 'password', label: 'Password', kind: 'secret' },
    { name: 'database', label: 'Database', kind: 'text' },
    { name: 'tls_mode', label: 'TLS', kind: 'select', options: ['disable', 'prefer', 'require'] },
    { name: 'pool_size', label: 'Pool size', kind: 'number' },
    { name: 'statement_timeout_ms', label: 'Statement timeout, ms', kind: 'number' },
  ],
  http: [
    { name: 'base_url', label: 'Base URL', kind: 'text', required: true, description: 'Guests reach only paths under it' },
    { name: 'headers', label: 'Headers', kind: 'pairs', keyLabel: 'header' },
    { name: 'auth_type', label: 'Authentication', kind: 'select', required: true, options: ['none', 'bearer', 'basic', 'api_key', 'oauth2_authorization_code', 'oauth2_client_credentials'] },
    { name: 'timeout_ms', label: 'Timeout, ms', kind: 'number' },
    { name: 'max_response_bytes', label: 'Largest response, bytes', kind: 'number' },
    { name: 'max_redirects', label: 'Redirects followed', kind: 'number' },
  ],
  smtp: [
    { name: 'host', label: 'Host', kind: 'text', required: true },
    { name: 'port', label: 'Port', kind: 'number' },
    { name: 'tls', label: 'TLS', kind: 'select', required: true, options: ['none', 'starttls', 'tls'] },
    { name: 'username', label: 'User name', kind: 'text' },
    { name: 'password', label: 'Password', kind: 'secret' },
    { name: 'from', label: 'From', kind: 'text', required: true, placeholder: 'Sluice <noreply@example.com>' },
    { name: 'timeout_ms', label: 'Timeout, ms', kind: 'number' },
  ],
  files: [
    { name: 'root', label: 'Root directory', kind: 'text', required: true, description: 'An absolute path on the server; guests see only what is under it' },
    { name: 'read_only', label: 'Read-only', kind: 'switch', description: 'Refuse write and delete' },
    { name: 'max_file_bytes', label: 'Largest file, bytes', kind: 'number' },
    { name: 'extensions', label: 'Allowed extensions', kind: 'text', placeholder: 'csv, json', description: 'Comma-separated, without the dot; empty: any' },
  ],
  command: [
    { name: 'program', label: 'Program', kind: 'text', required: true, description: 'An absolute path; no shell, no PATH lookup' },
    { name: 'args', label: 'Argument template', kind: 'json', description: '["--city", "{city}"]: fixed strings and {slot} placeholders' },
    { name: 'slots', label: 'Slot patterns', kind: 'pairs', keyLabel: 'slot', description: 'A regular expression each value must match in full' },
    { name: 'env', label: 'Environment', kind: 'pairs', keyLabel: 'variable', description: 'Values are secrets: empty keeps the stored value' },
    { name: 'cwd', label: 'Working directory', kind: 'text' },
    { name: 'timeout_ms', label: 'Timeout, ms', kind: 'number' },
    { name: 'max_output_bytes', label: 'Largest output, bytes', kind: 'number' },
  ],
  kv: [
    { name: 'backend', label: 'Backend', kind: 'select', required: true, options: ['memory', 'redis'] },
    { name: 'url', label: 'Redis URL', kind: 'text', placeholder: 'redis://127.0.0.1:6379' },
    { name: 'ttl_seconds', label: 'Default TTL, s', kind: 'number' },
    { name: 'namespace', label: 'Namespace', kind: 'select', options: ['shared', 'action'] },
    { name: 'max_bytes', label: 'Store size, bytes', kind: 'number' },
    { name: 'max_value_bytes', label: 'Largest value, bytes', kind: 'number' },
    { name: 'timeout_ms', label: 'Timeout, ms', kind: 'number' },
  ],
};

const AUTH_FIELDS: Record<string, Field[]> = {
  none: [],
  bearer: [{ name: 'auth_secret', label: 'Token', kind: 'secret' }],
  basic: [
    { name: 'auth_username', label: 'User name', kind: 'text', required: true },
    { name: 'auth_secret', label: 'Password', kind: 'secret' },
  ],
  api_key: [
    { name: 'auth_in', label: 'Key goes in', kind: 'select', required: true, options: ['query', 'header'] },
    { name: 'auth_name', label: 'Parameter or header name', kind: 'text', required: true, placeholder: 'appid' },
    { name: 'auth_secret', label: 'Key', kind: 'secret' },
  ],
  oauth2_authorization_code: [
    { name: 'auth_authorize_url', label: 'Authorization endpoint', kind: 'text', required: true },
    { name: 'auth_token_url', label: 'Token endpoint', kind: 'text', required: true },
    { name: 'auth_client_id', label: 'Client id', kind: 'text', required: true },
    { name: 'auth_secret', label: 'Client secret', kind: 'secret' },
    { name: 'auth_scopes', label: 'Scopes', kind: 'text', placeholder: 'calendar.read, profile', description: 'Comma-separated' },
  ],
  oauth2_client_credentials: [
    { name: 'auth_token_url', label: 'Token endpoint', kind: 'text', required: true },
    { name: 'auth_client_id', label: 'Client id', kind: 'text', required: true },
    { name: 'auth_secret', label: 'Client secret', kind: 'secret' },
    { name: 'auth_scopes', label: 'Scopes', kind: 'text', description: 'Comma-separated' },
  ],
};

const SECRET_OF: Record<string, string> = {
  bearer: 'token',
  basic: 'password',
  api_key: 'value',
  oauth2_authorization_code: 'client_secret',
  oauth2_client_credentials: 'client_secret',
};

const list = (text: unknown) =>
  String(text ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);

/** The config the form describes; empty fields are left out (defaults, or the stored secret). */
function config(v: Values, stored?: Connection): Config {
  const cls = String(v.class);
  const out: Config = {};
  for (const f of CLASS_FIELDS[cls] ?? []) {
    if (cls === 'command' && f.name === 'env') {
      // Write-only values: an empty one keeps what is stored, a row taken
      // away removes the variable (JSON merge patch: null).
      const env: Record<string, string | null> = pairsToObject(v.env);
      for (const [k, value] of Object.entries(env)) if (!value) delete env[k];
      for (const k of ((stored?.config.env_keys as string[] | undefined) ?? [])) {
        if (!(v.env as [string, string][]).some(([key]) => key === k)) env[k] = null;
      }
      out.env = env;
    } else if (f.name === 'extensions') {
      const extensions = list(v.extensions).map((e) => e.replace(/^\./, ''));
      if (extensions.length) out.extensions = extensions;
    } else if (f.kind === 'json') {
      const parsed = parseJson(v, f.name);
      if (parsed !== undefined) out[f.name] = parsed;
    } else if (f.kind === 'switch') {
      out[f.name] = Boolean(v[f.name]);
    } else if (f.kind === 'number') {
      const n = optionalNumber(v, f.name);
      if (n !== undefined) out[f.name] = n;
    } else if (f.kind === 'pairs') {
      out[f.name] = pairsToObject(v[f.name]);
    } else if (f.name !== 'auth_type') {
      const s = optional(v, f.name);
      if (s !== undefined) out[f.name] = s;
    }
  }
  if (cls === 'http') {
    const type = String(v.auth_type ?? 'none');
    const auth: Config = { type };
    if (type === 'basic') auth.username = String(v.auth_username ?? '');
    if (type === 'api_key') {
      auth.in = v.auth_in ?? 'query';
      auth.name = String(v.auth_name ?? '');
    }
    if (type.startsWith('oauth2_')) {
      if (type === 'oauth2_authorization_code') auth.authorize_url = String(v.auth_authorize_url ?? '');
      auth.token_url = String(v.auth_token_url ?? '');
      auth.client_id = String(v.auth_client_id ?? '');
      auth.scopes = list(v.auth_scopes);
    }
    const secret = optional(v, 'auth_secret');
    if (secret !== undefined && SECRET_OF[type]) auth[SECRET_OF[type]] = secret;
    out.auth = auth;
  }
  return out;
}

/** Server errors point into /config/<field>; the form's fields are named <field>. */
async function withConfigPointers<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (e) {
    const problem = asProblem(e);
    for (const err of problem.problem.errors ?? []) err.pointer = err.pointer.replace(/^\/config\/auth\/(\w+)/, '/auth_$1').replace(/^\/config/, '');
    throw problem;
  }
}

export const connections: Resource<Connection> = {
  key: 'connections',
  title: 'Connections',
  singular: 'connection',
  intro: (
    <Text size="sm" c="dimmed">
      Databases, HTTP APIs, mail servers, key-value stores, host directories and command-line tools that granted actions may use. Secrets are stored sealed and never shown again.
    </Text>
  ),
  list: () => unwrap(api.GET('/connections')),
  get: (name) => unwrap(api.GET('/connections/{name}', { params: { path: { name } } })),
  create: (v) =>
    withConfigPointers(
      unwrap(
        api.POST('/connections', {
          params: { query: { skip_test: Boolean(v.skip_test) } },
          body: { name: String(v.name ?? ''), class: v.class as Connection['class'], config: config(v) },
        }),
      ),
    ),
  update: (name, v, stored) =>
    withConfigPointers(
      unwrap(
        api.PATCH('/connections/{name}', {
          params: { path: { name }, query: { skip_test: Boolean(v.skip_test) } },
          body: { config: config(v, stored) },
        }),
      ),
    ),
  remove: (name) => unwrap(api.DELETE('/connections/{name}', { params: { path: { name } } })),
  id: (c) => c.name,
  search: (c) => `${c.name} ${c.class} ${JSON.stringify(c.config)}`,
  columns: [
    { label: 'Name', render: (c) => c.name },
    { label: 'Class', render: (c) => c.class },
    { label: 'Where', render: (c) => String(c.config.base_url ?? c.config.host ?? c.config.path ?? c.config.url ?? c.config.root ?? c.config.program ?? c.config.backend ?? '—') },
    { label: 'Granted to', render: (c) => c.granted_to.join(', ') || '—' },
  ],
  values: (c) => {
    const cfg = (c?.config ?? {}) as Config;
    const auth = (cfg.auth ?? {}) as Config;
    const v: Values = { name: c?.name ?? '', class: c?.class ?? 'http', skip_test: false };
    const empty = (f: Field) => (f.kind === 'pairs' ? [] : f.kind === 'number' ? null : f.kind === 'switch' ? false : '');
    for (const f of Object.values(CLASS_FIELDS).flat()) v[f.name] ??= empty(f);
    for (const f of c ? CLASS_FIELDS[c.class] : []) {
      if (f.name === 'env') v.env = ((cfg.env_keys as string[] | undefined) ?? []).map((k) => [k, '']);
      else if (f.name === 'extensions') v.extensions = ((cfg.extensions as string[] | undefined) ?? []).join(', ');
      else if (f.kind === 'json') v[f.name] = jsonText(cfg[f.name]);
      else if (f.kind === 'pairs') v[f.name] = objectToPairs(cfg[f.name]);
      else if (f.kind !== 'secret') v[f.name] = cfg[f.name] ?? empty(f);
    }
    if (!c) Object.assign(v, { driver: 'sqlite', tls: 'starttls', backend: 'memory', read_only: true, args: '[]' });
    v.auth_type = auth.type ?? 'none';
    v.auth_username = auth.username ?? '';
    v.auth_in = auth.in ?? 'query';
    v.auth_name = auth.name ?? '';
    v.auth_secret = '';
    v.auth_authorize_url = auth.authorize_url ?? '';
    v.auth_token_url = auth.token_url ?? '';
    v.auth_client_id = auth.client_id ?? '';
    v.auth_scopes = ((auth.scopes as string[] | undefined) ?? []).join(', ');
    return v;
  },
  fields: (v, c) => {
    const cls = String(v.class ?? 'http');
    const cfg = (c?.config ?? {}) as Config;
    const set = (name: string) => (name === 'auth_secret' ? ((cfg.auth as Config | undefined)?.secret_set as boolean) : (cfg[`${name}_set`] as boolean)) ?? false;
    const fields: Field[] = [
      NAME_FIELD,
      { name: 'class', label: 'Class', kind: 'select', required: true, createOnly: true, options: ['sql', 'http', 'smtp', 'kv', 'files', 'command'] },
    ];
    for (const f of CLASS_FIELDS[cls] ?? []) {
      fields.push(f.kind === 'secret' ? { ...f, isSet: set(f.name) } : f);
      if (f.name === 'auth_type') for (const a of AUTH_FIELDS[String(v.auth_type ?? 'none')] ?? []) fields.push(a.kind === 'secret' ? { ...a, isSet: set(a.name) } : a);
    }
    fields.push({ name: 'skip_test', label: 'Save without testing the connection', kind: 'switch' });
    return fields;
  },
  Extras: ({ item }) => (
    <>
      {item.authorization && <Authorization connection={item} />}
      <TestConnection name={item.name} />
    </>
  ),
};

function TestConnection({ name }: { name: string }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  async function test() {
    setBusy(true);
    try {
      const r = await unwrap(api.POST('/connections/{name}/test', { params: { path: { name } } }));
      setResult({ ok: r.ok, text: r.ok ? `Reachable (${r.duration_ms.toFixed(0)} ms).` : `Not reachable: ${r.error ?? 'unknown error'}` });
    } catch (e) {
      setResult({ ok: false, text: asProblem(e).message });
    } finally {
      setBusy(false);
    }
  }
  return (
    <Paper withBorder p="md">
      <Stack>
        <Title order={3}>Test</Title>
        <Group>
          <Button variant="light" onClick={() => void test()} loading={busy}>
            Test connection
          </Button>
        </Group>
        {result && (
          <Alert color={result.ok ? 'green' : 'red'} role="status" data-testid="connection-test">
            {result.text}
          </Alert>
        )}
      </Stack>
    </Paper>
  );
}

const STATUS_TEXT: Record<string, string> = {
  authorized: 'Authorized',
  not_authorized: 'Not authorized yet',
  needs_authorization: 'Needs authorization again',
};

/** An OAuth2 connection's state, and the button that (re)authorizes it. */
function Authorization({ connection }: { connection: Connection }) {
  const auth = connection.authorization!;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const canAuthorize = (connection.config.auth as Config | undefined)?.type === 'oauth2_authorization_code';
  async function authorize() {
    setBusy(true);
    setError(null);
    try {
      const answer = await unwrap(
        api.GET('/connections/{name}/authorize', {
          params: { path: { name: connection.name } },
          headers: { Accept: 'application/json' },
        }),
      );
      window.location.assign(answer.authorize_url);
    } catch (e) {
      setError(asProblem(e).message);
      setBusy(false);
    }
  }
  return (
    <Paper withBorder p="md">
      <Stack>
        <Title order={3}>OAuth2</Title>
        <Alert color={auth.status === 'authorized' ? 'green' : 'yellow'} data-testid="oauth2-status">
          {STATUS_TEXT[auth.status] ?? auth.status}
          {auth.expires_at ? `; the access token is valid until ${new Date(auth.expires_at).toLocaleString()}` : ''}
          {auth.error ? ` (${auth.error})` : ''}
        </Alert>
        {canAuthorize && (
          <Group>
            <Button onClick={() => void authorize()} loading={busy}>
              {auth.status === 'authorized' ? 'Authorize again' : 'Authorize'}
            </Button>
            <Text size="sm" c="dimmed">
              Opens the provider; it sends you back here when done.
            </Text>
          </Group>
        )}
        {error && (
          <Text c="red" role="alert">
            {error}
          </Text>
        )}
      </Stack>
    </Paper>
  );
}
