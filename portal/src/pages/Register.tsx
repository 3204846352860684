// Sign-up: POST /consumer/register. The answer is the same whether or not
// the address is known (the server reveals no account), so the page only
// says to look for the mail.
import { useState, type FormEvent } from 'react';
import { Alert, Anchor, Button, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { Link } from 'wouter';
import { call } from '../api/client';
import type { PortalInfo } from '../api/types';
import { useAction } from '../components/hooks';
import { ProblemAlert, fieldError } from '../components/ProblemAlert';

export function Register({ info }: { info: PortalInfo }) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const { busy, problem, run } = useAction();

  function submit(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      const answer = await call<{ status: string; message?: string }>('POST', '/register', { name, email, password });
      setDone(answer.message ?? 'Check your mail for the link that activates your account.');
    });
  }

  return (
    <Paper withBorder p="lg" maw={440}>
      <Stack>
        <Title order={1}>Sign up</Title>
        {info.registration === 'closed' ? (
          <Alert color="gray" title="Registration is closed">
            This API does not take new accounts here; ask its administrators for access.
          </Alert>
        ) : done ? (
          <Alert color="green" title="Check your mail" role="status">
            {done}
          </Alert>
        ) : (
          <form onSubmit={submit} aria-label="Sign up">
            <Stack>
              {info.registration === 'approval' && (
                <Text size="sm" c="dimmed">
                  After you confirm your address, an administrator approves your account.
                </Text>
              )}
              {problem && <ProblemAlert error={problem} />}
              <TextInput label="Name" name="name" autoComplete="name" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(problem, 'name')} />
              <TextInput label="Email" name="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={fieldError(problem, 'email')} />
              <PasswordInput
                label="Password"
                name="password"
                autoComplete="new-password"
                description="At least 10 characters and hard to guess; a long passphrase is best."
                required
                value={password}
                onChange={(e) => setPassword(e.currentTarget.value)}
                error={fieldError(problem, 'password')}
              />
              <Button type="submit" loading={busy}>
                Sign up
              </Button>
            </Stack>
          </form>
        )}
        <Text size="sm">
          Already have an account? <Anchor component={Link} href="/signin">Sign in</Anchor>
        </Text>
      </Stack>
    </Paper>
  );
}
