import { useState, type FormEvent } from 'react';
import { Badge, Button, Code, Group, Paper, Stack, Table, Text, TextInput, Textarea, Title, Select } from '@mantine/core';
import { api, unwrap, type Schemas } from '../api/client';
import type { paths } from '../api/admin';
import { ProblemError } from '../api/problem';
import type { Field, Resource, Values } from '../components/types';
import { UploadField, uploadComponent } from '../components/Upload';
import { ProblemAlert } from '../components/ProblemAlert';
import { useAction } from '../components/useAction';
import { useLoad } from '../components/useLoad';
import { DESCRIPTION_FIELD, bytes, jsonText, optional, optionalNumber, parseJson, whenText } from './util';
import { prettify } from './TryIt';

type Action = Schemas['Action'];

const BUILTINS = ['sql-table', 'sql-query', 'http-processor', 'static-response', 'redirect'];
const UPLOAD = 'upload a component';

function limits(v: Values) {
  const out: { fuel?: number; memory_bytes?: number; timeout_ms?: number } = {};
  for (const k of ['fuel', 'memory_bytes', 'timeout_ms'] as const) {
    const n = optionalNumber(v, k);
    if (n !== undefined) out[k] = n;
  }
  return out;
}

async function create(v: Values) {
  const name = String(v.name ?? '');
  if (v.source === UPLOAD) {
    const file = v.wasm as File | undefined;
    if (!file) {
      throw new ProblemError({ title: 'No component', detail: 'choose a .wasm file to upload', errors: [{ pointer: '/wasm', message: 'choose a .wasm file' }] });
    }
    await uploadComponent(name, file);
    // The rest of the form applies to the new action.
    return unwrap(
      api.PATCH('/actions/{name}', {
        params: { path: { name } },
        body: { description: String(v.description ?? ''), connections: (v.connections as string[]) ?? [], config: (parseJson(v, 'config') as Record<string, unknown>) ?? {}, limits: limits(v) },
      }),
    );
  }
  return unwrap(
    api.POST('/actions', {
      body: {
        name,
        builtin: String(v.source),
        config: (parseJson(v, 'config') as Record<string, unknown>) ?? {},
        connections: (v.connections as string[]) ?? [],
        description: optional(v, 'description') ?? '',
        limits: limits(v),
      },
    }),
  );
}

