// Types of @sluice/sdk, written against wit/action.wit (sluice:action@0.1.0).

/** How the action was invoked (WIT `invocation-kind`). */
export type InvocationKind = 'http' | 'cron' | 'event' | 'execute';

/** A value bound to a SQL parameter: `null`/`undefined` is SQL NULL; a safe integer or a `bigint` binds as a 64-bit integer, another number as a float. */
export type SqlParam = null | undefined | boolean | number | bigint | string | Uint8Array | ArrayBuffer | ArrayBufferView;

/** A value read from a column: integers beyond 2^53 arrive as `bigint`. */
export type SqlValue = null | boolean | number | bigint | string | Uint8Array;

/** A row: column name → value. */
export type Row = Record<string, SqlValue>;

/** A response body: text is sent as UTF-8. */
export type Body = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/** Headers as `[name, value]` pairs or an object. */
export type HeaderInit = Array<[string, string]> | Record<string, string | number>;

/** The second argument of `Response.json/text/bytes`: a status, or a status and headers. */
export type ResponseInit = number | { status?: number; headers?: HeaderInit };

/** Who and what invoked the action (WIT `context`). */
export declare class Context {
  /** How the action was invoked. */
  readonly kind: InvocationKind;
  /** The operation, cronjob or trigger that invoked it ("" for execute). */
  readonly operation: string;
  /** The request id, also in every host log line of this invocation. */
  readonly requestId: string;
  /** The action's config (set by an admin), parsed; `{}` when unset. */
  readonly config: Record<string, unknown>;
  /** The app whose token made the request. */
  readonly app: string | undefined;
  /** The user the token acts for. */
  readonly user: string | undefined;
  /** The token's scopes, sorted; empty without a token. */
  readonly scopes: string[];
  /** Whether the caller's token holds `scope`. */
  hasScope(scope: string): boolean;
}

/** One invocation's request (WIT `request`). */
export declare class Request {
  /** HTTP method in upper case, e.g. `GET`. */
  readonly method: string;
  /** The path without the query string, e.g. `/hello/ada`. */
  readonly path: string;
  /** Path parameters from the operation's `:name` segments, percent-decoded. */
  readonly params: Record<string, string>;
  /** Query pairs in order, percent-decoded; a name may repeat. */
  readonly queryPairs: Array<[string, string]>;
  /** Headers with lower-case names; a name may repeat. */
  readonly headers: Array<[string, string]>;
  /** The raw body; empty when there is none. */
  readonly body: Uint8Array;
  /** Who and what invoked the action. */
  readonly context: Context;
  /** The path parameter `name`. */
  param(name: string): string | undefined;
  /** The first query value for `name`. */
  query(name: string): string | undefined;
  /** Every query value for `name`, in order. */
  queryAll(name: string): string[];
  /** The first value of header `name` (case-insensitive). */
  header(name: string): string | undefined;
  /** The client's address as the host resolved it (header `sluice-client-ip`). */
  readonly clientIp: string | undefined;
  /** The body as UTF-8; throws `InvalidInput` (400) when it is not. */
  text(): string;
  /** The body parsed as JSON; throws `InvalidInput` (400) when it is not JSON. */
  json<T = any>(): T;
}

/** The response an action returns (WIT `response`). */
export declare class Response {
  /** HTTP status, 100–599. */
  status: number;
  /** Headers; hop-by-hop ones are dropped by the host. */
  headers: Array<[string, string]>;
  /** The body bytes. */
  body: Uint8Array;
  constructor(status?: number, headers?: Array<[string, string]>, body?: Body);
  /** `value` as JSON (`content-type: application/json`; a `bigint` is written as a JSON number). */
  static json(value: unknown, init?: ResponseInit): Response;
  /** Plain text (`content-type: text/plain; charset=utf-8`). */
  static text(text: string, init?: ResponseInit): Response;
  /** Raw bytes of `contentType`. */
  static bytes(contentType: string, body: Body, init?: ResponseInit): Response;
  /** 204 with no body. */
  static noContent(): Response;
  /** Adds a header and returns the response. */
  withHeader(name: string, value: string | number): Response;
}

