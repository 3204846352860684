import { useState, type FormEvent } from 'react';
import { Alert, Button, Center, Paper, PasswordInput, Stack, TextInput, Title, Text } from '@mantine/core';
import { session, SignInError } from '../auth';
import { ProviderSignIn } from '../components/ProviderSignIn';

export function Login() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(session.notice);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.signIn(username, password);
    } catch (e) {
      setError(e instanceof SignInError ? e.message : 'Sign-in failed; try again.');
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="lg" w="100%" maw={380}>
        <form onSubmit={submit} aria-label="Sign in">
          <Stack>
            <div>
              <Title order={2}>Sluice console</Title>
              <Text size="sm" c="dimmed">
                Sign in with an admin user.
              </Text>
            </div>
            {error && (
              <Alert color="red" role="alert" title="Not signed in">
                {error}
              </Alert>
            )}
            <TextInput
              label="User name"
              name="username"
              autoComplete="username"
              required
              autoFocus
              value={username}
              onChange={(e) => setUsername(e.currentTarget.value)}
            />
            <PasswordInput
              label="Password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
            <Button type="submit" loading={busy}>
              Sign in
            </Button>
          </Stack>
        </form>
        <ProviderSignIn onError={setError} />
      </Paper>
    </Center>
  );
}
