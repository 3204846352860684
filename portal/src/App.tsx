import { lazy, Suspense, useState } from 'react';
import { AppShell, Burger, Button, Group, Loader, NavLink, ScrollArea, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, Route, Switch, useLocation } from 'wouter';
import { session, useSession } from './auth';
import { call } from './api/client';
import type { PortalInfo } from './api/types';
import { useLoad } from './components/hooks';
import { Landing, DocPage } from './pages/Landing';
import { Register } from './pages/Register';
import { Activate } from './pages/Activate';
import { SignIn } from './pages/SignIn';
import { Reset } from './pages/Reset';
import { Apps, AppPage, NewApp } from './pages/Apps';
import { Tokens } from './pages/Tokens';
import { Webhooks, WebhookPage } from './pages/Webhooks';
import { Account } from './pages/Account';
import { Code } from './pages/Code';
import { Agents } from './pages/Agents';
import { Authorize } from './pages/Authorize';
import { Device } from './pages/Device';
import { NotFound } from './pages/NotFound';

// The charts' library is large and only the usage page needs it: a chunk
// of its own, loaded when that page opens.
const Usage = lazy(() => import('./pages/Usage'));
// Likewise the reference and its example generator.
const Reference = lazy(() => import('./pages/Reference').then((m) => ({ default: m.Reference })));

/** A lazily loaded page, with a spinner while its chunk loads. */
const later = (page: React.ReactNode) => <Suspense fallback={<Loader role="status" aria-label="Loading" />}>{page}</Suspense>;

const FALLBACK: PortalInfo = { title: 'Developer portal', description: '', logo_url: null, pages: [], registration: 'closed' };

export function App() {
  const tokens = useSession();
  const [opened, { toggle, close }] = useDisclosure();
  const [location] = useLocation();
  const [signingOut, setSigningOut] = useState(false);
  const portal = useLoad(() => call<PortalInfo>('GET', '/portal'), []);
  const info = portal.data ?? FALLBACK;
  const active = (path: string) => location === path || location.startsWith(`${path}/`);
  const link = (href: string, label: string) => (
    <NavLink key={href} component={Link} href={href} label={label} active={href === '/' ? location === '/' : active(href)} onClick={close} />
  );
  /** A page that needs a signed-in consumer: the sign-in form otherwise. */
  const signedIn = (page: React.ReactNode) => (tokens ? page : <SignIn info={info} />);
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Text component={Link} href="/" fw={700} size="lg" c="var(--mantine-color-text)" td="none">
              {info.title}
            </Text>
          </Group>
          <Group gap="sm" wrap="nowrap">
            {tokens ? (
              <>
                <Text size="sm" c="dimmed" visibleFrom="xs">
                  {tokens.username}
                </Text>
                <Button
                  variant="default"
                  size="xs"
                  loading={signingOut}
                  onClick={() => {
                    setSigningOut(true);
                    void session.signOut().finally(() => setSigningOut(false));
                  }}
                >
                  Sign out
                </Button>
              </>
            ) : (
              <>
                <Button component={Link} href="/signin" variant="default" size="xs">
                  Sign in
                </Button>
                {info.registration !== 'closed' && (
                  <Button component={Link} href="/register" size="xs" visibleFrom="xs">
                    Sign up
                  </Button>
                )}
              </>
            )}
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Sections">
        <ScrollArea>
          {link('/', 'Home')}
          {info.pages.map((p) => link(`/docs/${p.slug}`, p.title))}
          {link('/reference', 'API reference')}
          {link('/code', 'Use it from code')}
          {link('/agents', 'Connect an AI agent')}
          {tokens && (
            <>
              <Text size="xs" fw={700} c="dimmed" mt="sm" mb={4} px="sm">
                Your access
              </Text>
              {link('/apps', 'Apps')}
              {link('/tokens', 'Tokens')}
              {link('/usage', 'Usage')}
              {link('/webhooks', 'Webhooks')}
              {link('/account', 'Account')}
            </>
          )}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>
        <Switch>
          <Route path="/">{() => <Landing info={info} error={portal.error} loading={portal.loading} />}</Route>
          <Route path="/docs/:slug">{(p) => <DocPage info={info} slug={p.slug} loading={portal.loading} />}</Route>
          <Route path="/reference">{() => later(<Reference />)}</Route>
          <Route path="/reference/:operation">{(p) => later(<Reference operation={decodeURIComponent(p.operation)} />)}</Route>
          <Route path="/code">{() => <Code />}</Route>
          <Route path="/agents">{() => <Agents />}</Route>
          <Route path="/register">{() => <Register info={info} />}</Route>
          <Route path="/activate">{() => <Activate />}</Route>
          <Route path="/signin">{() => <SignIn info={info} />}</Route>
          <Route path="/authorize">{() => <Authorize info={info} />}</Route>
          <Route path="/device">{() => signedIn(<Device />)}</Route>
          <Route path="/reset">{() => <Reset />}</Route>
          <Route path="/apps">{() => signedIn(<Apps />)}</Route>
          <Route path="/apps/new">{() => signedIn(<NewApp />)}</Route>
          <Route path="/apps/:id">{(p) => signedIn(<AppPage id={p.id} />)}</Route>
          <Route path="/tokens">{() => signedIn(<Tokens />)}</Route>
          <Route path="/usage">
{() => signedIn(later(<Usage />))}
          </Route>
          <Route path="/webhooks">{() => signedIn(<Webhooks />)}</Route>
          <Route path="/webhooks/:id">{(p) => signedIn(<WebhookPage id={p.id} />)}</Route>
          <Route path="/account">{() => signedIn(<Account />)}</Route>
          <Route component={NotFound} />
        </Switch>
      </AppShell.Main>
    </AppShell>
  );
}
