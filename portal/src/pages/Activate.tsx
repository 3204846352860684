// The link in the verification mail: /portal/activate?token=…. Activation
// waits for a click, so a mail scanner that opens links does not spend the
// single-use token.
import { useState } from 'react';
import { Alert, Anchor, Button, Paper, Stack, Text, Title } from '@mantine/core';
import { Link, useSearch } from 'wouter';
import { call } from '../api/client';
import { useAction } from '../components/hooks';
import { ProblemAlert } from '../components/ProblemAlert';

export function Activate() {
  const token = new URLSearchParams(useSearch()).get('token') ?? '';
  const [status, setStatus] = useState<string | null>(null);
  const { busy, problem, run } = useAction();
  return (
    <Paper withBorder p="lg" maw={440}>
      <Stack>
        <Title order={1}>Activate your account</Title>
        {!token ? (
          <Alert color="red" title="No token">
            Open the link from the verification mail as it is; it carries a token.
          </Alert>
        ) : status === 'active' ? (
          <Alert color="green" title="Your account is active" role="status">
            <Anchor component={Link} href="/signin">
              Sign in
            </Anchor>{' '}
            to create an app and get credentials.
          </Alert>
        ) : status ? (
          <Alert color="blue" title="Address confirmed" role="status">
            An administrator approves new accounts; you get a mail when yours is.
          </Alert>
        ) : (
          <>
            {problem && <ProblemAlert error={problem} />}
            <Text>Confirm your email address to activate the account.</Text>
            <Button
              loading={busy}
              onClick={() =>
                void run(async () => {
                  const answer = await call<{ status: string }>('POST', '/activate', { token });
                  setStatus(answer.status);
                })
              }
            >
              Activate account
            </Button>
          </>
        )}
      </Stack>
    </Paper>
  );
}
