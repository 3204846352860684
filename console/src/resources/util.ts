// Shared conversions between form values and the admin API's bodies.
import { ProblemError } from '../api/problem';
import type { Field, Values } from '../components/types';

/** The JSON text of a field, parsed; `undefined` when empty. A field error when it is not JSON. */
export function parseJson(values: Values, field: string): unknown {
  const text = String(values[field] ?? '').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ProblemError({
      title: 'Invalid JSON',
      detail: `${field} is not valid JSON`,
      errors: [{ pointer: `/${field}`, message: e instanceof Error ? e.message : 'not valid JSON' }],
    });
  }
}

/** A value as pretty JSON text for an editor ('' for undefined). */
export function jsonText(value: unknown): string {
  return value === undefined || value === null ? '' : JSON.stringify(value, null, 2);
}

/** A string field, or `undefined` when empty (so the server's default applies). */
export function optional(values: Values, field: string): string | undefined {
  const text = String(values[field] ?? '').trim();
  return text ? text : undefined;
}

/** A number field, or `undefined` when empty. */
export function optionalNumber(values: Values, field: string): number | undefined {
  const v = values[field];
  return v === null || v === undefined || v === '' ? undefined : Number(v);
}

/** Rows of [key, value] as an object, skipping rows without a key. */
export function pairsToObject(rows: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of (Array.isArray(rows) ? rows : []) as [string, string][]) if (k.trim()) out[k.trim()] = v;
  return out;
}

/** An object as [key, value] rows (a schema reference shown by name, else as JSON). */
export function objectToPairs(object: unknown): [string, string][] {
  if (!object || typeof object !== 'object') return [];
  return Object.entries(object as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
}

/** A Unix ms time as local date and time. */
export function when(ms: number | null | undefined): string {
  return ms ? new Date(ms).toLocaleString() : '—';
}

/** An RFC 3339 time as local date and time. */
export function whenText(text: string | null | undefined): string {
  return text ? new Date(text).toLocaleString() : '—';
}

/** A byte count for people. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The name field most resources share: set when created, fixed after. */
export const NAME_FIELD: Field = { name: 'name', label: 'Name', kind: 'text', required: true, createOnly: true };

/** The free-text description most resources share. */
export const DESCRIPTION_FIELD: Field = { name: 'description', label: 'Description', kind: 'textarea' };
