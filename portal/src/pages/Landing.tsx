// The landing page: the API's title, description and logo, the Markdown
// pages from the portal's settings, and where to go next.
import { Anchor, Button, Group, Image, Loader, SimpleGrid, Paper, Stack, Text, Title } from '@mantine/core';
import { Link } from 'wouter';
import type { PortalInfo } from '../api/types';
import type { ProblemError } from '../../../web-shared/problem';
import { Markdown } from '../components/Markdown';
import { ProblemAlert } from '../components/ProblemAlert';
import { NotFound } from './NotFound';
import { useSession } from '../auth';

export function Landing({ info, error, loading }: { info: PortalInfo; error: ProblemError | null; loading: boolean }) {
  const tokens = useSession();
  if (loading) return <Loader role="status" aria-label="Loading" />;
  return (
    <Stack maw={900}>
      {error && <ProblemAlert error={error} />}
      <Group gap="md" wrap="nowrap" align="center">
        {info.logo_url && <Image src={info.logo_url} alt={`${info.title} logo`} className="logo" w="auto" />}
        <Title order={1}>{info.title}</Title>
      </Group>
      {info.description && <Markdown text={info.description} />}
      <Group>
        {!tokens && info.registration !== 'closed' && (
          <Button component={Link} href="/register">
            Sign up
          </Button>
        )}
        {tokens && (
          <Button component={Link} href="/apps">
            Your apps
          </Button>
        )}
        <Button component={Link} href="/reference" variant="default">
          API reference
        </Button>
        <Button component={Link} href="/code" variant="default">
          Use it from code
        </Button>
      </Group>
      {info.registration === 'approval' && !tokens && (
        <Text size="sm" c="dimmed">
          New accounts are approved by the API's administrators before they can sign in.
        </Text>
      )}
      {info.pages.length > 0 && (
        <>
          <Title order={2}>Guides</Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {info.pages.map((p) => (
              <Paper key={p.slug} withBorder p="md">
                <Anchor component={Link} href={`/docs/${p.slug}`} fw={600}>
                  {p.title}
                </Anchor>
              </Paper>
            ))}
          </SimpleGrid>
        </>
      )}
    </Stack>
  );
}

/** One Markdown page of the portal's settings, by slug. */
export function DocPage({ info, slug, loading }: { info: PortalInfo; slug: string; loading: boolean }) {
  if (loading) return <Loader role="status" aria-label="Loading" />;
  const page = info.pages.find((p) => p.slug === slug);
  if (!page) return <NotFound />;
  return (
    <Stack maw={900}>
      <Title order={1}>{page.title}</Title>
      <Markdown text={page.markdown} />
    </Stack>
  );
}