/** The WIT `handler` export that `action()` builds. */
export interface Handler {
  /** Called by the host once per fresh instance. */
  handle(request: unknown): unknown;
}

/**
 * Makes `handle` the action; export the result as `handler`:
 * `export const handler = action((req) => Response.json({ ok: true }))`.
 * A thrown `SluiceError` answers with its status as a problem; anything
 * else thrown is a 500 whose detail is its message (the stack goes to the
 * host log only). Host calls are synchronous; a returned Promise is a 500.
 */
export declare function action(handle: (req: Request) => Response): Handler;

/** Base of the errors that map to a status; `message` is the problem's `detail`. */
export declare class SluiceError extends Error {
  /** The problem's HTTP status. */
  readonly status: number;
  constructor(message: string, status?: number);
}
/** The input is invalid (400). */
export declare class InvalidInput extends SluiceError { constructor(message: string); }
/** The caller may not do this (403). */
export declare class Forbidden extends SluiceError { constructor(message: string); }
/** The addressed resource does not exist (404). */
export declare class NotFound extends SluiceError { constructor(message: string); }
/** The request conflicts with the current state (409). */
export declare class Conflict extends SluiceError { constructor(message: string); }
/** A backend the action depends on is unavailable (503). */
export declare class Unavailable extends SluiceError { constructor(message: string); }
/** Anything else (500). */
export declare class Internal extends SluiceError { constructor(message: string); }
/**
 * A host call failed. `kind` is the WIT error case (`timeout`,
 * `query-failed`, `access-denied` …); `status` is 503 when the backend is
 * unreachable or slow, 400 for caller input, else 500.
 */
export declare class HostError extends SluiceError {
  readonly kind: string;
  /** The SQLSTATE of a `query-failed` error, where the database gives one. */
  readonly sqlstate?: string;
  constructor(kind: string, message: string, status: number);
}

/** SQL through granted `sql` connections (WIT `sql`); parameters are always bound, written `?`. */
export declare namespace sql {
  /** What a statement changed. */
  export interface ExecResult {
    /** Rows inserted, updated or deleted. */
    rowsAffected: number;
    /** The last inserted row's id where the database reports one (SQLite, MySQL). */
    lastInsertId: number | bigint | undefined;
  }
  /** An open connection; an uncommitted transaction is rolled back when the invocation ends. */
  class Connection {
    /** Rows of a statement that returns rows. Throws `HostError`. */
    query<R extends Row = Row>(statement: string, params?: SqlParam[]): R[];
    /** The first row, or `undefined`. */
    queryOne<R extends Row = Row>(statement: string, params?: SqlParam[]): R | undefined;
    /** Runs a statement that changes rows. Throws `HostError`. */
    execute(statement: string, params?: SqlParam[]): ExecResult;
    /** Runs `fn` in a transaction: commit when it returns, rollback and rethrow when it throws. */
    transaction<T>(fn: (db: Connection) => T): T;
  }
  /** Opens the connection `name`; `HostError` (`access-denied`) when the action is not granted it. */
  export function open(name: string): Connection;
}

/** Outbound HTTP through granted `http` connections (WIT `http`); paths cannot leave the base URL. */
export declare namespace http {
  /** Options of a request. */
  export interface Options {
    /** Query pairs, encoded by the host. */
    query?: HeaderInit;
    /** Extra headers (the connection's credentials are added by the host). */
    headers?: HeaderInit;
    /** The body. */
    body?: Body;
    /** A value sent as JSON with `content-type: application/json`. */
    json?: unknown;
  }
  /** An upstream's answer; a 4xx or 5xx is an answer, not an error. */
  class HttpResponse {
    readonly status: number;
    readonly headers: Array<[string, string]>;
    readonly body: Uint8Array;
    /** Whether the status is 2xx. */
    readonly ok: boolean;
    header(name: string): string | undefined;
    text(): string;
    json<T = any>(): T;
  }
  /** Sends `method path` through `connection`. Throws `HostError`. */
  export function request(connection: string, method: string, path: string, options?: Options): HttpResponse;
  export function get(connection: string, path: string, options?: Options): HttpResponse;
  export function post(connection: string, path: string, options?: Options): HttpResponse;
  export function put(connection: string, path: string, options?: Options): HttpResponse;
  export function patch(connection: string, path: string, options?: Options): HttpResponse;
  /** `DELETE`; also exported as `http.delete`. */
  export function del(connection: string, path: string, options?: Options): HttpResponse;
  export { del as delete };
}

