// The admin API client, typed from runtime/openapi/admin.yaml by
// openapi-typescript: a route or field the server changes breaks the
// console's build, not its users.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './admin';
import { ProblemError, type Problem } from './problem';
import { session } from '../auth';

export type Schemas = components['schemas'];

const auth: Middleware = {
  onRequest({ request }) {
    const token = session.accessToken();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
  async onResponse({ request, response }) {
    if (response.status !== 401) return response;
    // The access token may be refused while the session lives on (its
    // signing key was deleted): refresh once and send a bodiless request
    // again; else the session has ended, back to the sign-in form.
    if (await session.renew()) {
      if (request.bodyUsed) return response;
      const retry = new Request(request);
      retry.headers.set('Authorization', `Bearer ${session.accessToken()}`);
      return fetch(retry);
    }
    session.expired();
    return response;
  },
};

/** The admin API at /admin, with the signed-in user's bearer token. */
export const api = createClient<paths>({ baseUrl: '/admin' });
api.use(auth);

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's data, or a ProblemError carrying the server's problem. */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch (e) {
    throw new ProblemError({
      title: 'Network error',
      detail: `the server could not be reached (${e instanceof Error ? e.message : String(e)})`,
    });
  }
  if (answer.error !== undefined || !answer.response.ok) {
    const body = answer.error;
    const problem: Problem =
      body && typeof body === 'object'
        ? (body as Problem)
        : { status: answer.response.status, detail: typeof body === 'string' && body ? body : answer.response.statusText };
    problem.status ??= answer.response.status;
    throw new ProblemError(problem);
  }
  return answer.data as T;
}
