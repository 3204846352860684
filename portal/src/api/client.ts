// Calls to the consumer API (/consumer) with the signed-in consumer's
// bearer token; a failure is a ProblemError carrying the server's problem
// (RFC 9457), so every form can show the message and the field.
import { ProblemError, type Problem } from '../../../web-shared/problem';
import { session } from '../auth';

/** `method path` of the consumer API with `body` as JSON; the answer's JSON (undefined for 204). */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = session.accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/consumer${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ProblemError({
      title: 'Network error',
      detail: `the server could not be reached (${e instanceof Error ? e.message : String(e)})`,
    });
  }
  // An expired or revoked session: back to the sign-in form.
  if (response.status === 401 && token) session.expired();
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

/** `?key=value&…` of the defined values, or ''. */
export function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}
