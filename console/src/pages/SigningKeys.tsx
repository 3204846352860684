// The keys that sign access tokens: which one signs, which retired ones
// still verify their tokens and until when; rotate, and delete a retired
// key (its tokens are refused at once — what to do when a key may have
// leaked).
import { Badge, Button, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { api, unwrap } from '../api/client';
import { ProblemAlert } from '../components/ProblemAlert';
import { useAction } from '../components/useAction';
import { useLoad } from '../components/useLoad';

function when(time: string | null | undefined) {
  return time ? new Date(time).toLocaleString() : '—';
}

export function SigningKeysPage() {
  const keys = useLoad(() => unwrap(api.GET('/signing-keys')), []);
  const { busy, problem, run } = useAction();
  const rotate = () =>
    run(async () => {
      await unwrap(api.POST('/signing-keys'));
      keys.reload();
    });
  const remove = (kid: string) =>
    run(async () => {
      if (!window.confirm(`Delete key ${kid}? Every token it signed is refused from now on.`)) return;
      await unwrap(api.DELETE('/signing-keys/{kid}', { params: { path: { kid } } }));
      keys.reload();
    });
  return (
    <Stack>
      <Title order={2}>Signing keys</Title>
      <Text size="sm" c="dimmed">
        Ed25519 keys that sign access tokens, published at /authorization/jwks. Rotating makes a new key sign; the old
        one keeps verifying the tokens it signed until it expires. Deleting a retired key refuses its tokens at once.
      </Text>
      <Group>
        <Button onClick={rotate} loading={busy}>
          Rotate
        </Button>
      </Group>
      {problem && <ProblemAlert error={problem} />}
      {keys.error && <ProblemAlert error={keys.error} />}
      {!keys.data ? (
        keys.loading && <Loader role="status" aria-label="Loading" />
      ) : keys.data.length ? (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label="Signing keys" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Key id</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Made</Table.Th>
                <Table.Th>Verifies until</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {keys.data.map((k) => (
                <Table.Tr key={k.kid}>
                  <Table.Td>
                    <Text ff="monospace" size="sm">
                      {k.kid}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={k.status === 'signing' ? 'green' : 'gray'} variant="filled">
                      {k.status}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{when(k.created_at)}</Table.Td>
                  <Table.Td>{k.status === 'signing' ? 'while it signs' : when(k.expires_at)}</Table.Td>
                  <Table.Td>
                    {k.status === 'retired' && (
                      <Button size="xs" color="red" variant="light" onClick={() => remove(k.kid)} disabled={busy}>
                        Delete
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        <Text>Tokens are signed with a shared HS256 secret (SLUICE_TOKEN_ALGORITHM=HS256): there are no keys to show.</Text>
      )}
    </Stack>
  );
}
