import { Alert, Anchor } from '@mantine/core';
import { Link } from 'wouter';

export function NotFound() {
  return (
    <Alert color="yellow" title="No such page">
      The console has no page at this address. <Anchor component={Link} href="/">Go to the dashboard</Anchor>.
    </Alert>
  );
}
