// Password reset: without a token, ask for the mail (the answer is the
// same for any address); with the mail's /portal/reset?token=…, set a new
// password.
import { useState, type FormEvent } from 'react';
import { Alert, Anchor, Button, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { Link, useSearch } from 'wouter';
import { call } from '../api/client';
import { useAction } from '../components/hooks';
import { ProblemAlert, fieldError } from '../components/ProblemAlert';

export function Reset() {
  const token = new URLSearchParams(useSearch()).get('token');
  const [value, setValue] = useState('');
  const [done, setDone] = useState(false);
  const { busy, problem, run } = useAction();

  function submit(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      if (token) await call('POST', '/password-reset/confirm', { token, password: value });
      else await call('POST', '/password-reset', { email: value });
      setDone(true);
    });
  }

  return (
    <Paper withBorder p="lg" maw={440}>
      <Stack>
        <Title order={1}>{token ? 'Choose a new password' : 'Reset your password'}</Title>
        {done ? (
          <Alert color="green" role="status" title={token ? 'Password changed' : 'Check your mail'}>
            {token ? (
              <>
                <Anchor component={Link} href="/signin">
                  Sign in
                </Anchor>{' '}
                with your new password.
              </>
            ) : (
              'If an account has this address, a mail with a link to choose a new password is on its way.'
            )}
          </Alert>
        ) : (
          <form onSubmit={submit} aria-label={token ? 'New password' : 'Reset password'}>
            <Stack>
              {problem && <ProblemAlert error={problem} />}
              {token ? (
                <PasswordInput label="New password" name="password" autoComplete="new-password" required value={value} onChange={(e) => setValue(e.currentTarget.value)} error={fieldError(problem, 'password')} />
              ) : (
                <TextInput label="Email" name="email" type="email" autoComplete="email" required value={value} onChange={(e) => setValue(e.currentTarget.value)} />
              )}
              <Button type="submit" loading={busy}>
                {token ? 'Set password' : 'Send the link'}
              </Button>
            </Stack>
          </form>
        )}
      </Stack>
    </Paper>
  );
}
