// Sign-in: the password grant at /authorization/token with the email as
// the user name (web-shared/session.ts).
import { useState, type FormEvent } from 'react';
import { Alert, Anchor, Button, Group, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { Link, useLocation } from 'wouter';
import { session, SignInError } from '../auth';
import { ProviderSignIn } from '../components/ProviderSignIn';
import type { PortalInfo } from '../api/types';

export function SignIn({ info }: { info: PortalInfo }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(session.notice);
  const [busy, setBusy] = useState(false);
  const [location, navigate] = useLocation();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.signIn(email, password);
      // From the sign-in page to the apps; from a signed-in page, stay.
      if (location === '/signin') navigate('/apps');
    } catch (e) {
      setError(e instanceof SignInError ? e.message : 'Sign-in failed; try again.');
      setBusy(false);
    }
  }

  return (
    <Paper withBorder p="lg" maw={440}>
      <form onSubmit={submit} aria-label="Sign in">
        <Stack>
          <Title order={1}>Sign in</Title>
          {error && (
            <Alert color="red" role="alert" title="Not signed in">
              {error}
            </Alert>
          )}
          <TextInput label="Email" name="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
          <PasswordInput label="Password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
          <Button type="submit" loading={busy}>
            Sign in
          </Button>
          <Group justify="space-between">
            <Anchor component={Link} href="/reset" size="sm">
              Forgot your password?
            </Anchor>
            {info.registration !== 'closed' && (
              <Text size="sm">
                New here? <Anchor component={Link} href="/register">Sign up</Anchor>
              </Text>
            )}
          </Group>
        </Stack>
      </form>
      <ProviderSignIn onError={setError} />
    </Paper>
  );
}
