// The fields of an app: name, description, redirect URIs (one a line) and
// scopes chosen among those the admin opened to consumers.
import { useState, type FormEvent } from 'react';
import { Button, Group, MultiSelect, Stack, TextInput, Textarea } from '@mantine/core';
import type { ProblemError } from '../../../web-shared/problem';
import { call } from '../api/client';
import type { App, Named } from '../api/types';
import { useLoad } from './hooks';
import { ProblemAlert, fieldError } from './ProblemAlert';

/** What the form sends: the body of POST or PATCH /consumer/apps. */
export interface AppFields {
  name: string;
  description: string;
  redirect_uris: string[];
  scopes: string[];
}

export function AppForm({
  app,
  submitLabel,
  busy,
  problem,
  onSubmit,
}: {
  app?: App;
  submitLabel: string;
  busy: boolean;
  problem: ProblemError | null;
  onSubmit: (fields: AppFields) => void;
}) {
  const scopes = useLoad(() => call<Named[]>('GET', '/scopes'), []);
  const [name, setName] = useState(app?.name ?? '');
  const [description, setDescription] = useState(app?.description ?? '');
  const [uris, setUris] = useState((app?.redirect_uris ?? []).join('\n'));
  const [chosen, setChosen] = useState<string[]>(app?.scopes ?? []);

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit({
      name,
      description,
      redirect_uris: uris.split('\n').map((u) => u.trim()).filter(Boolean),
      scopes: chosen,
    });
  }

  return (
    <form onSubmit={submit} aria-label={submitLabel}>
      <Stack maw={560}>
        {problem && <ProblemAlert error={problem} />}
        {scopes.error && <ProblemAlert error={scopes.error} />}
        <TextInput label="Name" name="name" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(problem, 'name')} />
        <Textarea label="Description" name="description" autosize minRows={2} value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={fieldError(problem, 'description')} />
        <Textarea
          label="Redirect URIs"
          name="redirect_uris"
          description="One a line; only for apps that sign users in."
          autosize
          minRows={2}
          value={uris}
          onChange={(e) => setUris(e.currentTarget.value)}
          error={fieldError(problem, 'redirect_uris')}
        />
        <MultiSelect
          label="Scopes"
          description="What the app's tokens may do."
          data={(scopes.data ?? []).map((s) => ({ value: s.name, label: s.description ? `${s.name} — ${s.description}` : s.name }))}
          value={chosen}
          onChange={setChosen}
          searchable
          clearable
          error={fieldError(problem, 'scopes')}
        />
        <Group>
          <Button type="submit" loading={busy}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
