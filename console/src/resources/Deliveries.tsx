// A trigger's runs or a webhook's deliveries, each with its attempts.
import { Fragment, useState } from 'react';
import { Badge, Button, Paper, Stack, Table, Text, Title } from '@mantine/core';
import type { Schemas } from '../api/client';
import { ProblemAlert } from '../components/ProblemAlert';
import { useLoad } from '../components/useLoad';
import { when } from './util';

type Delivery = Schemas['Delivery'];

const COLORS: Record<string, string> = { delivered: 'green', failed: 'red', pending: 'yellow' };

export function Deliveries({ title, load }: { title: string; load: () => Promise<Delivery[]> }) {
  const { data, error, reload, loading } = useLoad(load, []);
  const [open, setOpen] = useState<number | null>(null);
  return (
    <Paper withBorder p="md">
      <Stack>
        <Title order={3}>{title}</Title>
        {error && <ProblemAlert error={error} />}
        <div>
          <Button size="xs" variant="default" onClick={reload} loading={loading}>
            Refresh
          </Button>
        </div>
        {data?.length === 0 && (
          <Text size="sm" c="dimmed">
            Nothing yet: {title.toLowerCase()} appear when the event is dispatched.
          </Text>
        )}
        {!!data?.length && (
          <Table.ScrollContainer minWidth={560}>
            <Table aria-label={title}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Event</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Attempts</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Next attempt</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.map((d) => (
                  <Fragment key={d.id}>
                    <Table.Tr>
                      <Table.Td>{d.event}</Table.Td>
                      <Table.Td>
                        <Badge color={COLORS[d.state]} variant="light">
                          {d.state}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        <Button size="compact-xs" variant="subtle" onClick={() => setOpen(open === d.id ? null : d.id)} aria-expanded={open === d.id}>
                          {d.attempts.length} {open === d.id ? '▴' : '▾'}
                        </Button>
                      </Table.Td>
                      <Table.Td>{when(d.created_ms)}</Table.Td>
                      <Table.Td>{when(d.next_attempt_ms)}</Table.Td>
                    </Table.Tr>
                    {open === d.id && (
                      <Table.Tr>
                        <Table.Td colSpan={5}>
                          {d.attempts.map((a) => (
                            <Text key={a.attempt} size="xs" className="mono">
                              #{a.attempt} {when(a.at_ms)} — {a.status_code ?? 'no answer'} in {a.duration_ms} ms
                              {a.error ? ` — ${a.error}` : ''}
                              {a.response_excerpt ? ` — “${a.response_excerpt}”` : ''}
                            </Text>
                          ))}
                        </Table.Td>
                      </Table.Tr>
                    )}
                  </Fragment>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Paper>
  );
}