export const actions: Resource<Action> = {
  key: 'actions',
  title: 'Actions',
  singular: 'action',
  intro: (
    <Text size="sm" c="dimmed">
      An action is a WebAssembly component (or a built-in with a config) that runs in a fresh sandbox per request.
    </Text>
  ),
  list: () => unwrap(api.GET('/actions')),
  get: (name) => unwrap(api.GET('/actions/{name}', { params: { path: { name } } })),
  create,
  update: (name, v) =>
    unwrap(
      api.PATCH('/actions/{name}', {
        params: { path: { name } },
        body: {
          description: String(v.description ?? ''),
          limits: limits(v),
          config: (parseJson(v, 'config') as Record<string, unknown>) ?? {},
          connections: (v.connections as string[]) ?? [],
        },
      }),
    ),
  remove: (name) => unwrap(api.DELETE('/actions/{name}', { params: { path: { name } } })),
  id: (a) => a.name,
  readOnly: (a) => a.read_only === true,
  search: (a) => `${a.name} ${a.description} ${a.builtin ?? ''}`,
  columns: [
    { label: 'Name', render: (a) => a.name },
    { label: 'Kind', render: (a) => (a.builtin ? <Badge variant="light">{a.builtin}</Badge> : 'component') },
    { label: 'Version', render: (a) => (a.latest_version ? `v${a.latest_version.version} · ${bytes(a.latest_version.size_bytes)}` : '—') },
    { label: 'Operations', render: (a) => a.operations.join(', ') || '—' },
  ],
  values: (a) => ({
    name: a?.name ?? '',
    source: UPLOAD,
    description: a?.description ?? '',
    fuel: a?.limits.fuel ?? null,
    memory_bytes: a?.limits.memory_bytes ?? null,
    timeout_ms: a?.limits.timeout_ms ?? null,
    config: jsonText(a?.config ?? {}),
    connections: a?.connections ?? [],
  }),
  fields: (v, a) => {
    const fields: Field[] = [];
    if (!a) {
      fields.push(
        { name: 'name', label: 'Name', kind: 'text', required: true },
        { name: 'source', label: 'Made from', kind: 'select', required: true, options: [UPLOAD, ...BUILTINS] },
      );
      if (v.source === UPLOAD) fields.push({ name: 'wasm', label: 'Component', kind: 'file', description: 'A .wasm component built against the sluice:action world' });
    }
    fields.push(
      DESCRIPTION_FIELD,
      { name: 'connections', label: 'Granted connections', kind: 'multiselect', source: 'connections' },
      { name: 'config', label: 'Config', kind: 'json', description: 'Given to every invocation as context.config' },
      { name: 'fuel', label: 'Fuel', kind: 'number', description: 'Instructions per request (default 500 000 000)' },
      { name: 'memory_bytes', label: 'Memory, bytes', kind: 'number', description: 'Linear memory ceiling (default 64 MiB)' },
      { name: 'timeout_ms', label: 'Timeout, ms', kind: 'number', description: 'Wall-clock limit (default 5 000)' },
    );
    return fields;
  },
  Extras: ({ item, reload }) => (
    <>
      {!item.read_only && !item.builtin && <NewVersion name={item.name} onDone={reload} />}
      <Versions name={item.name} latest={item.latest_version?.version} />
      <Execute name={item.name} />
    </>
  ),
};

