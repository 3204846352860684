// The consumer's account: name, password (changing it signs out every
// other session) and deletion (revokes every token and app and erases the
// personal data).
import { useState, type FormEvent } from 'react';
import { Button, Group, Loader, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { call } from '../api/client';
import type { Account as AccountData } from '../api/types';
import { session } from '../auth';
import { useAction, useLoad } from '../components/hooks';
import { ProblemAlert, fieldError } from '../components/ProblemAlert';

export function Account() {
  const account = useLoad(() => call<AccountData>('GET', '/account'), []);
  if (account.error) return <ProblemAlert error={account.error} />;
  if (!account.data) return <Loader role="status" aria-label="Loading" />;
  return <AccountForms account={account.data} reload={account.reload} />;
}

function AccountForms({ account, reload }: { account: AccountData; reload: () => void }) {
  const [name, setName] = useState(account.name);
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [saved, setSaved] = useState(false);
  const save = useAction();
  const remove = useAction();

  function submit(event: FormEvent) {
    event.preventDefault();
    void save.run(async () => {
      await call('PATCH', '/account', password ? { name, password, current_password: current } : { name });
      setCurrent('');
      setPassword('');
      setSaved(true);
      reload();
    });
  }

  function erase(event: FormEvent) {
    event.preventDefault();
    void remove.run(async () => {
      await call('DELETE', '/account', { password: confirm });
      await session.signOut();
    });
  }

  return (
    <Stack maw={560}>
      <Title order={1}>Account</Title>
      <Text>
        {account.email} · {account.status} · since {new Date(account.created_at).toLocaleDateString()}
      </Text>
      <Paper withBorder p="md">
        <form onSubmit={submit} aria-label="Account settings">
          <Stack>
            {save.problem && <ProblemAlert error={save.problem} />}
            {saved && <Text role="status">Saved.</Text>}
            <TextInput label="Name" name="name" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(save.problem, 'name')} />
            <PasswordInput label="New password" name="password" autoComplete="new-password" description="Leave empty to keep it; changing it signs out your other sessions." value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={fieldError(save.problem, 'password')} />
            {password && (
              <PasswordInput label="Current password" name="current_password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.currentTarget.value)} error={fieldError(save.problem, 'current_password')} />
            )}
            <Group>
              <Button type="submit" loading={save.busy}>
                Save
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
      <Consents />
      <Paper withBorder p="md">
        <form onSubmit={erase} aria-label="Delete account">
          <Stack>
            <Title order={2} size="h4">
              Delete the account
            </Title>
            <Text size="sm">Every app and token stops working at once, and your name and address are erased.</Text>
            {remove.problem && <ProblemAlert error={remove.problem} />}
            <PasswordInput label="Password" name="delete-password" autoComplete="current-password" required value={confirm} onChange={(e) => setConfirm(e.currentTarget.value)} />
            <Group>
              <Button type="submit" color="red" loading={remove.busy}>
                Delete account
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
    </Stack>
  );
}

interface Consent {
  client_id: string;
  app: string;
  scopes: string[];
  created_at: string;
  updated_at: string;
}

/** The apps the consumer let act for them (the consent page), each withdrawable. */
function Consents() {
  const consents = useLoad(() => call<Consent[]>('GET', '/consents'), []);
  const withdraw = useAction();
  return (
    <Paper withBorder p="md">
      <Stack>
        <Title order={2} size="h4">
          Apps you allowed
        </Title>
        {consents.error && <ProblemAlert error={consents.error} />}
        {withdraw.problem && <ProblemAlert error={withdraw.problem} />}
        {!consents.data ? (
          <Loader role="status" aria-label="Loading" size="sm" />
        ) : consents.data.length ? (
          <Stack gap="xs" aria-label="Apps you allowed">
            {consents.data.map((c) => (
              <Group key={c.client_id} justify="space-between" wrap="nowrap">
                <Text size="sm">
                  <b>{c.app}</b> · {c.scopes.length ? c.scopes.join(' ') : 'no scopes'} · since {new Date(c.created_at).toLocaleDateString()}
                </Text>
                <Button
                  size="xs"
                  variant="light"
                  color="red"
                  loading={withdraw.busy}
                  onClick={() =>
                    withdraw.run(async () => {
                      await call('DELETE', `/consents/${encodeURIComponent(c.client_id)}`);
                      consents.reload();
                    })
                  }
                >
                  Withdraw
                </Button>
              </Group>
            ))}
          </Stack>
        ) : (
          <Text size="sm">None: no app acts for you.</Text>
        )}
        <Text size="xs" c="dimmed">
          Withdrawing stops the app's access at once; it has to ask again.
        </Text>
      </Stack>
    </Paper>
  );
}
