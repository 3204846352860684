// Problem details (RFC 9457) as the server sends them, and the error the
// console and the portal throw for them. Shared by both apps (imported
// from console/ and portal/): it depends on nothing but the DOM.

/** One invalid value: a JSON pointer (RFC 6901) from the request body's root. */
export interface FieldError {
  pointer: string;
  message: string;
}

/** An `application/problem+json` body. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  request_id?: string;
  errors?: FieldError[];
}

/** A failed call: the server's problem, or a network failure as one. */
export class ProblemError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status ?? '?'}`);
    // The admin API names an error's text `message`, the consumer API
    // `detail`: one name from here on.
    const errors = (problem.errors ?? []) as (FieldError & { detail?: string })[];
    this.problem = { ...problem, errors: errors.map((e) => ({ pointer: e.pointer, message: e.message ?? e.detail ?? '' })) };
  }

  /** The errors whose pointer starts with `/field`, keyed by field. */
  fieldErrors(): Record<string, FieldError[]> {
    const out: Record<string, FieldError[]> = {};
    for (const e of this.problem.errors ?? []) {
      const field = e.pointer.split('/')[1] ?? '';
      (out[field] ??= []).push(e);
    }
    return out;
  }
}

/** Turns anything thrown into a ProblemError, so every failure has a message. */
export function asProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new ProblemError({ title: 'Request failed', detail: `the server could not be reached (${detail})` });
}
