// Where a consumer approves an app on a device without a browser — a CLI,
// an MCP client, a TV (RFC 8628 device authorization grant): enter the code
// the device shows (its link carries it), see the app and the scopes, allow
// or deny. Allowing is a consent like the consent page's, withdrawn under
// Account.
import { useState, type FormEvent } from 'react';
import { Alert, Button, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { decide, lookUp, userCodeInQuery, type DeviceRequest } from '../../../web-shared/device';
import { asProblem, type ProblemError } from '../../../web-shared/problem';
import { ProblemAlert } from '../components/ProblemAlert';
import { ScopeList } from '../components/ScopeList';
import { useAction } from '../components/hooks';
import { session } from '../auth';

export function Device() {
  const [code, setCode] = useState(userCodeInQuery());
  const [request, setRequest] = useState<DeviceRequest | null>(null);
  // The code the shown request was found by: editing the field afterwards
  // must not approve another request.
  const [shownCode, setShownCode] = useState('');
  const [notFound, setNotFound] = useState<ProblemError | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const { busy, problem, run } = useAction();
  const onUnauthorized = () => session.expired();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setNotFound(null);
    try {
      setShownCode(code);
      setRequest(await lookUp(code, session.accessToken(), onUnauthorized));
    } catch (e) {
      setRequest(null);
      setNotFound(asProblem(e));
    }
  }
  const choose = (decision: 'allow' | 'deny') =>
    run(async () => {
      const result = await decide(shownCode, decision, session.accessToken(), onUnauthorized);
      setOutcome(
        result.status === 'approved'
          ? { ok: true, text: `${request?.app ?? result.app} may now act for you on that device. You can withdraw this under Account.` }
          : { ok: false, text: 'Denied: the device gets nothing.' },
      );
      setRequest(null);
    });

  if (outcome)
    return (
      <Alert color={outcome.ok ? 'green' : 'gray'} role="status" title={outcome.ok ? 'Allowed' : 'Denied'} maw={520}>
        {outcome.text}
      </Alert>
    );
  return (
    <Stack maw={520}>
      <Title order={1}>Connect a device</Title>
      <form onSubmit={submit} aria-label="Enter the device code">
        <Group align="end">
          <TextInput label="Code shown on the device" name="user_code" required value={code} onChange={(e) => setCode(e.currentTarget.value)} placeholder="BCDF-GHJK" />
          <Button type="submit" variant="default">
            Continue
          </Button>
        </Group>
      </form>
      {notFound && <ProblemAlert error={notFound} />}
      {request && (
        <Paper withBorder p="lg">
          <Stack>
            <Title order={2}>Allow {request.app}?</Title>
            {request.unverified && (
              <Alert color="yellow" variant="light" title="Unverified app">
                This app registered itself: its name is its own claim. Allow it only if you started this on a device you trust.
              </Alert>
            )}
            {request.description && <Text c="dimmed">{request.description}</Text>}
            <Text size="sm">
              The device asked from {request.requested_from}, {new Date(request.requested_at * 1000).toLocaleTimeString()}.
            </Text>
            <ScopeList scopes={request.scopes} empty="no scopes: it only learns who you are." />
            {problem && <ProblemAlert error={problem} />}
            <Group>
              <Button onClick={() => choose('allow')} loading={busy}>
                Allow
              </Button>
              <Button variant="default" onClick={() => choose('deny')} disabled={busy}>
                Deny
              </Button>
            </Group>
          </Stack>
        </Paper>
      )}
    </Stack>
  );
}
