// "Try it": calls an operation as a consumer would and shows the answer.
import { useState, type FormEvent } from 'react';
import { Badge, Button, Code, Group, Paper, Stack, Switch, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import type { Schemas } from '../api/client';
import { apiOrigin } from '../api/origin';
import { session } from '../auth';

interface Answer {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: string;
  ms: number;
}

export function TryIt({ operation }: { operation: Schemas['Operation'] }) {
  const [path, setPath] = useState(operation.path.replace(/\*(\w+)$/, ':$1'));
  const [query, setQuery] = useState('');
  const [body, setBody] = useState('');
  const [withToken, setWithToken] = useState(!operation.public);
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const hasBody = !['GET', 'HEAD', 'OPTIONS', 'DELETE'].includes(operation.method);

  async function send(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    const headers = new Headers();
    const token = session.accessToken();
    if (withToken && token) headers.set('Authorization', `Bearer ${token}`);
    if (hasBody && body.trim()) headers.set('Content-Type', 'application/json');
    const url = path + (query.trim() ? `?${query.trim().replace(/^\?/, '')}` : '');
    // Operations are served on the public origin, which is not the
    // console's when the admin surface has a listener of its own.
    const origin = await apiOrigin();
    const started = performance.now();
    try {
      const response = await fetch(origin + url, {
        method: operation.method,
        headers,
        body: hasBody && body.trim() ? body : undefined,
      });
      const text = await response.text();
      setAnswer({
        status: response.status,
        statusText: response.statusText,
        headers: [...response.headers.entries()],
        body: prettify(text),
        ms: performance.now() - started,
      });
    } catch (e) {
      setFailure(`the request failed: ${e instanceof Error ? e.message : String(e)}`);
      setAnswer(null);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper withBorder p="md">
      <form onSubmit={send} aria-label="Try it">
        <Stack>
          <Title order={3}>Try it</Title>
          <Group align="flex-end" wrap="wrap">
            <Badge size="lg" variant="light">
              {operation.method}
            </Badge>
            <TextInput label="Path" name="try-path" value={path} onChange={(e) => setPath(e.currentTarget.value)} style={{ flex: 2, minWidth: 200 }} />
            <TextInput
              label="Query"
              name="try-query"
              placeholder="city=Berlin"
              value={query}
              onChange={(e) => setQuery(e.currentTarget.value)}
              style={{ flex: 1, minWidth: 160 }}
            />
          </Group>
          {hasBody && (
            <Textarea label="Body (JSON)" name="try-body" autosize minRows={3} value={body} onChange={(e) => setBody(e.currentTarget.value)} />
          )}
          <Switch label="Send my access token" checked={withToken} onChange={(e) => setWithToken(e.currentTarget.checked)} />
          <Group>
            <Button type="submit" loading={busy}>
              Send
            </Button>
          </Group>
          {failure && (
            <Text c="red" role="alert">
              {failure}
            </Text>
          )}
          {answer && (
            <Stack gap="xs" data-testid="try-answer">
              <Group gap="sm">
                <Badge color={answer.status < 400 ? 'green' : 'red'} size="lg" data-testid="try-status">
                  {answer.status} {answer.statusText}
                </Badge>
                <Text size="sm" c="dimmed">
                  {answer.ms.toFixed(1)} ms
                </Text>
              </Group>
              <Table withTableBorder fz="xs" aria-label="Response headers">
                <Table.Tbody>
                  {answer.headers.map(([k, v]) => (
                    <Table.Tr key={k}>
                      <Table.Td className="mono">{k}</Table.Td>
                      <Table.Td className="mono">{v}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
              <Code block tabIndex={0} className="pre" data-testid="try-body">
                {answer.body}
              </Code>
            </Stack>
          )}
        </Stack>
      </form>
    </Paper>
  );
}

/** JSON indented for reading; anything else as it came. */
export function prettify(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
