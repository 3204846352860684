// The developer portal's settings: who may sign up, the smtp connection
// that sends its mail, its branding and Markdown pages, and which scopes
// and events consumers may use (each scope's and event's `consumers`
// field).
import { useState, type FormEvent } from 'react';
import { ActionIcon, Button, Group, Loader, MultiSelect, NumberInput, Paper, Select, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { api, unwrap } from '../api/client';
import { adminCall, type PortalSettings } from '../api/portal';
import { ProblemAlert } from '../components/ProblemAlert';
import { useAction } from '../components/useAction';
import { useLoad } from '../components/useLoad';

interface Opened {
  name: string;
  consumers?: boolean;
}

export function PortalSettingsPage() {
  const data = useLoad(async () => {
    const [settings, connections, scopes, events] = await Promise.all([
      adminCall<PortalSettings>('GET', '/portal'),
      unwrap(api.GET('/connections')),
      adminCall<Opened[]>('GET', '/scopes'),
      adminCall<Opened[]>('GET', '/events'),
    ]);
    return { settings, mailers: connections.filter((c) => c.class === 'smtp').map((c) => c.name), scopes, events };
  }, []);
  if (data.data) return <SettingsForm {...data.data} reload={data.reload} />;
  return (
    <Stack>
      <Title order={2}>Portal settings</Title>
      {data.error ? <ProblemAlert error={data.error} /> : <Loader role="status" aria-label="Loading" />}
    </Stack>
  );
}

function SettingsForm({
  settings,
  mailers,
  scopes,
  events,
  reload,
}: {
  settings: PortalSettings;
  mailers: string[];
  scopes: Opened[];
  events: Opened[];
  reload: () => void;
}) {
  const [values, setValues] = useState<PortalSettings>(settings);
  const [openScopes, setOpenScopes] = useState(scopes.filter((s) => s.consumers).map((s) => s.name));
  const [openEvents, setOpenEvents] = useState(events.filter((e) => e.consumers).map((e) => e.name));
  const [saved, setSaved] = useState(false);
  const { busy, problem, run } = useAction();
  const set = <K extends keyof PortalSettings>(key: K, value: PortalSettings[K]) => setValues((v) => ({ ...v, [key]: value }));
  const setPage = (i: number, field: 'slug' | 'title' | 'markdown', value: string) =>
    set('pages', values.pages.map((p, j) => (j === i ? { ...p, [field]: value } : p)));

  function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    void run(async () => {
      await adminCall('PUT', '/portal', values);
      // Only the scopes and events whose flag changed.
      for (const s of scopes)
        if (Boolean(s.consumers) !== openScopes.includes(s.name))
          await adminCall('PATCH', `/scopes/${encodeURIComponent(s.name)}`, { consumers: openScopes.includes(s.name) });
      for (const e of events)
        if (Boolean(e.consumers) !== openEvents.includes(e.name))
          await adminCall('PATCH', `/events/${encodeURIComponent(e.name)}`, { consumers: openEvents.includes(e.name) });
      setSaved(true);
      reload();
    });
  }

  const errors = problem?.fieldErrors() ?? {};
  const err = (field: string) => errors[field]?.map((e) => e.message).join('; ');
  return (
    <form onSubmit={submit} aria-label="Portal settings">
      <Stack maw={760}>
        <Title order={2}>Portal settings</Title>
        <Text size="sm" c="dimmed">
          The developer portal at /portal, where API consumers sign up, create apps and try the API.
        </Text>
        {problem && <ProblemAlert error={problem} />}
        {saved && (
          <Text role="status" size="sm">
            Saved.
          </Text>
        )}
        <Paper withBorder p="md">
          <Stack>
            <Title order={3} size="h4">
              Sign-up
            </Title>
            <Select
              label="Registration"
              data={[
                { value: 'open', label: 'open: anyone who confirms their address' },
                { value: 'approval', label: 'approval: an admin approves each account' },
                { value: 'closed', label: 'closed: no sign-up' },
              ]}
              value={values.registration}
              onChange={(v) => v && set('registration', v as PortalSettings['registration'])}
              allowDeselect={false}
              error={err('registration')}
            />
            <Select
              label="Mailer"
              description="The smtp connection that sends the verification and reset mails."
              placeholder={mailers.length ? 'None' : 'No smtp connection yet'}
              data={mailers}
              clearable
              value={values.mailer}
              onChange={(v) => set('mailer', v)}
              error={err('mailer')}
            />
            <TextInput
              label="Public URL"
              name="public_url"
              description="Where consumers reach this server; the links in mails start with it."
              placeholder="https://api.example.com"
              value={values.public_url ?? ''}
              onChange={(e) => set('public_url', e.currentTarget.value || null)}
              error={err('public_url')}
            />
            <NumberInput
              label="Apps per consumer"
              name="max_apps_per_consumer"
              min={0}
              value={values.max_apps_per_consumer}
              onChange={(v) => set('max_apps_per_consumer', Number(v) || 0)}
              error={err('max_apps_per_consumer')}
            />
            <MultiSelect label="Scopes open to consumers" data={scopes.map((s) => s.name)} value={openScopes} onChange={setOpenScopes} searchable clearable />
            <MultiSelect label="Events open to consumers" data={events.map((e) => e.name)} value={openEvents} onChange={setOpenEvents} searchable clearable />
          </Stack>
        </Paper>
        <Paper withBorder p="md">
          <Stack>
            <Title order={3} size="h4">
              Branding
            </Title>
            <TextInput label="Title" name="title" value={values.title} onChange={(e) => set('title', e.currentTarget.value)} error={err('title')} />
            <Textarea label="Description (Markdown)" name="description" autosize minRows={2} value={values.description} onChange={(e) => set('description', e.currentTarget.value)} error={err('description')} />
            <TextInput label="Logo URL" name="logo_url" placeholder="https://example.com/logo.svg" value={values.logo_url ?? ''} onChange={(e) => set('logo_url', e.currentTarget.value || null)} error={err('logo_url')} />
          </Stack>
        </Paper>
        <Paper withBorder p="md">
          <Stack>
            <Group justify="space-between">
              <Title order={3} size="h4">
                Pages
              </Title>
              <Button size="xs" variant="default" onClick={() => set('pages', [...values.pages, { slug: '', title: '', markdown: '' }])}>
                Add page
              </Button>
            </Group>
            {values.pages.length === 0 && <Text size="sm">No pages: the landing page shows the title and description only.</Text>}
            {values.pages.map((p, i) => (
              <Paper key={i} withBorder p="sm">
                <Stack gap="xs">
                  <Group grow align="flex-start">
                    <TextInput label="Slug" value={p.slug} onChange={(e) => setPage(i, 'slug', e.currentTarget.value)} />
                    <TextInput label="Title" value={p.title} onChange={(e) => setPage(i, 'title', e.currentTarget.value)} />
                    <ActionIcon
                      variant="default"
                      size="lg"
                      mt={24}
                      style={{ flexGrow: 0 }}
                      aria-label={`Remove page ${p.title || i + 1}`}
                      onClick={() => set('pages', values.pages.filter((_, j) => j !== i))}
                    >
                      <span aria-hidden="true">✕</span>
                    </ActionIcon>
                  </Group>
                  <Textarea label="Markdown" autosize minRows={3} maxRows={16} value={p.markdown} onChange={(e) => setPage(i, 'markdown', e.currentTarget.value)} />
                </Stack>
              </Paper>
            ))}
            {err('pages') && (
              <Text size="sm" c="red.9">
                {err('pages')}
              </Text>
            )}
          </Stack>
        </Paper>
        <Group>
          <Button type="submit" loading={busy}>
            Save settings
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
