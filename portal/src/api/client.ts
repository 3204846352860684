// Calls to the consumer API (/consumer) with the signed-in consumer's
// bearer token; a failure is a ProblemError carrying the server's problem
// (RFC 9457), so every form can show the message and the field.
import { callJson } from '../../../web-shared/call';
import { session } from '../auth';

/** `method /consumer{path}` with `body` as JSON; the answer's JSON (undefined for 204). */
export function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  return callJson<T>(method, `/consumer${path}`, { body, token: session.accessToken(), onUnauthorized: () => session.expired() });
}

/** `?key=value&…` of the defined values, or ''. */
export function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}
