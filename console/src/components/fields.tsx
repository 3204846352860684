// One form field of a resource page, by kind.
import { lazy, Suspense } from 'react';
import {
  ActionIcon,
  Button,
  Group,
  Input,
  Loader,
  MultiSelect,
  NumberInput,
  PasswordInput,
  Select,
  Stack,
  Switch,
  TextInput,
  Textarea,
} from '@mantine/core';
import type { FieldError } from '../api/problem';
import type { Field } from './types';
import { useOptions } from './options';
import { UploadField } from './Upload';

const JsonEditor = lazy(() => import('./JsonEditor'));

interface Props {
  field: Field;
  value: unknown;
  onChange: (value: unknown) => void;
  errors?: FieldError[];
  disabled?: boolean;
}

export function FieldInput({ field, value, onChange, errors, disabled }: Props) {
  const options = useOptions(field.source);
  const choices = [...new Set([...(field.options ?? []), ...options, ...currentChoices(value)])];
  const error = errors?.length && field.kind !== 'json' ? errors.map((e) => e.message).join('; ') : undefined;
  const common = {
    label: field.label,
    description: field.description,
    required: field.required,
    error,
    name: field.name,
    disabled,
  };
  switch (field.kind) {
    case 'text':
      return (
        <TextInput
          {...common}
          placeholder={field.placeholder}
          value={String(value ?? '')}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      );
    case 'textarea':
      return (
        <Textarea
          {...common}
          autosize
          minRows={2}
          placeholder={field.placeholder}
          value={String(value ?? '')}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      );
    case 'secret':
      return (
        <PasswordInput
          {...common}
          autoComplete="new-password"
          placeholder={field.isSet ? 'set — leave empty to keep, type to replace' : 'not set'}
          value={String(value ?? '')}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      );
    case 'number':
      return (
        <NumberInput
          {...common}
          placeholder={field.placeholder}
          value={value === null || value === undefined ? '' : Number(value)}
          onChange={(v) => onChange(v === '' ? null : Number(v))}
          allowDecimal={false}
        />
      );
    case 'switch':
      return (
        <Switch
          label={field.label}
          description={field.description}
          name={field.name}
          error={error}
          disabled={disabled}
          checked={Boolean(value)}
          onChange={(e) => onChange(e.currentTarget.checked)}
        />
      );
    case 'select':
      return (
        <Select
          {...common}
          data={choices}
          searchable
          clearable={!field.required}
          placeholder={field.placeholder ?? 'none'}
          value={value ? String(value) : null}
          onChange={(v) => onChange(v ?? '')}
          nothingFoundMessage="Nothing matches"
        />
      );
    case 'multiselect':
      return (
        <MultiSelect
          {...common}
          data={choices}
          searchable
          placeholder={field.placeholder}
          value={Array.isArray(value) ? (value as string[]) : []}
          onChange={onChange}
          nothingFoundMessage="Nothing matches"
        />
      );
    case 'pairs':
      return <PairsInput field={field} value={value} onChange={onChange} error={error} choices={choices} disabled={disabled} />;
    case 'file':
      return <UploadField label={field.label} description={field.description} file={value as File | undefined} onChange={onChange} disabled={disabled} />;
    case 'json':
      return (
        <Input.Wrapper label={field.label} description={field.description} required={field.required}>
          <Suspense fallback={<Loader role="status" size="sm" />}>
            <JsonEditor
              name={field.name}
              label={field.label}
              value={String(value ?? '')}
              onChange={onChange}
              errors={errors}
              jsonSchema={field.jsonSchema}
              readOnly={disabled}
            />
          </Suspense>
        </Input.Wrapper>
      );
  }
}

function currentChoices(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string' && value) return [value];
  return [];
}

type Pair = [string, string];

/** Rows of a key and a value: a status code and a schema, a header and its value. */
function PairsInput({
  field,
  value,
  onChange,
  error,
  choices,
  disabled,
}: {
  field: Field;
  value: unknown;
  onChange: (value: unknown) => void;
  error?: string;
  choices: string[];
  disabled?: boolean;
}) {
  const rows = (Array.isArray(value) ? value : []) as Pair[];
  const set = (i: number, pair: Pair) => onChange(rows.map((r, j) => (j === i ? pair : r)));
  return (
    <Input.Wrapper label={field.label} description={field.description} error={error}>
      <Stack gap={6} mt={4}>
        {rows.map(([k, v], i) => (
          <Group key={i} gap="xs" wrap="nowrap" align="flex-start">
            <TextInput
              aria-label={`${field.label} ${field.keyLabel ?? 'key'} ${i + 1}`}
              placeholder={field.keyLabel ?? 'key'}
              value={k}
              w={110}
              disabled={disabled}
              onChange={(e) => set(i, [e.currentTarget.value, v])}
            />
            {field.source ? (
              <Select
                aria-label={`${field.label} value ${i + 1}`}
                data={choices}
                searchable
                style={{ flex: 1 }}
                value={v || null}
                disabled={disabled}
                onChange={(c) => set(i, [k, c ?? ''])}
              />
            ) : (
              <TextInput
                aria-label={`${field.label} value ${i + 1}`}
                style={{ flex: 1 }}
                value={v}
                disabled={disabled}
                onChange={(e) => set(i, [k, e.currentTarget.value])}
              />
            )}
            <ActionIcon
              variant="subtle"
              color="red"
              mt={6}
              aria-label={`Remove ${field.label} row ${i + 1}`}
              disabled={disabled}
              onClick={() => onChange(rows.filter((_, j) => j !== i))}
            >
              ×
            </ActionIcon>
          </Group>
        ))}
        <div>
          <Button size="xs" variant="light" disabled={disabled} onClick={() => onChange([...rows, ['', '']])}>
            Add {field.keyLabel ?? 'row'}
          </Button>
        </div>
      </Stack>
    </Input.Wrapper>
  );
}
