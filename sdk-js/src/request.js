// The request an action receives (WIT `request`) and who sent it (`context`).

import { InvalidInput } from './errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Who and what invoked the action (WIT `context`). */
export class Context {
  constructor(inner) {
    /** `http`, `cron`, `event` or `execute`. */
    this.kind = inner.kind;
    /** The operation, cronjob or trigger that invoked it ("" for execute). */
    this.operation = inner.operation;
    /** The request id, also in every host log line of this invocation. */
    this.requestId = inner.requestId;
    let config = {};
    try {
      config = inner.config ? JSON.parse(inner.config) : {};
    } catch {
      config = {};
    }
    /** The action's config (set by an admin), parsed: an object, `{}` when unset. */
    this.config = config;
    /** The app whose token made the request, or `undefined`. */
    this.app = inner.app ?? undefined;
    /** The user the token acts for, or `undefined`. */
    this.user = inner.user ?? undefined;
    /** The token's scopes, sorted; empty without a token. */
    this.scopes = [...inner.scopes];
  }

  /** Whether the caller's token holds `scope`. */
  hasScope(scope) {
    return this.scopes.includes(scope);
  }
}

/** One invocation's request (WIT `request`). */
export class Request {
  constructor(inner) {
    /** HTTP method in upper case, e.g. `GET`. */
    this.method = inner.method;
    /** The path without the query string, e.g. `/hello/ada`. */
    this.path = inner.path;
    /** Path parameters from the operation's `:name` segments. */
    this.params = Object.fromEntries(inner.params);
    /** Query pairs `[name, value]` in order; a name may repeat. */
    this.queryPairs = inner.query.map(([k, v]) => [k, v]);
    /** Headers `[name, value]` with lower-case names; a name may repeat. */
    this.headers = inner.headers.map(([k, v]) => [k, v]);
    /** The raw body. */
    this.body = inner.body instanceof Uint8Array ? inner.body : new Uint8Array(inner.body);
    /** Who and what invoked the action. */
    this.context = new Context(inner.context);
  }

  /** The path parameter `name`, or `undefined`. */
  param(name) {
    return Object.hasOwn(this.params, name) ? this.params[name] : undefined;
  }

  /** The first query value for `name`, or `undefined`. */
  query(name) {
    return this.queryPairs.find(([k]) => k === name)?.[1];
  }

  /** Every query value for `name`, in order. */
  queryAll(name) {
    return this.queryPairs.filter(([k]) => k === name).map(([, v]) => v);
  }

  /** The first value of header `name` (case-insensitive), or `undefined`. */
  header(name) {
    const lower = name.toLowerCase();
    return this.headers.find(([k]) => k === lower)?.[1];
  }

  /** The client's address as the host resolved it (`sluice-client-ip`). */
  get clientIp() {
    return this.header('sluice-client-ip');
  }

  /** The body as UTF-8 text; `InvalidInput` (400) when it is not UTF-8. */
  text() {
    try {
      return decoder.decode(this.body);
    } catch (e) {
      throw new InvalidInput(`the body is not UTF-8: ${e.message}`);
    }
  }

  /** The body parsed as JSON; `InvalidInput` (400) when it is not JSON. */
  json() {
    const text = this.text();
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new InvalidInput(`the body is not valid JSON: ${e.message}`);
    }
  }
}
