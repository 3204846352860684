import { Badge, Group, Text } from '@mantine/core';
import { api, unwrap, type Schemas } from '../api/client';
import type { Resource, Values } from '../components/types';
import { TryIt } from './TryIt';
import { DESCRIPTION_FIELD, NAME_FIELD, jsonText, objectToPairs, optionalNumber, pairsToObject, parseJson } from './util';

type Operation = Schemas['Operation'];
type Input = Schemas['OperationInput'];

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/** A schema reference from the form: a stored schema's name, or inline JSON. */
function schemaRef(text: unknown): string | object | undefined {
  const t = String(text ?? '').trim();
  if (!t) return undefined;
  return t.startsWith('{') ? (JSON.parse(t) as object) : t;
}

function refMap(rows: unknown): Record<string, string | object> {
  const out: Record<string, string | object> = {};
  for (const [k, v] of Object.entries(pairsToObject(rows))) {
    const ref = schemaRef(v);
    if (ref !== undefined) out[k] = ref;
  }
  return out;
}

function input(v: Values): Input {
  return {
    name: String(v.name ?? ''),
    method: String(v.method ?? 'GET') as Input['method'],
    path: String(v.path ?? ''),
    action: String(v.action ?? ''),
    action_version: optionalNumber(v, 'action_version') ?? null,
    description: String(v.description ?? ''),
    stability: v.stability as Input['stability'],
    active: Boolean(v.active),
    public: Boolean(v.public),
    scopes: (v.scopes as string[]) ?? [],
    parameters: (parseJson(v, 'parameters') as Input['parameters']) ?? [],
    incoming: schemaRef(v.incoming),
    outgoing: refMap(v.outgoing),
    throws: refMap(v.throws),
    outgoing_validation: v.outgoing_validation as Input['outgoing_validation'],
    cors: (parseJson(v, 'cors') as Input['cors']) ?? null,
    sandbox: Boolean(v.sandbox),
    mcp: mcpExposure(v),
  };
}

/** The `mcp` field from the form: null follows the server's default. */
function mcpExposure(v: Values): Input['mcp'] {
  const mode = String(v.mcp_mode ?? 'default');
  if (mode === 'default') return null;
  const name = String(v.mcp_name ?? '').trim();
  const description = String(v.mcp_description ?? '').trim();
  return {
    enabled: mode === 'tool',
    ...(name ? { name } : {}),
    ...(description ? { description } : {}),
  };
}

