// A resource's pages: the list (/console/<key>, with search), a new item
// (/console/<key>/new) and an item (/console/<key>/<name>) with its form,
// delete, and the resource's own panels.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import {
  Alert,
  Anchor,
  Breadcrumbs,
  Button,
  Group,
  Loader,
  Modal,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { Link, Route, Switch, useLocation, useSearch } from 'wouter';
import { asProblem, type FieldError, type ProblemError } from '../api/problem';
import type { Resource, Values } from './types';
import { FieldInput } from './fields';
import { invalidateOptions } from './options';
import { ProblemAlert } from './ProblemAlert';
import { useLoad } from './useLoad';

/** What a create answered, shown once on the new item's page (a secret). */
let created: { key: string; id: string; result: unknown } | null = null;

export function ResourceRoutes({ resource }: { resource: Resource }) {
  return (
    <Switch>
      <Route path="/">
        <ListView resource={resource} />
      </Route>
      <Route path="/new">
        <ItemView resource={resource} />
      </Route>
      <Route path="/:id">{(params) => <ItemView key={params.id} resource={resource} id={decodeURIComponent(params.id)} />}</Route>
    </Switch>
  );
}

function ListView({ resource }: { resource: Resource }) {
  const { data, error, loading } = useLoad(resource.list, [resource]);
  const search = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const [query, setQuery] = useState(search.get('q') ?? '');
  const items = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (data ?? []).filter((item) => !q || resource.search(item).toLowerCase().includes(q));
  }, [data, query, resource]);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{resource.title}</Title>
        {resource.create && (
          <Button component={Link} href="/new">
            New {resource.singular}
          </Button>
        )}
      </Group>
      {resource.intro}
      <TextInput
        aria-label={`Search ${resource.title.toLowerCase()}`}
        placeholder={`Search ${resource.title.toLowerCase()}`}
        value={query}
        onChange={(e) => {
          setQuery(e.currentTarget.value);
          const q = e.currentTarget.value;
          navigate(q ? `?q=${encodeURIComponent(q)}` : '', { replace: true });
        }}
      />
      {error && <ProblemAlert error={error} />}
      {loading && !data ? (
        <Loader role="status" aria-label="Loading" />
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table highlightOnHover striped aria-label={resource.title}>
            <Table.Thead>
              <Table.Tr>
                {resource.columns.map((c) => (
                  <Table.Th key={c.label}>{c.label}</Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((item) => {
                const id = resource.id(item);
                return (
                  <Table.Tr key={id} data-clickable onClick={() => navigate(`/${encodeURIComponent(id)}`)}>
                    {resource.columns.map((c, i) => (
                      <Table.Td key={c.label}>
                        {i === 0 ? (
                          <Anchor component={Link} href={`/${encodeURIComponent(id)}`} onClick={(e: React.MouseEvent) => e.stopPropagation()}>
                            {c.render(item)}
                          </Anchor>
                        ) : (
                          c.render(item)
                        )}
                      </Table.Td>
                    ))}
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
          {items.length === 0 && (
            <Text c="dimmed" size="sm" p="sm">
              {data?.length ? 'Nothing matches the search.' : `No ${resource.title.toLowerCase()} yet.`}
            </Text>
          )}
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

function ItemView({ resource, id }: { resource: Resource; id?: string }) {
  const isNew = id === undefined;
  const { data: item, error: loadError, loading, reload } = useLoad(
    () => (isNew ? Promise.resolve(undefined) : resource.get(id)),
    [resource, id],
  );
  const [values, setValues] = useState<Values>(() => resource.values());
  const [problem, setProblem] = useState<ProblemError | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const [, navigate] = useLocation();
  const [shown] = useState(() => {
    // A secret from the create that led here: shown on this visit only.
    if (created && created.key === resource.key && created.id === id) {
      const result = created.result;
      created = null;
      return result;
    }
    return undefined;
  });

  useEffect(() => {
    if (item) setValues(resource.values(item));
  }, [item, resource]);

  const fieldErrors = problem?.fieldErrors() ?? {};
  const fields = resource.fields(values, item);
  const known = new Set(fields.map((f) => f.name));
  const stray: FieldError[] = Object.entries(fieldErrors)
    .filter(([k]) => !known.has(k))
    .flatMap(([, v]) => v);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    setSaved(false);
    try {
      if (isNew) {
        const result = await resource.create!(values);
        invalidateOptions();
        const newId = String(values.name ?? '');
        created = { key: resource.key, id: newId, result };
        navigate(`/${encodeURIComponent(newId)}`);
      } else {
        await resource.update!(id, values, item);
        invalidateOptions();
        setSaved(true);
        reload();
      }
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    try {
      await resource.remove!(id!);
      invalidateOptions();
      navigate('/');
    } catch (e) {
      setProblem(asProblem(e));
      setConfirm(false);
      setBusy(false);
    }
  }

  const title = isNew ? `New ${resource.singular}` : id;
  const readOnly = !isNew && (!resource.update || (item !== undefined && resource.readOnly?.(item) === true));
  return (
    <Stack>
      <Breadcrumbs>
        <Anchor component={Link} href="/">
          {resource.title}
        </Anchor>
        <Text>{title}</Text>
      </Breadcrumbs>
      <Title order={2}>{title}</Title>
      {loadError && <ProblemAlert error={loadError} />}
      {shown !== undefined && resource.Created && <resource.Created result={shown} />}
      {loading && !isNew && !item ? (
        <Loader role="status" aria-label="Loading" />
      ) : (
        (isNew || item) && (
          <>
            <Paper withBorder p="md">
              <form onSubmit={submit} aria-label={`${resource.singular} form`} noValidate>
                <Stack>
                  {problem && <ProblemAlert error={problem} extra={stray} />}
                  {saved && (
                    <Alert color="green" role="status" withCloseButton onClose={() => setSaved(false)}>
                      Saved.
                    </Alert>
                  )}
                  {fields.map((field) => (
                    <FieldInput
                      key={field.name}
                      field={field}
                      value={values[field.name]}
                      errors={fieldErrors[field.name]}
                      disabled={busy || readOnly || (!isNew && field.createOnly)}
                      onChange={(v) => setValues((old) => ({ ...old, [field.name]: v }))}
                    />
                  ))}
                  <Group>
                    {!readOnly && (
                      <Button type="submit" loading={busy}>
                        {isNew ? `Create ${resource.singular}` : 'Save'}
                      </Button>
                    )}
                    {!isNew && !readOnly && resource.remove && (
                      <Button color="red" variant="light" disabled={busy} onClick={() => setConfirm(true)}>
                        Delete
                      </Button>
                    )}
                  </Group>
                </Stack>
              </form>
            </Paper>
            {item && resource.Extras && <resource.Extras item={item} reload={reload} />}
          </>
        )
      )}
      <Modal opened={confirm} onClose={() => setConfirm(false)} title={`Delete ${resource.singular} ${id}?`}>
        <Stack>
          <Text size="sm">This cannot be undone.</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirm(false)}>
              Cancel
            </Button>
            <Button color="red" loading={busy} onClick={() => void remove()} data-autofocus>
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
