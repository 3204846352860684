"""`todo` in Python: the same CRUD API over a `todos` table as the Rust
example, on SQLite, PostgreSQL and MariaDB (`?` placeholders, portable
types, every value bound by the host).

Map it to `GET /todos`, `GET /todos/:id`, `POST /todos`, `PUT /todos/:id`
and `DELETE /todos/:id`, and grant it the connection named in its config
(`{"connection": "..."}`, default `todo-db`).

- `GET /todos?limit=20&offset=0` → `{"items": [...], "total", "limit", "offset"}`
- `GET /todos/:id` → the item, or 404
- `POST /todos` `{"title", "done"?, "id"?}` → 201 with the item; 409 when `id` is taken
- `PUT /todos/:id` `{"title", "done"}` → the item, or 404
- `DELETE /todos/:id` → 204, or 404
"""

from typing import Any, Optional

import sluice

SCHEMA = """CREATE TABLE IF NOT EXISTS todos (
    id BIGINT PRIMARY KEY,
    title VARCHAR(200) NOT NULL,
    done INTEGER NOT NULL DEFAULT 0
)"""

I64_MAX = 2**63 - 1


def parse_id(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 0 < value <= I64_MAX or not raw.lstrip("+").isdigit():
        raise sluice.InvalidInput(f'id "{raw}" must be a positive integer')
    return value


def not_found(todo_id: int) -> sluice.NotFound:
    return sluice.NotFound(f"there is no todo {todo_id}")


def query_number(req: sluice.Request, name: str, default: int, maximum: int) -> int:
    raw = req.query(name)
    if raw is None:
        return default
    if raw.isdigit() and 0 <= int(raw) <= maximum:
        return int(raw)
    raise sluice.InvalidInput(f"{name} must be an integer from 0 to {maximum}")


def check_title(title: Any) -> str:
    if not isinstance(title, str):
        raise sluice.InvalidInput("invalid JSON body: title must be a string")
    # JSON's whitespace (RFC 8259 §2), as the operation's schema and the
    # Rust and JavaScript todos count it.
    if not title.strip(" \t\n\r") or len(title) > 200:
        raise sluice.InvalidInput("title must be 1 to 200 characters")
    return title


def body_fields(req: sluice.Request, allowed: set[str], required: set[str]) -> dict[str, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise sluice.InvalidInput("invalid JSON body: expected an object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise sluice.InvalidInput(f"invalid JSON body: unknown field `{unknown[0]}`")
    missing = sorted(required - set(body))
    if missing:
        raise sluice.InvalidInput(f"invalid JSON body: missing field `{missing[0]}`")
    if "done" in body and not isinstance(body["done"], bool):
        raise sluice.InvalidInput("invalid JSON body: done must be a boolean")
    return body


def as_todo(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "title": row["title"], "done": row["done"] != 0}


def find(db: sluice.sql.Connection, todo_id: int) -> Optional[dict[str, Any]]:
    row = db.query_one("SELECT id, title, done FROM todos WHERE id = ?", [todo_id])
    return as_todo(row) if row else None


def list_todos(db: sluice.sql.Connection, req: sluice.Request) -> sluice.Response:
    limit = query_number(req, "limit", 20, 100)
    offset = query_number(req, "offset", 0, I64_MAX)
    rows = db.query(
        "SELECT id, title, done FROM todos ORDER BY id LIMIT ? OFFSET ?", [limit, offset]
    )
    total = db.query_one("SELECT COUNT(*) AS total FROM todos")
    return sluice.Response.json({
        "items": [as_todo(r) for r in rows],
        "total": total["total"] if total else 0,
        "limit": limit,
        "offset": offset,
    })


def create(db: sluice.sql.Connection, req: sluice.Request) -> sluice.Response:
    new = body_fields(req, {"id", "title", "done"}, {"title"})
    title = check_title(new["title"])
    done = bool(new.get("done", False))
    given = new.get("id")
    with db.transaction():
        if given is not None:
            # JSON Schema counts 3.0 as an integer (the contract's type), so
            # the body may carry one; Python's JSON reads it as a float.
            if isinstance(given, float) and given.is_integer():
                given = int(given)
            if not isinstance(given, int) or isinstance(given, bool):
                raise sluice.InvalidInput("invalid JSON body: id must be an integer")
            todo_id = parse_id(str(given))
        else:
            todo_id = db.query_one(
                "SELECT COALESCE(MAX(id), 0) + 1 AS total FROM todos")["total"]
        try:
            db.execute("INSERT INTO todos (id, title, done) VALUES (?, ?, ?)",
                       [todo_id, title, int(done)])
        except sluice.HostError as e:
            if e.kind == "query-failed" and given is not None:
                raise sluice.Conflict(f"todo {todo_id} exists already ({e.message})") from None
            raise
    todo = {"id": todo_id, "title": title, "done": done}
    # Triggers and webhooks hear of it when an admin defined the event.
    try:
        sluice.events.dispatch("todo_created", todo)
    except sluice.HostError as e:
        if e.kind != "no-such-event":
            raise sluice.Internal(f"dispatching todo_created: {e.message}") from None
    return (sluice.Response.json(todo, status=201)
            .with_header("location", f"/todos/{todo_id}"))


def update(db: sluice.sql.Connection, todo_id: int, req: sluice.Request) -> sluice.Response:
    change = body_fields(req, {"title", "done"}, {"title", "done"})
    title = check_title(change["title"])
    done = change["done"]
    result = db.execute("UPDATE todos SET title = ?, done = ? WHERE id = ?",
                        [title, int(done), todo_id])
    if result.rows_affected == 0 and find(db, todo_id) is None:
        raise not_found(todo_id)
    return sluice.Response.json({"id": todo_id, "title": title, "done": done})


def delete(db: sluice.sql.Connection, todo_id: int) -> sluice.Response:
    if db.execute("DELETE FROM todos WHERE id = ?", [todo_id]).rows_affected == 0:
        raise not_found(todo_id)
    return sluice.Response.no_content()


@sluice.action
def todo(req: sluice.Request) -> sluice.Response:
    db = sluice.sql.open(req.context.config.get("connection", "todo-db"))
    # A probe that fails only while the table is missing keeps the DDL off
    # the hot path.
    try:
        db.query("SELECT 1 FROM todos WHERE 1 = 0")
    except sluice.HostError:
        db.execute(SCHEMA)
    raw_id = req.param("id")
    todo_id = parse_id(raw_id) if raw_id is not None else None
    if req.method == "GET" and todo_id is None:
        return list_todos(db, req)
    if req.method == "GET" and todo_id is not None:
        found = find(db, todo_id)
        if found is None:
            raise not_found(todo_id)
        return sluice.Response.json(found)
    if req.method == "POST" and todo_id is None:
        return create(db, req)
    if req.method == "PUT" and todo_id is not None:
        return update(db, todo_id, req)
    if req.method == "DELETE" and todo_id is not None:
        return delete(db, todo_id)
    raise sluice.InvalidInput(f"todo does not handle {req.method} {req.path}")
