import { Alert, List, Text } from '@mantine/core';
import type { FieldError, ProblemError } from '../api/problem';

/** One clear message for a failed call, with errors no field claimed. */
export function ProblemAlert({ error, extra = [] }: { error: ProblemError; extra?: FieldError[] }) {
  const p = error.problem;
  return (
    <Alert color="red" role="alert" title={p.title ?? 'Request failed'}>
      <Text size="sm">{p.detail ?? error.message}</Text>
      {extra.length > 0 && (
        <List size="sm" mt="xs">
          {extra.map((e, i) => (
            <List.Item key={i}>
              <code>{e.pointer}</code>: {e.message}
            </List.Item>
          ))}
        </List>
      )}
      {p.request_id && (
        <Text size="xs" c="dimmed" mt={4}>
          request id {p.request_id}
        </Text>
      )}
    </Alert>
  );
}
