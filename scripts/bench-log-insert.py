#!/usr/bin/env python3
"""Three ways to write the request log's rows into SQLite, CPU time per row.

The same table and index as migrations/sqlite (request_log, request_log_at),
WAL and synchronous=NORMAL as the control plane opens it, 200 000 rows in
transactions of 2 000: the multi-row insert Sluice uses (100 rows of 14
bound values per statement), one INSERT ... SELECT ... FROM json_each(?) with
a single bound JSON text per 100 rows, and a one-row statement executed per
row. Python's sqlite3 module binds in C, so the figures compare SQLite's
work plus a constant share of Python's. Usage: scripts/bench-log-insert.py
"""
import json
import os
import sqlite3
import tempfile
import time
import uuid

COLUMNS = ('at_ms, request_id, trace_id, weight, operation, app, "user", ip, method, '
           'path, status, duration_us, fuel_used, error')
ROWS = [(1_700_000_000_000 + i // 50, str(uuid.uuid4()), None, 1, "hello", None, None,
         "127.0.0.1", "GET", "/hello/x", 200, 123, 45_678, None) for i in range(200_000)]
CHUNK, BATCH = 100, 2_000


def table(directory, name):
    db = sqlite3.connect(os.path.join(directory, name), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("""CREATE TABLE request_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, request_id TEXT NOT NULL,
        operation TEXT, app TEXT, user TEXT, ip TEXT NOT NULL, method TEXT NOT NULL,
        path TEXT NOT NULL, status INTEGER NOT NULL, duration_us INTEGER NOT NULL,
        fuel_used INTEGER, error TEXT, trace_id TEXT, weight INTEGER NOT NULL DEFAULT 1)""")
    db.execute("CREATE INDEX request_log_at ON request_log(at_ms)")
    return db


def measure(label, db, write_batch):
    started = time.process_time()
    for start in range(0, len(ROWS), BATCH):
        db.execute("BEGIN")
        write_batch(db, ROWS[start:start + BATCH])
        db.execute("COMMIT")
    (count,) = db.execute("SELECT COUNT(*) FROM request_log").fetchone()
    assert count == len(ROWS), f"{label}: {count} rows"
    print(f"  {label:<34}{(time.process_time() - started) / len(ROWS) * 1e6:6.2f} µs/row")


def multi_row(db, rows):
    sql = f"INSERT INTO request_log ({COLUMNS}) VALUES " + ", ".join(
        ["(" + ", ".join("?" * 14) + ")"] * CHUNK)
    for start in range(0, len(rows), CHUNK):
        db.execute(sql, [v for row in rows[start:start + CHUNK] for v in row])


def json_each(db, rows):
    values = ", ".join(f"value->>{i}" for i in range(14))
    sql = f"INSERT INTO request_log ({COLUMNS}) SELECT {values} FROM json_each(?)"
    for start in range(0, len(rows), CHUNK):
        db.execute(sql, (json.dumps(rows[start:start + CHUNK]),))


def one_row(db, rows):
    db.executemany(f"INSERT INTO request_log ({COLUMNS}) VALUES ({', '.join('?' * 14)})", rows)


if __name__ == "__main__":
    print(f"SQLite {sqlite3.sqlite_version}, {len(ROWS)} rows")
    with tempfile.TemporaryDirectory() as directory:
        measure("multi-row insert (Sluice's)", table(directory, "a.db"), multi_row)
        measure("json_each, one bound text", table(directory, "b.db"), json_each)
        measure("one-row insert per row", table(directory, "c.db"), one_row)
