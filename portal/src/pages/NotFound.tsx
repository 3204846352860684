import { Anchor, Stack, Text, Title } from '@mantine/core';
import { Link } from 'wouter';

/** A path the portal has no page for. */
export function NotFound() {
  return (
    <Stack>
      <Title order={1}>No such page</Title>
      <Text>
        The portal has no page at this address. <Anchor component={Link} href="/">Back to the start</Anchor>.
      </Text>
    </Stack>
  );
}
