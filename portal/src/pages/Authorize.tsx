// The sign-in and consent page of the authorization-code grant
// (/authorization/authorize sends the browser here with its query): it
// asks the server what the app wants, signs the user in, shows the app and
// the scopes, and sends the browser back to the app with a code (Allow) or
// with access_denied (Deny). A consent given before for these scopes goes
// on without asking.
import { useEffect, useState } from 'react';
import { Alert, Button, Group, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { callJson } from '../../../web-shared/call';
import { ProblemAlert } from '../components/ProblemAlert';
import { ScopeList } from '../components/ScopeList';
import { useAction, useLoad } from '../components/hooks';
import { session, useSession } from '../auth';
import type { PortalInfo } from '../api/types';
import { SignIn } from './SignIn';

interface RequestView {
  client_id: string;
  app: string;
  description: string;
  redirect_uri: string;
  scopes: { name: string; description: string }[];
  consented: boolean;
  unverified: boolean;
  reauthenticate: boolean;
}

interface Next {
  redirect_to: string;
}

const isNext = (answer: RequestView | Next): answer is Next => 'redirect_to' in answer;

export function Authorize({ info }: { info: PortalInfo }) {
  const tokens = useSession();
  const query = window.location.search;
  const request = useLoad(
    () => callJson<RequestView | Next>('GET', `/authorization/authorize/request${query}`, { token: tokens?.access_token, onUnauthorized: () => session.expired() }),
    [tokens?.access_token],
  );
  const { busy, problem, run } = useAction();
  const [leaving, setLeaving] = useState(false);
  const decide = (decision: 'allow' | 'deny') =>
    run(async () => {
      const next = await callJson<Next>('POST', '/authorization/authorize', { body: { query, decision }, token: session.accessToken() });
      setLeaving(true);
      window.location.assign(next.redirect_to);
    });
  const data = request.data;
  useEffect(() => {
    if (!data) return;
    if (isNext(data)) {
      setLeaving(true);
      window.location.assign(data.redirect_to);
    } else if (data.consented && tokens && !data.reauthenticate) {
      void decide('allow');
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data]);

  if (request.error) return <ProblemAlert error={request.error} />;
  if (!data || leaving || isNext(data) || (data.consented && tokens && !data.reauthenticate))
    return <Loader role="status" aria-label="Loading" />;
  if (!tokens || data.reauthenticate)
    return (
      <Stack maw={440}>
        <Text>
          {tokens ? (
            <>
              <b>{data.app}</b> asks you to confirm it is you: sign in again.
            </>
          ) : (
            <>
              Sign in to let <b>{data.app}</b> use {info.title} on your behalf.
            </>
          )}
        </Text>
        <SignIn info={info} />
      </Stack>
    );
  return (
    <Paper withBorder p="lg" maw={520}>
      <Stack>
        <Title order={1}>Allow {data.app}?</Title>
        {data.unverified && (
          <Alert color="yellow" variant="light" title="Unverified app">
            This app registered itself: its name is its own claim. Allow it only if you started this from an app you trust.
          </Alert>
        )}
        {data.description && <Text c="dimmed">{data.description}</Text>}
        <Text>
          <b>{data.app}</b> asks to act for you, <b>{tokens.username}</b>, with:
        </Text>
        <ScopeList scopes={data.scopes} empty="no scopes: it only learns who you are." />
        <Alert color="blue" variant="light">
          Afterwards you go to {new URL(data.redirect_uri).origin}. You can withdraw this under Account.
        </Alert>
        {problem && <ProblemAlert error={problem} />}
        <Group>
          <Button onClick={() => decide('allow')} loading={busy}>
            Allow
          </Button>
          <Button variant="default" onClick={() => decide('deny')} disabled={busy}>
            Deny
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
