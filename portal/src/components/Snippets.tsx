// "Use it from code": one request as curl, Python (httpx) and TypeScript
// (fetch), each with a copy button. The values stay placeholders the
// reader fills in (`$TOKEN`, `$CLIENT_SECRET`): a page never prints a
// secret into a snippet.
import { Code, CopyButton, Button, Stack, Tabs } from '@mantine/core';

/** A request to show as code. */
export interface SnippetRequest {
  method: string;
  /** The path on this server, query included. */
  path: string;
  /** A JSON body. */
  json?: unknown;
  /** A form body (application/x-www-form-urlencoded). */
  form?: Record<string, string>;
  /** Send `Authorization: Bearer $TOKEN`. */
  bearer?: boolean;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The request as a curl command line. */
export function curl(r: SnippetRequest, origin: string): string {
  const lines = [`curl -X ${r.method} ${q(origin + r.path)}`];
  if (r.bearer) lines.push(`-H "Authorization: Bearer $TOKEN"`);
  if (r.json !== undefined) lines.push(`-H 'Content-Type: application/json'`, `-d ${q(JSON.stringify(r.json))}`);
  for (const [k, v] of Object.entries(r.form ?? {})) lines.push(v.startsWith('$') ? `--data-urlencode "${k}=${v}"` : `--data-urlencode ${q(`${k}=${v}`)}`);
  return lines.join(' \\\n  ');
}

const py = (v: string) => (v.startsWith('$') ? `os.environ["${v.slice(1)}"]` : JSON.stringify(v));

/** The request with Python's httpx. */
export function python(r: SnippetRequest, origin: string): string {
  const args = [JSON.stringify(origin + r.path)];
  if (r.bearer) args.push('headers={"Authorization": f"Bearer {os.environ[\'TOKEN\']}"}');
  if (r.json !== undefined) args.push(`json=${JSON.stringify(r.json, null, 4).replace(/\btrue\b/g, 'True').replace(/\bfalse\b/g, 'False').replace(/\bnull\b/g, 'None')}`);
  if (r.form) args.push(`data={${Object.entries(r.form).map(([k, v]) => `${JSON.stringify(k)}: ${py(v)}`).join(', ')}}`);
  return [
    'import os',
    'import httpx',
    '',
    `response = httpx.request(${JSON.stringify(r.method)}, ${args.join(', ')})`,
    'response.raise_for_status()',
    'print(response.json())',
  ].join('\n');
}

const ts = (v: string) => (v.startsWith('$') ? `process.env.${v.slice(1)}!` : JSON.stringify(v));

/** The request with TypeScript's fetch. */
export function typescript(r: SnippetRequest, origin: string): string {
  const headers: string[] = [];
  if (r.bearer) headers.push('Authorization: `Bearer ${process.env.TOKEN}`');
  let body = '';
  if (r.json !== undefined) {
    headers.push("'Content-Type': 'application/json'");
    body = `\n  body: JSON.stringify(${JSON.stringify(r.json)}),`;
  }
  if (r.form) body = `\n  body: new URLSearchParams({ ${Object.entries(r.form).map(([k, v]) => `${k}: ${ts(v)}`).join(', ')} }),`;
  return [
    `const response = await fetch(${JSON.stringify(origin + r.path)}, {`,
    `  method: ${JSON.stringify(r.method)},${headers.length ? `\n  headers: { ${headers.join(', ')} },` : ''}${body}`,
    '});',
    'if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);',
    'console.log(await response.json());',
  ].join('\n');
}

/** One block of code with a copy button. */
export function CodeBlock({ code, label }: { code: string; label: string }) {
  return (
    <Stack gap={4}>
      <Code block tabIndex={0} className="pre" aria-label={label}>
        {code}
      </Code>
      <CopyButton value={code}>
        {({ copied, copy }) => (
          <Button size="xs" variant="default" onClick={copy} style={{ alignSelf: 'flex-start' }}>
            {copied ? 'Copied' : `Copy ${label}`}
          </Button>
        )}
      </CopyButton>
    </Stack>
  );
}

/** The request in the three languages, as tabs. */
export function Snippets({ request }: { request: SnippetRequest }) {
  const origin = window.location.origin;
  return (
    <Tabs defaultValue="curl" keepMounted={false}>
      <Tabs.List>
        <Tabs.Tab value="curl">curl</Tabs.Tab>
        <Tabs.Tab value="python">Python (httpx)</Tabs.Tab>
        <Tabs.Tab value="typescript">TypeScript (fetch)</Tabs.Tab>
      </Tabs.List>
      <Tabs.Panel value="curl" pt="xs">
        <CodeBlock code={curl(request, origin)} label="curl command" />
      </Tabs.Panel>
      <Tabs.Panel value="python" pt="xs">
        <CodeBlock code={python(request, origin)} label="Python code" />
      </Tabs.Panel>
      <Tabs.Panel value="typescript" pt="xs">
        <CodeBlock code={typescript(request, origin)} label="TypeScript code" />
      </Tabs.Panel>
    </Tabs>
  );
}
