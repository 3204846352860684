// The API reference, from the hosted OpenAPI document (every operation on
// this server) and the consumer API's own: a list by tag, and for each
// operation its parameters, body and answers with their schemas and
// examples, a working "try it" and the same call as code.
import { useMemo } from 'react';
import { Anchor, Badge, Code, Grid, Group, Loader, NavLink, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'wouter';
import { loadDocument, operations, type Operation, type Schema } from '../api/openapi';
import { useLoad } from '../components/hooks';
import { ProblemAlert } from '../components/ProblemAlert';
import { Markdown } from '../components/Markdown';
import { TryIt } from '../components/TryIt';
import { Snippets } from '../components/Snippets';
import { NotFound } from './NotFound';

const METHOD_COLORS: Record<string, string> = { GET: 'blue', POST: 'green', PUT: 'orange', PATCH: 'yellow', DELETE: 'red' };

export function MethodBadge({ method }: { method: string }) {
  return (
    <Badge color={METHOD_COLORS[method] ?? 'gray'} variant="filled" w={64}>
      {method}
    </Badge>
  );
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

/** A schema as JSON, with a `$ref` named. */
function SchemaView({ schema, label }: { schema: Schema; label: string }) {
  const ref = typeof schema.$ref === 'string' ? schema.$ref.split('/').pop() : null;
  return (
    <Stack gap={4}>
      <Text size="sm" fw={600}>
        {label}
        {ref && (
          <>
            {': '}
            <Code>{ref}</Code>
          </>
        )}
      </Text>
      <Code block tabIndex={0} className="pre" aria-label={label}>
        {pretty(schema)}
      </Code>
    </Stack>
  );
}

function typeOf(schema?: Schema): string {
  if (!schema) return 'string';
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').pop() ?? '';
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type as string | undefined) ?? 'any';
  const extra = [schema.format, schema.pattern && `pattern ${schema.pattern}`, schema.minimum !== undefined && `≥ ${schema.minimum}`, schema.maximum !== undefined && `≤ ${schema.maximum}`, Array.isArray(schema.enum) && `one of ${schema.enum.join(', ')}`].filter(Boolean);
  return extra.length ? `${type} (${extra.join('; ')})` : type;
}

function OperationView({ op }: { op: Operation }) {
  const schemas = op.document.components?.schemas ?? {};
  const refs = useMemo(() => {
    const names = new Set<string>();
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref' && typeof x === 'string' && x.startsWith('#/components/schemas/')) {
            const name = x.slice('#/components/schemas/'.length);
            if (!names.has(name)) {
              names.add(name);
              walk(schemas[name]);
            }
          } else walk(x);
        }
    };
    walk([op.body?.schema, op.responses.map((r) => r.schema), op.parameters.map((p) => p.schema)]);
    return [...names];
  }, [op, schemas]);
  const example = op.body?.example;
  return (
    <Stack>
      <Group gap="sm">
        <MethodBadge method={op.method} />
        <Title order={1} size="h2" className="mono" style={{ fontSize: 'var(--mantine-font-size-xl)' }}>
          {op.path}
        </Title>
      </Group>
      <Group gap="xs">
        <Text size="sm">
          Operation <Code>{op.id}</Code>
        </Text>
        {op.public ? (
          <Badge variant="filled" color="gray">
            public
          </Badge>
        ) : (
          <Badge variant="filled" color="indigo">
            {op.scopes.length ? `needs scope ${op.scopes.join(' or ')}` : 'needs a token'}
          </Badge>
        )}
        {op.deprecated && (
          <Badge variant="filled" color="orange">
            deprecated
          </Badge>
        )}
      </Group>
      {op.description && <Markdown text={op.description} />}
      {op.parameters.length > 0 && (
        <>
          <Title order={2} size="h4">
            Parameters
          </Title>
          <Table.ScrollContainer minWidth={480}>
            <Table aria-label="Parameters" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>In</Table.Th>
                  <Table.Th>Type</Table.Th>
                  <Table.Th>Required</Table.Th>
                  <Table.Th>Description</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {op.parameters.map((p) => (
                  <Table.Tr key={`${p.in}-${p.name}`}>
                    <Table.Td className="mono">{p.name}</Table.Td>
                    <Table.Td>{p.in}</Table.Td>
                    <Table.Td>{typeOf(p.schema)}</Table.Td>
                    <Table.Td>{p.required ? 'yes' : 'no'}</Table.Td>
                    <Table.Td>{p.description ?? ''}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </>
      )}
      {op.body && (
        <>
          <Title order={2} size="h4">
            Request body {op.body.required ? '(required)' : '(optional)'}
          </Title>
          {op.body.schema && <SchemaView schema={op.body.schema} label="Schema" />}
          {example !== undefined && (
            <Stack gap={4}>
              <Text size="sm" fw={600}>
                Example
              </Text>
              <Code block tabIndex={0} className="pre" aria-label="Request example">
                {pretty(example)}
              </Code>
            </Stack>
          )}
        </>
      )}
      <Title order={2} size="h4">
        Responses
      </Title>
      {op.responses.map((r) => (
        <Paper key={r.status} withBorder p="sm">
          <Stack gap="xs">
            <Text size="sm">
              <strong>{r.status}</strong> {r.description} {r.mediaType && <Code>{r.mediaType}</Code>}
            </Text>
            {r.schema && <SchemaView schema={r.schema} label={`${r.status} schema`} />}
            {r.example !== undefined && r.schema && (
              <Code block tabIndex={0} className="pre" aria-label={`${r.status} example`}>
                {pretty(r.example)}
              </Code>
            )}
          </Stack>
        </Paper>
      ))}
      {refs.length > 0 && (
        <>
          <Title order={2} size="h4">
            Schemas
          </Title>
          {refs.map((name) => schemas[name] && <SchemaView key={name} schema={schemas[name]} label={name} />)}
        </>
      )}
      <TryIt key={op.id} operation={op} />
      <Title order={2} size="h4">
        From code
      </Title>
      <Snippets
        request={{
          method: op.method,
          path: op.path,
          json: op.body ? (example ?? {}) : undefined,
          bearer: !op.public,
        }}
      />
    </Stack>
  );
}

export function Reference({ operation }: { operation?: string }) {
  const docs = useLoad(async () => {
    const [hosted, consumer] = await Promise.all([loadDocument('/system/openapi.json'), loadDocument('/system/consumer-openapi.json').catch(() => null)]);
    return [...(hosted ? operations(hosted, 'hosted') : []), ...(consumer ? operations(consumer, 'consumer') : [])];
  }, []);
  if (docs.error) return <ProblemAlert error={docs.error} />;
  if (!docs.data) return <Loader role="status" aria-label="Loading" />;
  const ops = docs.data;
  const groups = new Map<string, Operation[]>();
  for (const op of ops) {
    const key = op.api === 'consumer' ? 'Your account (consumer API)' : op.tag;
    groups.set(key, [...(groups.get(key) ?? []), op]);
  }
  const chosen = operation ? ops.find((o) => o.id === operation) : undefined;
  if (operation && !chosen) return <NotFound />;
  const list = (
    <nav aria-label="Operations">
      {[...groups.entries()].map(([group, items]) => (
        <div key={group}>
          <Text size="xs" fw={700} c="dimmed" mt="sm" mb={4} px="sm">
            {group}
          </Text>
          {items.map((o) => (
            <NavLink
              key={o.id}
              component={Link}
              href={`/reference/${encodeURIComponent(o.id)}`}
              active={o === chosen}
              label={
                <Group gap={6} wrap="nowrap">
                  <Text size="xs" fw={700} w={52}>
                    {o.method}
                  </Text>
                  <Text size="sm" className="mono" truncate>
                    {o.path}
                  </Text>
                </Group>
              }
              aria-label={`${o.method} ${o.path}`}
            />
          ))}
        </div>
      ))}
    </nav>
  );
  return (
    <Grid>
      <Grid.Col span={{ base: 12, md: 4 }}>
        <div>
          {!chosen && (
            <Stack gap="xs" mb="sm">
              <Title order={1}>API reference</Title>
              <Text size="sm">
                {ops.length} operations. Pick one to see its parameters, schemas and examples and to try it; <Anchor component={Link} href="/code">use it from code</Anchor> explains the tokens and the SDKs.
              </Text>
            </Stack>
          )}
          {list}
        </div>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 8 }}>{chosen ? <OperationView op={chosen} /> : <Text c="dimmed">Choose an operation from the list.</Text>}</Grid.Col>
    </Grid>
  );
}