function NewVersion({ name, onDone }: { name: string; onDone: () => void }) {
  const [file, setFile] = useState<File | undefined>();
  const { busy, problem, run } = useAction();
  const [done, setDone] = useState<string | null>(null);
  const upload = () =>
    run(async () => {
      if (!file) return;
      const stored = await uploadComponent(name, file);
      setDone(stored.created ? `Uploaded: version ${stored.version}.` : `The same bytes as version ${stored.version}: nothing changed.`);
      setFile(undefined);
      onDone();
    });
  return (
    <Paper withBorder p="md">
      <Stack>
        <Title order={3}>Upload a new version</Title>
        {problem && <ProblemAlert error={problem} />}
        {done && (
          <Text c="green" role="status">
            {done}
          </Text>
        )}
        <UploadField label="Component" file={file} onChange={setFile} disabled={busy} />
        <Group>
          <Button onClick={() => void upload()} loading={busy} disabled={!file}>
            Upload
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

function Versions({ name, latest }: { name: string; latest?: number }) {
  const { data, error } = useLoad(() => unwrap(api.GET('/actions/{name}/versions', { params: { path: { name } } })), [name, latest]);
  return (
    <Paper withBorder p="md">
      <Stack>
        <Title order={3}>Versions</Title>
        {error && <ProblemAlert error={error} />}
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label="Versions">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Version</Table.Th>
                <Table.Th>SHA-256</Table.Th>
                <Table.Th>Size</Table.Th>
                <Table.Th>Made with</Table.Th>
                <Table.Th>Uploaded</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(data ?? [])
                .slice()
                .reverse()
                .map((v) => (
                  <Table.Tr key={v.version}>
                    <Table.Td>v{v.version}</Table.Td>
                    <Table.Td className="mono">{v.sha256}</Table.Td>
                    <Table.Td>{bytes(v.size_bytes)}</Table.Td>
                    <Table.Td>{v.producers.filter((p) => p.field === 'language').map((p) => p.name).join(', ') || '—'}</Table.Td>
                    <Table.Td>{whenText(v.created_at)}</Table.Td>
                  </Table.Tr>
                ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Stack>
    </Paper>
  );
}

type ExecuteAnswer = Awaited<ReturnType<typeof execute>>;

type ExecuteBody = paths['/actions/{name}/execute']['post']['requestBody']['content']['application/json'];

function execute(name: string, body: ExecuteBody) {
  return unwrap(api.POST('/actions/{name}/execute', { params: { path: { name } }, body }));
}

function Execute({ name }: { name: string }) {
  const [method, setMethod] = useState('GET');
  const [path, setPath] = useState('/');
  const [params, setParams] = useState('');
  const [query, setQuery] = useState('');
  const [body, setBody] = useState('');
  const [answer, setAnswer] = useState<ExecuteAnswer | null>(null);
  const { busy, problem, run: call } = useAction();

  function run(event: FormEvent) {
    event.preventDefault();
    void call(async () => {
      const parsedParams = params.trim() ? (parseJson({ params }, 'params') as Record<string, string>) : {};
      const pairs = [...new URLSearchParams(query.trim().replace(/^\?/, '')).entries()];
      setAnswer(
        await execute(name, {
          method,
          path,
          params: parsedParams,
          query: pairs,
          headers: body.trim() ? [['content-type', 'application/json'] as [string, string]] : [],
          body: body.trim() ? body : undefined,
        }),
      );
    });
  }

  return (
    <Paper withBorder p="md">
      <form onSubmit={run} aria-label="Execute">
        <Stack>
          <Title order={3}>Execute</Title>
          <Text size="sm" c="dimmed">
            Runs the action on a test request, with its grants and config, without an operation.
          </Text>
          <Group align="flex-end" wrap="wrap">
            <Select label="Method" data={['GET', 'POST', 'PUT', 'PATCH', 'DELETE']} value={method} onChange={(v) => setMethod(v ?? 'GET')} w={110} allowDeselect={false} />
            <TextInput label="Path" name="execute-path" value={path} onChange={(e) => setPath(e.currentTarget.value)} style={{ flex: 1, minWidth: 160 }} />
            <TextInput label="Query" name="execute-query" placeholder="city=Berlin" value={query} onChange={(e) => setQuery(e.currentTarget.value)} style={{ flex: 1, minWidth: 160 }} />
          </Group>
          <TextInput label="Path parameters (JSON)" name="execute-params" placeholder='{"name": "world"}' value={params} onChange={(e) => setParams(e.currentTarget.value)} />
          <Textarea label="Body" name="execute-body" autosize minRows={2} value={body} onChange={(e) => setBody(e.currentTarget.value)} />
          <Group>
            <Button type="submit" loading={busy}>
              Execute
            </Button>
          </Group>
          {problem && <ProblemAlert error={problem} />}
          {answer && (
            <Stack gap="xs" data-testid="execute-answer">
              <Group gap="sm">
                <Badge size="lg" color={answer.status < 400 ? 'green' : 'red'} data-testid="execute-status">
                  {answer.status}
                </Badge>
                <Text size="sm" data-testid="execute-fuel">
                  fuel used: {answer.fuel_used?.toLocaleString('en-US') ?? '—'}
                </Text>
                <Text size="sm" c="dimmed">
                  {answer.duration_ms !== null && answer.duration_ms !== undefined ? `${answer.duration_ms.toFixed(2)} ms` : ''} · version {answer.version}
                </Text>
              </Group>
              <Code block tabIndex={0} className="pre" data-testid="execute-body">
                {answer.body_encoding === 'utf-8' ? prettify(answer.body) : `(base64) ${answer.body}`}
              </Code>
              <Title order={4}>Logs</Title>
              {answer.logs.length === 0 ? (
                <Text size="sm" c="dimmed">
                  The action logged nothing.
                </Text>
              ) : (
                <Code block tabIndex={0} className="pre" data-testid="execute-logs">
                  {answer.logs.map((l) => `${l.level.padEnd(6)} ${l.message}`).join('\n')}
                  {answer.logs_dropped ? `\n… ${answer.logs_dropped} more not kept` : ''}
                </Code>
              )}
            </Stack>
          )}
        </Stack>
      </form>
    </Paper>
  );
}
