// One JSON call to this server with a bearer token, failing with a
// ProblemError that carries the server's problem (RFC 9457). Shared by the
// portal's consumer API calls and the console's untyped admin calls.
import { ProblemError, type Problem } from './problem';

/** What a call needs besides its method and URL. */
export interface CallOptions {
  /** Sent as JSON when given. */
  body?: unknown;
  /** The bearer token, when signed in. */
  token?: string | null;
  /** Told when the server refuses the token (401), to end the session. */
  onUnauthorized?: () => void;
}

/** `method url` as JSON; the answer's JSON (undefined for an empty body, as 204 has). */
export async function callJson<T>(method: string, url: string, { body, token, onUnauthorized }: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ProblemError({
      title: 'Network error',
      detail: `the server could not be reached (${e instanceof Error ? e.message : String(e)})`,
    });
  }
  if (response.status === 401 && token) onUnauthorized?.();
  const text = await response.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  if (!response.ok) {
    const problem: Problem =
      data && typeof data === 'object'
        ? (data as Problem)
        : { status: response.status, detail: typeof data === 'string' && data ? data : response.statusText };
    problem.status ??= response.status;
    throw new ProblemError(problem);
  }
  return data as T;
}
