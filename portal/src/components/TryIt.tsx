// "Try it": sends one operation's request from the browser as the
// consumer's code would, with the signed-in session's token, an app's
// client credentials (traded for a token at /authorization/token) or a
// personal access token, and shows the answer.
import { useState, type FormEvent } from 'react';
import { Alert, Badge, Button, Code, Group, Paper, SegmentedControl, Stack, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import type { Operation } from '../api/openapi';
import { session, useSession } from '../auth';
import { SignInError, tokenRequest } from '../../../web-shared/session';

interface Answer {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: string;
  ms: number;
}

type Credential = 'session' | 'app' | 'token' | 'none';

function prettify(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

const asText = (value: unknown) => (value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));

export function TryIt({ operation }: { operation: Operation }) {
  const tokens = useSession();
  const pathParams = operation.parameters.filter((p) => p.in === 'path');
  const queryParams = operation.parameters.filter((p) => p.in === 'query');
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(operation.parameters.map((p) => [`${p.in}-${p.name}`, asText(p.example)])),
  );
  const [body, setBody] = useState(() => (operation.body?.example !== undefined ? JSON.stringify(operation.body.example, null, 2) : ''));
  const [credential, setCredential] = useState<Credential>(operation.public ? 'none' : tokens ? 'session' : 'app');
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [personal, setPersonal] = useState('');
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: string, value: string) => setValues((v) => ({ ...v, [key]: value }));

  async function bearer(): Promise<string | null> {
    switch (credential) {
      case 'session':
        return session.accessToken();
      case 'token':
        return personal.trim();
      case 'app': {
        const answer = await tokenRequest(
          { grant_type: 'client_credentials', client_id: clientId.trim(), client_secret: clientSecret.trim() },
          'The app\'s client ID or secret is wrong, or the app is inactive.',
        );
        return answer.access_token;
      }
      default:
        return null;
    }
  }

  async function send(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      let path = operation.path;
      for (const p of pathParams) path = path.replace(`{${p.name}}`, encodeURIComponent(values[`path-${p.name}`] ?? ''));
      const search = new URLSearchParams();
      for (const p of queryParams) {
        const v = values[`query-${p.name}`];
        if (v) search.set(p.name, v);
      }
      const url = path + (search.size ? `?${search}` : '');
      const headers = new Headers({ Accept: 'application/json' });
      const token = await bearer();
      if (token) headers.set('Authorization', `Bearer ${token}`);
      const withBody = operation.body !== undefined && body.trim() !== '';
      if (withBody) headers.set('Content-Type', 'application/json');
      const started = performance.now();
      const response = await fetch(url, { method: operation.method, headers, body: withBody ? body : undefined });
      const text = await response.text();
      setAnswer({
        status: response.status,
        statusText: response.statusText,
        headers: [...response.headers.entries()],
        body: prettify(text),
        ms: performance.now() - started,
      });
    } catch (e) {
      setFailure(e instanceof SignInError ? e.message : `The request failed: ${e instanceof Error ? e.message : String(e)}`);
      setAnswer(null);
    } finally {
      setBusy(false);
    }
  }

  const choices = [
    ...(tokens ? [{ value: 'session', label: 'My session' }] : []),
    { value: 'app', label: 'An app' },
    { value: 'token', label: 'A token' },
    { value: 'none', label: 'No token' },
  ];

  return (
    <Paper withBorder p="md">
      <form onSubmit={send} aria-label="Try it">
        <Stack>
          <Title order={2} size="h4">
            Try it
          </Title>
          {pathParams.map((p) => (
            <TextInput key={p.name} label={`${p.name} (path)`} name={`path-${p.name}`} required description={p.description} value={values[`path-${p.name}`] ?? ''} onChange={(e) => set(`path-${p.name}`, e.currentTarget.value)} />
          ))}
          {queryParams.map((p) => (
            <TextInput key={p.name} label={`${p.name} (query)`} name={`query-${p.name}`} required={p.required} description={p.description} value={values[`query-${p.name}`] ?? ''} onChange={(e) => set(`query-${p.name}`, e.currentTarget.value)} />
          ))}
          {operation.body && (
            <Textarea label="Body (JSON)" name="try-body" autosize minRows={3} maxRows={16} className="mono" value={body} onChange={(e) => setBody(e.currentTarget.value)} />
          )}
          <Stack gap={4}>
            <Text size="sm" fw={500} id="credential-label">
              Send with
            </Text>
            <SegmentedControl aria-labelledby="credential-label" data={choices} value={credential} onChange={(v) => setCredential(v as Credential)} />
          </Stack>
          {credential === 'app' && (
            <Group grow align="flex-start">
              <TextInput label="Client ID" name="client_id" required value={clientId} onChange={(e) => setClientId(e.currentTarget.value)} />
              <TextInput label="Client secret" name="client_secret" type="password" required value={clientSecret} onChange={(e) => setClientSecret(e.currentTarget.value)} />
            </Group>
          )}
          {credential === 'token' && (
            <TextInput label="Access token" name="token" type="password" required value={personal} onChange={(e) => setPersonal(e.currentTarget.value)} />
          )}
          <Group>
            <Button type="submit" loading={busy}>
              Send
            </Button>
            <Code>
              {operation.method} {operation.path}
            </Code>
          </Group>
          {failure && (
            <Alert color="red" role="alert" title="Not sent">
              {failure}
            </Alert>
          )}
          {answer && (
            <Stack gap="xs" data-testid="try-answer">
              <Group gap="sm">
                <Badge color={answer.status < 400 ? 'green' : 'red'} size="lg" data-testid="try-status">
                  {answer.status}
                </Badge>
                <Text size="sm">
                  {answer.statusText} · {Math.round(answer.ms)} ms
                </Text>
              </Group>
              <Code block tabIndex={0} className="pre" data-testid="try-response" aria-label="Response body">
                {answer.body || '(empty body)'}
              </Code>
              <Table aria-label="Response headers" fz="xs">
                <Table.Tbody>
                  {answer.headers.map(([k, v]) => (
                    <Table.Tr key={k}>
                      <Table.Th scope="row">{k}</Table.Th>
                      <Table.Td className="mono">{v}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Stack>
          )}
        </Stack>
      </form>
    </Paper>
  );
}
