// Outbound HTTP through an `http` connection (WIT `http`): the path is
// resolved against the connection's base URL and cannot leave it.

import { send } from 'sluice:action/http@0.1.0';
import { hostCall } from './errors.js';
import { stringify, toBytes } from './json.js';

const MESSAGES = {
  'access-denied': 'access denied: {}',
  'no-such-connection': 'no such connection: {}',
  timeout: 'the upstream did not answer in time',
  'response-too-large': "the upstream's answer is larger than {} bytes",
  'connect-failed': 'the upstream is unreachable: {}',
  'invalid-request': 'invalid request: {}',
};
const UNAVAILABLE = ['timeout', 'connect-failed', 'response-too-large'];

const decoder = new TextDecoder();

/** An upstream's answer. */
export class HttpResponse {
  constructor(inner) {
    /** The upstream's status. */
    this.status = inner.status;
    /** Headers `[name, value]` with lower-case names. */
    this.headers = inner.headers.map(([k, v]) => [k, v]);
    /** The body. */
    this.body = inner.body instanceof Uint8Array ? inner.body : new Uint8Array(inner.body);
  }

  /** Whether the status is 2xx. */
  get ok() {
    return this.status >= 200 && this.status < 300;
  }

  /** The first value of header `name` (case-insensitive), or `undefined`. */
  header(name) {
    const lower = name.toLowerCase();
    return this.headers.find(([k]) => k.toLowerCase() === lower)?.[1];
  }

  /** The body as UTF-8 (invalid bytes replaced). */
  text() {
    return decoder.decode(this.body);
  }

  /** The body parsed as JSON (a `SyntaxError` when it is not). */
  json() {
    return JSON.parse(this.text());
  }
}

function pairs(value) {
  if (!value) return [];
  return (Array.isArray(value) ? value : Object.entries(value)).map(([k, v]) => [k, String(v)]);
}

/**
 * Sends `method path` through `connection`. `options`: `query` and
 * `headers` (objects or `[name, value]` arrays), `body` (string or bytes)
 * or `json` (any value, sent with its content type). Throws `HostError`;
 * an upstream's 4xx or 5xx is an answer, not an error.
 */
export function request(connection, method, path, options = {}) {
  const headers = pairs(options.headers);
  let body = options.body;
  if (options.json !== undefined) {
    body = stringify(options.json);
    headers.push(['content-type', 'application/json']);
  }
  const outgoing = {
    method: method.toUpperCase(),
    path,
    query: pairs(options.query),
    headers,
    body: toBytes(body),
  };
  return new HttpResponse(hostCall(() => send(connection, outgoing), MESSAGES, UNAVAILABLE));
}

/** `GET` through `connection`. */
export const get = (connection, path, options) => request(connection, 'GET', path, options);
/** `POST` through `connection`. */
export const post = (connection, path, options) => request(connection, 'POST', path, options);
/** `PUT` through `connection`. */
export const put = (connection, path, options) => request(connection, 'PUT', path, options);
/** `PATCH` through `connection`. */
export const patch = (connection, path, options) => request(connection, 'PATCH', path, options);
/** `DELETE` through `connection` (`delete` is a reserved word: `http.del`). */
export const del = (connection, path, options) => request(connection, 'DELETE', path, options);
export { del as delete };
