// The MCP server's prompts: a template (MiniJinja, `{{ topic }}`) and the
// arguments agents fill it with.
import { Text } from '@mantine/core';
import { api, unwrap, type Schemas } from '../api/client';
import type { Resource, Values } from '../components/types';
import { DESCRIPTION_FIELD, NAME_FIELD, jsonText, parseJson } from './util';

type Prompt = Schemas['Prompt'];

function body(v: Values) {
  return {
    description: String(v.description ?? ''),
    arguments: (parseJson(v, 'arguments') as Prompt['arguments']) ?? [],
    template: String(v.template ?? ''),
  };
}

export const prompts: Resource<Prompt> = {
  key: 'prompts',
  title: 'Prompts',
  singular: 'prompt',
  intro: (
    <Text size="sm" c="dimmed">
      Ready-made requests AI agents find at /mcp (prompts/list): the template is filled with the agent's arguments into one user
      message.
    </Text>
  ),
  list: () => unwrap(api.GET('/prompts')),
  get: (name) => unwrap(api.GET('/prompts/{name}', { params: { path: { name } } })),
  create: (v) => unwrap(api.POST('/prompts', { body: { name: String(v.name ?? ''), ...body(v) } })),
  update: (name, v) => unwrap(api.PUT('/prompts/{name}', { params: { path: { name } }, body: body(v) })),
  remove: (name) => unwrap(api.DELETE('/prompts/{name}', { params: { path: { name } } })),
  id: (p) => p.name,
  search: (p) => `${p.name} ${p.description} ${p.template}`,
  columns: [
    { label: 'Name', render: (p) => p.name },
    { label: 'Arguments', render: (p) => p.arguments.map((a) => (a.required ? `${a.name}*` : a.name)).join(', ') || '—' },
    { label: 'Description', render: (p) => p.description || '—' },
  ],
  values: (p) => ({
    name: p?.name ?? '',
    description: p?.description ?? '',
    arguments: jsonText(p?.arguments?.length ? p.arguments : undefined),
    template: p?.template ?? '',
  }),
  fields: () => [
    NAME_FIELD,
    DESCRIPTION_FIELD,
    {
      name: 'arguments',
      label: 'Arguments',
      kind: 'json',
      description: '[{"name": "topic", "description": "What to look for", "required": true}]',
    },
    {
      name: 'template',
      label: 'Template',
      kind: 'textarea',
      required: true,
      description: 'MiniJinja: {{ topic }} is the argument topic; only declared arguments may be used',
    },
  ],
};
