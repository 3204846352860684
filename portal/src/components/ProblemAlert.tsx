import { Alert, List, Text } from '@mantine/core';
import type { ProblemError } from '../../../web-shared/problem';

/** One clear message for a failed call, with the errors of each field. */
export function ProblemAlert({ error }: { error: ProblemError }) {
  const p = error.problem;
  const errors = p.errors ?? [];
  return (
    <Alert color="red" role="alert" title={p.title ?? 'Request failed'}>
      <Text size="sm">{p.detail ?? error.message}</Text>
      {errors.length > 0 && (
        <List size="sm" mt="xs">
          {errors.map((e, i) => (
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

/** The message of the errors at `/field` (for an input's `error`), or undefined. */
export function fieldError(error: ProblemError | null, field: string): string | undefined {
  const errors = error?.fieldErrors()[field];
  return errors?.length ? errors.map((e) => e.message).join('; ') : undefined;
}