/** Key-value storage through granted `kv` connections (WIT `kv`). */
export declare namespace kv {
  /** The value as bytes, or `undefined` when absent or expired. */
  export function get(connection: string, key: string): Uint8Array | undefined;
  /** The value as UTF-8 text, or `undefined`. */
  export function getText(connection: string, key: string): string | undefined;
  /** Stores `value`; `ttlSeconds` undefined takes the connection's default, 0 never expires. */
  export function set(connection: string, key: string, value: string | Uint8Array, ttlSeconds?: number): void;
  /** Removes `key`; whether it existed. Also exported as `kv.delete`. */
  export function remove(connection: string, key: string): boolean;
  /** Whether `key` holds a value. */
  export function exists(connection: string, key: string): boolean;
  /** Adds `delta` (default 1) to the integer under `key`; the sum. */
  export function increment(connection: string, key: string, delta?: number): number;
  export { remove as delete };
}

/** Files under granted `files` connections (WIT `files`); paths are relative to the root. */
export declare namespace files {
  /** A directory entry, or what `stat` found. */
  export interface Entry {
    name: string;
    isDir: boolean;
    /** Bytes (0 for a directory). */
    size: number;
    /** Last modification, Unix ms, when recorded. */
    modifiedMs?: number;
  }
  /** The bytes of the file. Throws `HostError` (404 not found, 400 invalid path, 403 not allowed). */
  export function read(connection: string, path: string): Uint8Array;
  /** The file as UTF-8 text. */
  export function readText(connection: string, path: string): string;
  /** The JSON file, parsed. */
  export function readJson(connection: string, path: string): unknown;
  /** Replaces or creates the file atomically (403 on a read-only connection). */
  export function write(connection: string, path: string, contents: string | Uint8Array): void;
  /** Writes `value` as JSON. */
  export function writeJson(connection: string, path: string, value: unknown): void;
  /** The directories and allowed files in a directory ('' is the root), by name. */
  export function list(connection: string, path?: string): Entry[];
  /** What is at `path`. */
  export function stat(connection: string, path: string): Entry;
  /** Deletes the file; whether there was one. Also exported as `files.delete`. */
  export function remove(connection: string, path: string): boolean;
  export { remove as delete };
}

/** Programs behind granted `command` connections (WIT `command`); no shell is involved. */
export declare namespace command {
  /** What the program left. */
  export interface Output {
    /** Exit status; undefined when a signal ended it. */
    status?: number;
    stdout: Uint8Array;
    stderr: Uint8Array;
    /** Whether it exited with 0. */
    readonly ok: boolean;
    /** stdout as text. */
    text(): string;
    /** stdout parsed as JSON; throws a 503 `HostError` when the program failed. */
    json(): unknown;
  }
  /** Runs the program with its template's slots filled. Throws `HostError` (400 invalid argument, 503 timeout). */
  export function run(connection: string, slots?: Record<string, string>, stdin?: string | Uint8Array): Output;
}

/** Mail through granted `smtp` connections (WIT `smtp`). */
export declare namespace smtp {
  /** A message: at least one recipient and a `text` or `html` body. */
  export interface Message {
    to: string | string[];
    subject: string;
    text?: string;
    html?: string;
    cc?: string | string[];
    bcc?: string | string[];
    replyTo?: string;
  }
  /** Sends the message; its `Message-ID`. Throws `HostError` (400 for an invalid address, 503 when unreachable). */
  export function send(connection: string, message: Message): string;
}

/** Events defined by an admin (WIT `events`). */
export declare namespace events {
  /** Dispatches `name` with `payload` as JSON; delivered only if the invocation succeeds. */
  export function dispatch(name: string, payload: unknown): void;
}

/** The host log, tagged with the request id (WIT `log`). */
export declare namespace log {
  export function trace(message: string): void;
  export function debug(message: string): void;
  export function info(message: string): void;
  export function warn(message: string): void;
  export function error(message: string): void;
}
