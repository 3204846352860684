import { Text } from '@mantine/core';
import { api, unwrap, type Schemas } from '../api/client';
import type { Resource, Values } from '../components/types';
import { DESCRIPTION_FIELD, NAME_FIELD, jsonText, parseJson } from './util';

type Schema = Schemas['Schema'];

const EXAMPLE = `{
  "type": "object",
  "required": ["title"],
  "properties": {
    "title": {"type": "string", "minLength": 1}
  }
}`;

function body(v: Values) {
  return { name: String(v.name ?? ''), description: String(v.description ?? ''), schema: parseJson(v, 'schema') ?? {} };
}

export const schemas: Resource<Schema> = {
  key: 'schemas',
  title: 'Schemas',
  singular: 'schema',
  intro: (
    <Text size="sm" c="dimmed">
      Named JSON Schemas (2020-12) that operations check requests and responses against and that the OpenAPI document shows.
    </Text>
  ),
  list: () => unwrap(api.GET('/schemas')),
  get: (name) => unwrap(api.GET('/schemas/{name}', { params: { path: { name } } })),
  create: (v) => unwrap(api.POST('/schemas', { body: body(v) })),
  update: (name, v) => unwrap(api.PUT('/schemas/{name}', { params: { path: { name } }, body: body(v) })),
  remove: (name) => unwrap(api.DELETE('/schemas/{name}', { params: { path: { name } } })),
  id: (s) => s.name,
  search: (s) => `${s.name} ${s.description}`,
  columns: [
    { label: 'Name', render: (s) => s.name },
    { label: 'Description', render: (s) => s.description || '—' },
    { label: 'Type', render: (s) => String((s.schema as { type?: unknown } | null)?.type ?? '—') },
  ],
  values: (s) => ({ name: s?.name ?? '', description: s?.description ?? '', schema: s ? jsonText(s.schema) : EXAMPLE }),
  fields: () => [
    NAME_FIELD,
    DESCRIPTION_FIELD,
    { name: 'schema', label: 'Schema', kind: 'json', required: true, jsonSchema: true, description: 'Checked against the JSON Schema 2020-12 meta-schema as you type' },
  ],
};
