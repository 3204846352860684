// The consumer's apps: each holds client credentials (client_id and a
// secret shown once) that get tokens with the client-credentials grant.
import { useState } from 'react';
import { Anchor, Badge, Button, Group, Loader, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { Link, useLocation } from 'wouter';
import { call } from '../api/client';
import type { App, AppWithSecret } from '../api/types';
import { AppForm } from '../components/AppForm';
import { useAction, useLoad } from '../components/hooks';
import { ProblemAlert } from '../components/ProblemAlert';
import { CopyValue, ShownOnce } from '../components/Secret';
import { Snippets } from '../components/Snippets';

export function Apps() {
  const apps = useLoad(() => call<App[]>('GET', '/apps'), []);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Apps</Title>
        <Button component={Link} href="/apps/new">
          New app
        </Button>
      </Group>
      <Text c="dimmed" size="sm">
        An app holds client credentials: your code trades them for an access token and calls the API with it.
      </Text>
      {apps.error && <ProblemAlert error={apps.error} />}
      {apps.loading && !apps.data ? (
        <Loader role="status" aria-label="Loading" />
      ) : apps.data?.length ? (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label="Apps" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Client ID</Table.Th>
                <Table.Th>Scopes</Table.Th>
                <Table.Th>Status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {apps.data.map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Td>
                    <Anchor component={Link} href={`/apps/${a.id}`}>
                      {a.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td className="mono">{a.client_id}</Table.Td>
                  <Table.Td>{a.scopes.join(', ') || '—'}</Table.Td>
                  <Table.Td>{a.active ? 'active' : 'inactive'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        <Text>No apps yet.</Text>
      )}
    </Stack>
  );
}

/** The client ID and the secret just made, shown once. */
function Credentials({ app }: { app: AppWithSecret }) {
  return (
    <ShownOnce>
      <CopyValue label="Client ID" value={app.client_id} testId="client-id" />
      <CopyValue label="Client secret" value={app.client_secret} testId="client-secret" />
    </ShownOnce>
  );
}

export function NewApp() {
  const [created, setCreated] = useState<AppWithSecret | null>(null);
  const { busy, problem, run } = useAction();
  return (
    <Stack>
      <Title order={1}>{created ? created.name : 'New app'}</Title>
      {created ? (
        <Stack maw={720}>
          <Text role="status">The app is ready.</Text>
          <Credentials app={created} />
          <Group>
            <Button component={Link} href={`/apps/${created.id}`} variant="default">
              App settings
            </Button>
            <Button component={Link} href="/reference">
              Try the API
            </Button>
          </Group>
        </Stack>
      ) : (
        <AppForm
          submitLabel="Create app"
          busy={busy}
          problem={problem}
          onSubmit={(fields) => void run(async () => setCreated(await call<AppWithSecret>('POST', '/apps', fields)))}
        />
      )}
    </Stack>
  );
}

export function AppPage({ id }: { id: string }) {
  const app = useLoad(() => call<App>('GET', `/apps/${encodeURIComponent(id)}`), [id]);
  const save = useAction();
  const rotate = useAction();
  const remove = useAction();
  const [rotated, setRotated] = useState<AppWithSecret | null>(null);
  const [saved, setSaved] = useState(false);
  const [, navigate] = useLocation();
  if (app.error) return <ProblemAlert error={app.error} />;
  if (!app.data) return <Loader role="status" aria-label="Loading" />;
  const a = app.data;
  return (
    <Stack>
      <Group gap="sm">
        <Title order={1}>{a.name}</Title>
        <Badge color={a.active ? 'green' : 'gray'} variant="filled">
          {a.active ? 'active' : 'inactive'}
        </Badge>
      </Group>
      <CopyValue label="Client ID" value={a.client_id} testId="app-client-id" />
      {rotated && <Credentials app={rotated} />}
      <Paper withBorder p="md">
        <Stack>
          <Title order={2} size="h4">
            Settings
          </Title>
          {saved && (
            <Text role="status" size="sm">
              Saved.
            </Text>
          )}
          <AppForm
            key={a.updated_at}
            app={a}
            submitLabel="Save app"
            busy={save.busy}
            problem={save.problem}
            onSubmit={(fields) =>
              void save.run(async () => {
                await call('PATCH', `/apps/${encodeURIComponent(id)}`, fields);
                setSaved(true);
                app.reload();
              })
            }
          />
        </Stack>
      </Paper>
      <Paper withBorder p="md">
        <Stack>
          <Title order={2} size="h4">
            Get a token
          </Title>
          <Snippets
            request={{
              method: 'POST',
              path: '/authorization/token',
              form: { grant_type: 'client_credentials', client_id: a.client_id, client_secret: '$CLIENT_SECRET' },
            }}
          />
        </Stack>
      </Paper>
      <Paper withBorder p="md">
        <Stack>
          <Title order={2} size="h4">
            Secret and removal
          </Title>
          {rotate.problem && <ProblemAlert error={rotate.problem} />}
          {remove.problem && <ProblemAlert error={remove.problem} />}
          <Group>
            <Button
              variant="default"
              loading={rotate.busy}
              onClick={() =>
                void rotate.run(async () => {
                  if (!window.confirm('Make a new secret? The old one stops working at once.')) return;
                  setRotated(await call<AppWithSecret>('POST', `/apps/${encodeURIComponent(id)}/secret`));
                })
              }
            >
              New secret
            </Button>
            <Button
              color="red"
              variant="outline"
              loading={remove.busy}
              onClick={() =>
                void remove.run(async () => {
                  if (!window.confirm(`Delete ${a.name}? Its tokens stop working.`)) return;
                  await call('DELETE', `/apps/${encodeURIComponent(id)}`);
                  navigate('/apps');
                })
              }
            >
              Delete app
            </Button>
          </Group>
        </Stack>
      </Paper>
    </Stack>
  );
}
