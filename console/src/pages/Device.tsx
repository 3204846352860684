// Where an admin approves `sluice login URL --device` (RFC 8628): enter the
// code the terminal shows (or follow its link, which carries it), check
// where the request came from, and approve or deny. Approving signs that
// terminal in as you, with your roles' scopes.
import { useState, type FormEvent } from 'react';
import { Alert, Button, Group, List, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { decide, lookUp, userCodeInQuery, type DeviceRequest } from '../../../web-shared/device';
import { asProblem, type ProblemError } from '../api/problem';
import { ProblemAlert } from '../components/ProblemAlert';
import { useAction } from '../components/useAction';
import { session } from '../auth';

export function DevicePage() {
  const [code, setCode] = useState(userCodeInQuery());
  const [request, setRequest] = useState<DeviceRequest | null>(null);
  // The code the shown request was found by: editing the field afterwards
  // must not approve another request.
  const [shownCode, setShownCode] = useState('');
  const [lookupProblem, setLookupProblem] = useState<ProblemError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const { busy, problem, run } = useAction();
  const expired = () => session.expired();

  async function find(event: FormEvent) {
    event.preventDefault();
    setLookupProblem(null);
    setRequest(null);
    try {
      setShownCode(code);
      setRequest(await lookUp(code, session.accessToken(), expired));
    } catch (e) {
      setLookupProblem(asProblem(e));
    }
  }
  const answer = (decision: 'allow' | 'deny') =>
    run(async () => {
      const result = await decide(shownCode, decision, session.accessToken(), expired);
      setDone(result.status === 'approved' ? `${result.app} is signed in; go back to the terminal.` : 'Denied: the terminal is not signed in.');
      setRequest(null);
    });

  return (
    <Stack maw={560}>
      <Title order={2}>Device login</Title>
      {done ? (
        <Alert color="green" role="status" title="Done">
          {done}
        </Alert>
      ) : (
        <form onSubmit={find} aria-label="Find the request">
          <Stack>
            <Text size="sm" c="dimmed">
              Enter the code that <code>sluice login --device</code> (or another device) shows.
            </Text>
            <Group align="end">
              <TextInput label="Code" name="user_code" required value={code} onChange={(e) => setCode(e.currentTarget.value)} placeholder="BCDF-GHJK" />
              <Button type="submit" variant="default">
                Continue
              </Button>
            </Group>
          </Stack>
        </form>
      )}
      {lookupProblem && <ProblemAlert error={lookupProblem} />}
      {request && (
        <Paper withBorder p="lg">
          <Stack>
            <Title order={3}>Sign in {request.app}?</Title>
            {request.unverified && (
              <Alert color="yellow" variant="light" title="Unverified app">
                This app registered itself: its name is its own claim.
              </Alert>
            )}
            <Text>
              Asked from <b>{request.requested_from}</b> at {new Date(request.requested_at * 1000).toLocaleTimeString()}. Approve only if you
              started this yourself: whoever holds that terminal acts as you.
            </Text>
            {request.scopes.length ? (
              <List aria-label="Scopes asked">
                {request.scopes.map((s) => (
                  <List.Item key={s.name}>
                    <Text component="span" ff="monospace">
                      {s.name}
                    </Text>
                    {s.description && ` — ${s.description}`}
                  </List.Item>
                ))}
              </List>
            ) : (
              <Text>no scopes.</Text>
            )}
            {problem && <ProblemAlert error={problem} />}
            <Group>
              <Button onClick={() => answer('allow')} loading={busy}>
                Approve
              </Button>
              <Button variant="default" onClick={() => answer('deny')} disabled={busy}>
                Deny
              </Button>
            </Group>
          </Stack>
        </Paper>
      )}
    </Stack>
  );
}
