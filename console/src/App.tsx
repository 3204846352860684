import { useState } from 'react';
import { AppShell, Burger, Button, Group, NavLink, ScrollArea, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, Route, Switch, useLocation } from 'wouter';
import { session, useSession } from './auth';
import { Login } from './pages/Login';
import { Dashboard } from './pages/Dashboard';
import { LogPage } from './pages/Log';
import { ResourceRoutes } from './components/ResourcePage';
import { RESOURCES } from './resources';
import { NotFound } from './components/NotFound';
import { ConsumerPage, ConsumersPage } from './pages/Consumers';
import { PortalSettingsPage } from './pages/PortalSettings';
import { SigningKeysPage } from './pages/SigningKeys';
import { McpPage } from './pages/Mcp';
import { DevicePage } from './pages/Device';

const SECTIONS: { title: string; keys: string[] }[] = [
  { title: 'API', keys: ['operations', 'actions', 'schemas', 'connections', 'prompts'] },
  { title: 'Events', keys: ['events', 'triggers', 'webhooks', 'cronjobs'] },
  { title: 'Access', keys: ['apps', 'users', 'roles', 'scopes', 'rate-limits'] },
];

export function App() {
  const tokens = useSession();
  const [opened, { toggle, close }] = useDisclosure();
  const [location] = useLocation();
  const [signingOut, setSigningOut] = useState(false);
  if (!tokens) return <Login />;
  const active = (path: string) => location === path || location.startsWith(`${path}/`);
  return (
    <AppShell
      header={{ height: 52 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={4}>Sluice</Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
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
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Sections">
        <ScrollArea>
          <NavLink component={Link} href="/" label="Dashboard" active={location === '/'} onClick={close} />
          {SECTIONS.map((section) => (
            <div key={section.title}>
              <Text size="xs" fw={700} c="dimmed" mt="sm" mb={4} px="sm">
                {section.title}
              </Text>
              {section.keys.map((key) => (
                <NavLink
                  key={key}
                  component={Link}
                  href={`/${key}`}
                  label={RESOURCES[key].title}
                  active={active(`/${key}`)}
                  onClick={close}
                />
              ))}
            </div>
          ))}
          <Text size="xs" fw={700} c="dimmed" mt="sm" mb={4} px="sm">
            Developer portal
          </Text>
          <NavLink component={Link} href="/consumers" label="Consumers" active={active('/consumers')} onClick={close} />
          <NavLink component={Link} href="/portal-settings" label="Portal settings" active={active('/portal-settings')} onClick={close} />
          <Text size="xs" fw={700} c="dimmed" mt="sm" mb={4} px="sm">
            Security
          </Text>
          <NavLink component={Link} href="/signing-keys" label="Signing keys" active={active('/signing-keys')} onClick={close} />
          <NavLink component={Link} href="/mcp" label="MCP" active={active('/mcp')} onClick={close} />
          <NavLink component={Link} href="/identity-providers" label="Identity providers" active={active('/identity-providers')} onClick={close} />
          <Text size="xs" fw={700} c="dimmed" mt="sm" mb={4} px="sm">
            Monitoring
          </Text>
          <NavLink component={Link} href="/log" label="Log" active={active('/log')} onClick={close} />
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>
        <Switch>
          <Route path="/" component={Dashboard} />
          <Route path="/log">{() => <LogPage />}</Route>
          <Route path="/log/:id">{(params) => <LogPage id={params.id} />}</Route>
          <Route path="/consumers">{() => <ConsumersPage />}</Route>
          <Route path="/consumers/:id">{(params) => <ConsumerPage id={params.id} />}</Route>
          <Route path="/portal-settings">{() => <PortalSettingsPage />}</Route>
          <Route path="/signing-keys">{() => <SigningKeysPage />}</Route>
          <Route path="/mcp">{() => <McpPage />}</Route>
          <Route path="/device">{() => <DevicePage />}</Route>
          <Route path="/:resource" nest>
            {(params) =>
              RESOURCES[params.resource] ? <ResourceRoutes resource={RESOURCES[params.resource]} /> : <NotFound />
            }
          </Route>
          <Route component={NotFound} />
        </Switch>
      </AppShell.Main>
    </AppShell>
  );
}
