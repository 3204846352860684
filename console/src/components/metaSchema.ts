// Checks a value against the JSON Schema 2020-12 meta-schema with the
// validator Ajv compiled at build time (tools/meta-validator.mjs).
import validate from '../generated/meta-2020-12.js';

interface AjvError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

type Validate = ((value: unknown) => boolean) & { errors?: AjvError[] | null };

/** The first error at each place where `value` is not a valid JSON Schema. */
export function metaErrors(value: unknown): { pointer: string; message: string }[] {
  const check = validate as unknown as Validate;
  if (check(value)) return [];
  const seen = new Set<string>();
  const out: { pointer: string; message: string }[] = [];
  for (const e of check.errors ?? []) {
    if (seen.has(e.instancePath)) continue;
    seen.add(e.instancePath);
    const allowed = Array.isArray(e.params?.allowedValues) ? `: ${(e.params.allowedValues as unknown[]).join(', ')}` : '';
    out.push({
      pointer: e.instancePath,
      message: `not a valid JSON Schema 2020-12 at ${e.instancePath || '/'}: ${e.message ?? 'invalid'}${allowed}`,
    });
  }
  return out;
}