export const operations: Resource<Operation> = {
  key: 'operations',
  title: 'Operations',
  singular: 'operation',
  intro: (
    <Text size="sm" c="dimmed">
      An operation maps a method and a path to an action. Changes apply at once.
    </Text>
  ),
  list: () => unwrap(api.GET('/operations')),
  get: (name) => unwrap(api.GET('/operations/{name}', { params: { path: { name } } })),
  create: (v) => unwrap(api.POST('/operations', { body: input(v) })),
  update: (name, v) => unwrap(api.PUT('/operations/{name}', { params: { path: { name } }, body: input(v) })),
  remove: (name) => unwrap(api.DELETE('/operations/{name}', { params: { path: { name } } })),
  id: (o) => o.name,
  search: (o) => `${o.name} ${o.method} ${o.path} ${o.action}`,
  columns: [
    { label: 'Name', render: (o) => o.name },
    {
      label: 'Route',
      render: (o) => (
        <Group gap={6} wrap="nowrap">
          <Badge variant="light">{o.method}</Badge>
          <code>{o.path}</code>
        </Group>
      ),
    },
    { label: 'Action', render: (o) => (o.action_version ? `${o.action} v${o.action_version}` : o.action) },
    { label: 'Access', render: (o) => (o.public ? 'public' : o.scopes?.length ? o.scopes.join(', ') : 'any token') },
    { label: 'Active', render: (o) => (o.active ? 'yes' : 'no') },
    {
      label: 'MCP tool',
      render: (o) => (o.mcp ? (o.mcp.enabled ? (o.mcp.name ?? o.name) : 'no') : 'default'),
    },
  ],
  values: (o) => ({
    name: o?.name ?? '',
    method: o?.method ?? 'GET',
    path: o?.path ?? '/',
    action: o?.action ?? '',
    action_version: o?.action_version ?? null,
    description: o?.description ?? '',
    stability: o?.stability ?? 'experimental',
    active: o?.active ?? true,
    public: o?.public ?? false,
    scopes: o?.scopes ?? [],
    parameters: jsonText(o?.parameters?.length ? o.parameters : undefined),
    incoming: typeof o?.incoming === 'string' ? o.incoming : o?.incoming ? JSON.stringify(o.incoming) : '',
    outgoing: objectToPairs(o?.outgoing),
    throws: objectToPairs(o?.throws),
    outgoing_validation: o?.outgoing_validation ?? 'off',
    cors: jsonText(o?.cors ?? undefined),
    sandbox: o?.sandbox ?? true,
    mcp_mode: o?.mcp ? (o.mcp.enabled ? 'tool' : 'hidden') : 'default',
    mcp_name: o?.mcp?.name ?? '',
    mcp_description: o?.mcp?.description ?? '',
  }),
  fields: () => [
    NAME_FIELD,
    { name: 'method', label: 'Method', kind: 'select', required: true, options: METHODS },
    { name: 'path', label: 'Path', kind: 'text', required: true, description: '/todos/:id — :name matches one segment, a last *name the rest' },
    { name: 'action', label: 'Action', kind: 'select', required: true, source: 'actions' },
    { name: 'action_version', label: 'Pinned version', kind: 'number', description: 'Empty: always the latest version' },
    { name: 'public', label: 'Public (no token needed)', kind: 'switch' },
    { name: 'scopes', label: 'Scopes', kind: 'multiselect', source: 'scopes', description: 'Any one of them lets a token call it; none: any valid token' },
    { name: 'active', label: 'Active', kind: 'switch' },
    { name: 'stability', label: 'Stability', kind: 'select', required: true, options: ['experimental', 'stable', 'deprecated', 'legacy'] },
    DESCRIPTION_FIELD,
    { name: 'parameters', label: 'Parameters', kind: 'json', description: '[{"name": "id", "in": "path", "type": "integer", "required": true}]' },
    { name: 'incoming', label: 'Request body schema', kind: 'select', source: 'schemas' },
    { name: 'outgoing', label: 'Response schemas', kind: 'pairs', keyLabel: 'status', source: 'schemas' },
    { name: 'throws', label: 'Error schemas', kind: 'pairs', keyLabel: 'status', source: 'schemas' },
    { name: 'outgoing_validation', label: 'Check responses', kind: 'select', required: true, options: ['off', 'log', 'enforce'] },
    {
      name: 'sandbox',
      label: 'Sandbox answers',
      kind: 'switch',
      description: 'Content-Security-Policy: sandbox — a page the action answers runs without scripts, in an opaque origin; off only for an operation serving a real web page',
    },
    { name: 'cors', label: 'CORS policy', kind: 'json', description: '{"origins": ["https://app.example"]}; empty: the server default' },
    {
      name: 'mcp_mode',
      label: 'MCP tool',
      kind: 'select',
      required: true,
      options: ['default', 'tool', 'hidden'],
      description: 'tool: AI agents see it at /mcp (those whose scopes reach it); hidden: never; default: SLUICE_MCP_TOOLS_BY_DEFAULT',
    },
    { name: 'mcp_name', label: 'Tool name', kind: 'text', description: 'Empty: the operation name' },
    { name: 'mcp_description', label: 'Tool description', kind: 'text', description: 'What the tool does, for the model; empty: the description above' },
  ],
  Extras: ({ item }) => <TryIt operation={item} />,
};
