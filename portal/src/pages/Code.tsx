// "Use it from code": how a program gets a token and calls an operation,
// as curl, Python (httpx) and TypeScript (fetch), and the typed clients
// `sluice sdk typescript|python` generates.
import { Anchor, List, Paper, Stack, Text, Title } from '@mantine/core';
import { Link } from 'wouter';
import { CodeBlock, Snippets } from '../components/Snippets';

export function Code() {
  const origin = window.location.origin;
  return (
    <Stack maw={900}>
      <Title order={1}>Use it from code</Title>
      <Text>
        Every call but the public ones carries an access token: <code>Authorization: Bearer $TOKEN</code>. Your code gets one of
        two kinds:
      </Text>
      <List>
        <List.Item>
          an <strong>app's</strong> token, traded for its client ID and secret (the OAuth 2.0 client-credentials grant, RFC 6749
          §4.4) — for servers and scripts; create an app under <Anchor component={Link} href="/apps">Apps</Anchor>;
        </List.Item>
        <List.Item>
          a <strong>personal access token</strong> from <Anchor component={Link} href="/tokens">Tokens</Anchor>, used as it is.
        </List.Item>
      </List>
      <Paper withBorder p="md">
        <Stack>
          <Title order={2} size="h4">
            1. Get a token with an app's credentials
          </Title>
          <Text size="sm">
            Set <code>CLIENT_ID</code> and <code>CLIENT_SECRET</code> in the environment. The answer's <code>access_token</code> is
            the token; <code>expires_in</code> says for how many seconds.
          </Text>
          <Snippets
            request={{
              method: 'POST',
              path: '/authorization/token',
              form: { grant_type: 'client_credentials', client_id: '$CLIENT_ID', client_secret: '$CLIENT_SECRET' },
            }}
          />
        </Stack>
      </Paper>
      <Paper withBorder p="md">
        <Stack>
          <Title order={2} size="h4">
            2. Call an operation with it
          </Title>
          <Text size="sm">
            With the token in <code>TOKEN</code>; every operation's page in the{' '}
            <Anchor component={Link} href="/reference">
              API reference
            </Anchor>{' '}
            shows its own call, body included.
          </Text>
          <Snippets request={{ method: 'GET', path: '/your/operation', bearer: true }} />
        </Stack>
      </Paper>
      <Paper withBorder p="md">
        <Stack>
          <Title order={2} size="h4">
            A typed client: the SDKs
          </Title>
          <Text size="sm">
            The <code>sluice</code> command line writes a typed client for every operation of this API, from its OpenAPI document
            (<Anchor href="/system/openapi.json">/system/openapi.json</Anchor>): for TypeScript with openapi-typescript and
            openapi-fetch, for Python with openapi-python-client.
          </Text>
          <CodeBlock label="SDK commands" code={`sluice sdk typescript -o ./my-api-client   # typed fetch client (TypeScript)\nsluice sdk python -o ./my_api_client        # httpx-based client (Python)`} />
          <Text size="sm">
            <code>-o</code> names the folder the client is written to; <code>sluice sdk --help</code> tells how the command finds
            this server (<code>{origin}</code>). Regenerate the client when the API changes: a changed operation then breaks your
            build, not your users.
          </Text>
        </Stack>
      </Paper>
    </Stack>
  );
}
