// `todo` in TypeScript: the same CRUD API over a `todos` table as the Rust
// example, on SQLite, PostgreSQL and MariaDB (`?` placeholders, portable
// types, every value bound by the host).
//
// Map it to `GET /todos`, `GET /todos/:id`, `POST /todos`, `PUT /todos/:id`
// and `DELETE /todos/:id`, and grant it the connection named in its config
// (`{"connection": "..."}`, default `todo-db`).
//
// - `GET /todos?limit=20&offset=0` → `{"items": [...], "total", "limit", "offset"}`
// - `GET /todos/:id` → the item, or 404
// - `POST /todos` `{"title", "done"?, "id"?}` → 201 with the item; 409 when `id` is taken
// - `PUT /todos/:id` `{"title", "done"}` → the item, or 404
// - `DELETE /todos/:id` → 204, or 404

import { action, Conflict, events, HostError, Internal, InvalidInput, NotFound, Request, Response, sql } from '@sluice/sdk';

const SCHEMA = `CREATE TABLE IF NOT EXISTS todos (
    id BIGINT PRIMARY KEY,
    title VARCHAR(200) NOT NULL,
    done INTEGER NOT NULL DEFAULT 0
)`;

const I64_MAX = 2n ** 63n - 1n;

interface Todo {
  id: number | bigint;
  title: string;
  done: boolean;
}

type TodoRow = { id: number | bigint; title: string; done: number | boolean };

/** An id as a bigint, so every 64-bit id survives. */
function parseId(raw: string): bigint {
  const value = /^\+?\d+$/.test(raw) ? BigInt(raw) : 0n;
  if (value <= 0n || value > I64_MAX) {
    throw new InvalidInput(`id "${raw}" must be a positive integer`);
  }
  return value;
}

/** A bigint id as a number where that loses nothing. */
const idOut = (id: bigint | number): bigint | number =>
  typeof id === 'bigint' && id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : id;

const notFound = (id: bigint) => new NotFound(`there is no todo ${id}`);

function queryNumber(req: Request, name: string, fallback: bigint, maximum: bigint): bigint {
  const raw = req.query(name);
  if (raw === undefined) return fallback;
  if (/^\d+$/.test(raw) && BigInt(raw) <= maximum) return BigInt(raw);
  throw new InvalidInput(`${name} must be an integer from 0 to ${maximum}`);
}

function checkTitle(title: unknown): string {
  if (typeof title !== 'string') throw new InvalidInput('invalid JSON body: title must be a string');
  // JSON's whitespace (RFC 8259 §2), as the operation's schema and the Rust
  // and Python todos count it.
  if (/^[ \t\n\r]*$/.test(title) || [...title].length > 200) throw new InvalidInput('title must be 1 to 200 characters');
  return title;
}

function bodyFields(req: Request, allowed: string[], required: string[]): Record<string, unknown> {
  const body = req.json<unknown>();
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidInput('invalid JSON body: expected an object');
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !allowed.includes(k)).sort();
  if (unknown.length > 0) throw new InvalidInput(`invalid JSON body: unknown field \`${unknown[0]}\``);
  const missing = required.filter((k) => !(k in fields)).sort();
  if (missing.length > 0) throw new InvalidInput(`invalid JSON body: missing field \`${missing[0]}\``);
  if ('done' in fields && typeof fields.done !== 'boolean') {
    throw new InvalidInput('invalid JSON body: done must be a boolean');
  }
  return fields;
}

const asTodo = (row: TodoRow): Todo => ({ id: row.id, title: row.title, done: Number(row.done) !== 0 });

function find(db: sql.Connection, id: bigint): Todo | undefined {
  const row = db.queryOne<TodoRow>('SELECT id, title, done FROM todos WHERE id = ?', [id]);
  return row ? asTodo(row) : undefined;
}

