// The response an action returns (WIT `response`).

import { stringify, toBytes } from './json.js';

/** `init` of the static constructors: a status, or `{status, headers}`. */
function resolve(init, status) {
  if (typeof init === 'number') return { status: init, headers: [] };
  const headers = init?.headers ?? [];
  return {
    status: init?.status ?? status,
    headers: Array.isArray(headers) ? headers.map(([k, v]) => [k, String(v)]) : Object.entries(headers).map(([k, v]) => [k, String(v)]),
  };
}

/** The response an action returns (WIT `response`). */
export class Response {
  /**
   * @param {number} [status] HTTP status, 100–599.
   * @param {Array<[string, string]>} [headers] hop-by-hop ones are dropped by the host.
   * @param {string | Uint8Array | ArrayBuffer} [body]
   */
  constructor(status = 200, headers = [], body = new Uint8Array(0)) {
    this.status = status;
    this.headers = headers.map(([k, v]) => [k, String(v)]);
    this.body = toBytes(body);
  }

  /** `value` as JSON with `content-type: application/json` (a `bigint` is a JSON number). */
  static json(value, init) {
    const { status, headers } = resolve(init, 200);
    return new Response(status, [['content-type', 'application/json'], ...headers], stringify(value));
  }

  /** Plain text with `content-type: text/plain; charset=utf-8`. */
  static text(text, init) {
    const { status, headers } = resolve(init, 200);
    return new Response(status, [['content-type', 'text/plain; charset=utf-8'], ...headers], String(text));
  }

  /** Raw bytes of `contentType`. */
  static bytes(contentType, body, init) {
    const { status, headers } = resolve(init, 200);
    return new Response(status, [['content-type', contentType], ...headers], body);
  }

  /** 204 with no body. */
  static noContent() {
    return new Response(204);
  }

  /** Adds a header and returns the response. */
  withHeader(name, value) {
    this.headers.push([name, String(value)]);
    return this;
  }
}
