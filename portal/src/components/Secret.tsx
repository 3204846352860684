// A value the server shows once (a client secret, a token, a signing
// secret), with a copy button: it is gone when the page is left.
import { ActionIcon, Alert, Code, CopyButton, Group, Stack, Text, Tooltip } from '@mantine/core';

/** One labelled value with a copy button; `testId` names it for tests. */
export function CopyValue({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <Stack gap={2}>
      <Text size="sm" fw={600}>
        {label}
      </Text>
      <Group gap="xs" wrap="nowrap" align="center">
        <Code className="mono" data-testid={testId} style={{ flex: 1 }}>
          {value}
        </Code>
        <CopyButton value={value}>
          {({ copied, copy }) => (
            <Tooltip label={copied ? 'Copied' : `Copy ${label.toLowerCase()}`} withArrow>
              <ActionIcon
                variant="default"
                size="lg"
                onClick={copy}
                aria-label={copied ? `${label} copied` : `Copy ${label.toLowerCase()}`}
              >
                <span aria-hidden="true">{copied ? '✓' : '⧉'}</span>
              </ActionIcon>
            </Tooltip>
          )}
        </CopyButton>
      </Group>
    </Stack>
  );
}

/** The notice around values shown once. */
export function ShownOnce({ children }: { children: React.ReactNode }) {
  return (
    <Alert color="yellow" title="Shown once" data-testid="secret-once">
      <Stack gap="sm">
        <Text size="sm">Copy it now: the server keeps only a hash, it cannot show it again.</Text>
        {children}
      </Stack>
    </Alert>
  );
}