function list(db: sql.Connection, req: Request): Response {
  const limit = queryNumber(req, 'limit', 20n, 100n);
  const offset = queryNumber(req, 'offset', 0n, I64_MAX);
  const rows = db.query<TodoRow>('SELECT id, title, done FROM todos ORDER BY id LIMIT ? OFFSET ?', [limit, offset]);
  const total = db.queryOne<{ total: number }>('SELECT COUNT(*) AS total FROM todos');
  return Response.json({ items: rows.map(asTodo), total: total?.total ?? 0, limit: idOut(limit), offset: idOut(offset) });
}

function create(db: sql.Connection, req: Request): Response {
  const fields = bodyFields(req, ['id', 'title', 'done'], ['title']);
  const title = checkTitle(fields.title);
  const done = fields.done === true;
  const given = fields.id;
  const id = db.transaction((tx) => {
    let id: bigint;
    if (given !== undefined && given !== null) {
      // JSON.parse has already rounded a number beyond 2^53: refuse it
      // rather than store another id than the one sent.
      if (typeof given !== 'number' || !Number.isSafeInteger(given)) {
        throw new InvalidInput('invalid JSON body: id must be an integer of at most 2^53 - 1 in a JSON body');
      }
      id = parseId(String(given));
    } else {
      const next = tx.queryOne<{ total: number | bigint }>('SELECT COALESCE(MAX(id), 0) + 1 AS total FROM todos');
      id = BigInt(next?.total ?? 1);
    }
    try {
      tx.execute('INSERT INTO todos (id, title, done) VALUES (?, ?, ?)', [id, title, done ? 1 : 0]);
    } catch (e) {
      if (e instanceof HostError && e.kind === 'query-failed' && given !== undefined) {
        throw new Conflict(`todo ${id} exists already (${e.message})`);
      }
      throw e;
    }
    return id;
  });
  const todo: Todo = { id: idOut(id), title, done };
  // Triggers and webhooks hear of it when an admin defined the event.
  try {
    events.dispatch('todo_created', todo);
  } catch (e) {
    if (!(e instanceof HostError && e.kind === 'no-such-event')) {
      throw new Internal(`dispatching todo_created: ${(e as Error).message}`);
    }
  }
  return Response.json(todo, 201).withHeader('location', `/todos/${id}`);
}

function update(db: sql.Connection, id: bigint, req: Request): Response {
  const change = bodyFields(req, ['title', 'done'], ['title', 'done']);
  const title = checkTitle(change.title);
  const done = change.done as boolean;
  const result = db.execute('UPDATE todos SET title = ?, done = ? WHERE id = ?', [title, done ? 1 : 0, id]);
  if (result.rowsAffected === 0 && find(db, id) === undefined) throw notFound(id);
  return Response.json({ id: idOut(id), title, done });
}

function remove(db: sql.Connection, id: bigint): Response {
  if (db.execute('DELETE FROM todos WHERE id = ?', [id]).rowsAffected === 0) throw notFound(id);
  return Response.noContent();
}

export const handler = action((req) => {
  const db = sql.open(String(req.context.config.connection ?? 'todo-db'));
  // A probe that fails only while the table is missing keeps the DDL off
  // the hot path.
  try {
    db.query('SELECT 1 FROM todos WHERE 1 = 0');
  } catch (e) {
    if (!(e instanceof HostError)) throw e;
    db.execute(SCHEMA);
  }
  const raw = req.param('id');
  const id = raw === undefined ? undefined : parseId(raw);
  if (req.method === 'GET' && id === undefined) return list(db, req);
  if (req.method === 'GET' && id !== undefined) {
    const found = find(db, id);
    if (found === undefined) throw notFound(id);
    return Response.json(found);
  }
  if (req.method === 'POST' && id === undefined) return create(db, req);
  if (req.method === 'PUT' && id !== undefined) return update(db, id, req);
  if (req.method === 'DELETE' && id !== undefined) return remove(db, id);
  throw new InvalidInput(`todo does not handle ${req.method} ${req.path}`);
});
