// Personal access tokens: bearer tokens for scripts, each with a name,
// scopes and an expiry; the value is shown once.
import { useState, type FormEvent } from 'react';
import { Button, Group, Loader, MultiSelect, NumberInput, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { call } from '../api/client';
import type { Named, PersonalToken, PersonalTokenWithValue } from '../api/types';
import { useAction, useLoad } from '../components/hooks';
import { ProblemAlert, fieldError } from '../components/ProblemAlert';
import { CopyValue, ShownOnce } from '../components/Secret';

const day = (iso: string) => new Date(iso).toLocaleDateString();

export function Tokens() {
  const tokens = useLoad(() => call<PersonalToken[]>('GET', '/tokens'), []);
  const scopes = useLoad(() => call<Named[]>('GET', '/scopes'), []);
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [days, setDays] = useState<number | string>(30);
  const [created, setCreated] = useState<PersonalTokenWithValue | null>(null);
  const create = useAction();
  const revoke = useAction();

  function submit(event: FormEvent) {
    event.preventDefault();
    void create.run(async () => {
      setCreated(await call<PersonalTokenWithValue>('POST', '/tokens', { name, scopes: chosen, expires_in_days: Number(days) }));
      setName('');
      tokens.reload();
    });
  }

  return (
    <Stack>
      <Title order={1}>Tokens</Title>
      <Text c="dimmed" size="sm">
        A personal access token is a bearer token for your own scripts: send it as <code>Authorization: Bearer …</code>.
      </Text>
      {created && (
        <ShownOnce>
          <CopyValue label="Token" value={created.token} testId="token-value" />
        </ShownOnce>
      )}
      <Paper withBorder p="md">
        <form onSubmit={submit} aria-label="New token">
          <Stack maw={560}>
            <Title order={2} size="h4">
              New token
            </Title>
            {create.problem && <ProblemAlert error={create.problem} />}
            <TextInput label="Name" name="token-name" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(create.problem, 'name')} />
            <MultiSelect label="Scopes" data={(scopes.data ?? []).map((s) => s.name)} value={chosen} onChange={setChosen} clearable error={fieldError(create.problem, 'scopes')} />
            <NumberInput label="Expires in (days)" name="expires_in_days" min={1} max={365} value={days} onChange={setDays} error={fieldError(create.problem, 'expires_in_days')} />
            <Group>
              <Button type="submit" loading={create.busy}>
                Create token
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
      {tokens.error && <ProblemAlert error={tokens.error} />}
      {revoke.problem && <ProblemAlert error={revoke.problem} />}
      {!tokens.data ? (
        <Loader role="status" aria-label="Loading" />
      ) : tokens.data.length ? (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label="Tokens" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Scopes</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {tokens.data.map((t) => (
                <Table.Tr key={t.id}>
                  <Table.Td>{t.name}</Table.Td>
                  <Table.Td>{t.scopes.join(', ') || '—'}</Table.Td>
                  <Table.Td>{day(t.created_at)}</Table.Td>
                  <Table.Td>{day(t.expires_at)}</Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      color="red"
                      variant="outline"
                      aria-label={`Revoke ${t.name}`}
                      onClick={() =>
                        void revoke.run(async () => {
                          await call('DELETE', `/tokens/${encodeURIComponent(t.id)}`);
                          tokens.reload();
                        })
                      }
                    >
                      Revoke
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        <Text>No tokens yet.</Text>
      )}
    </Stack>
  );
}
