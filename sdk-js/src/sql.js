// SQL through a connection the action is granted (WIT `sql`): statements
// with bound parameters only (`?` in every dialect), rows as objects.

import { Connection as WitConnection } from 'sluice:action/sql@0.1.0';
import { hostCall } from './errors.js';
import { fromWit, toWit } from './convert.js';

const MESSAGES = {
  'access-denied': 'access denied: {}',
  'no-such-connection': 'no such connection: {}',
  'query-failed': 'query failed: {}',
  timeout: 'the database did not answer in time',
  'too-many-rows': 'the query returned more than {} rows',
  'too-many-connections': 'more than {} open connections',
  'invalid-state': 'invalid state: {}',
  io: 'database unreachable: {}',
};
const UNAVAILABLE = ['timeout', 'io', 'too-many-connections'];

const call = (fn) => hostCall(fn, MESSAGES, UNAVAILABLE);

/** An open connection (it lives until the invocation ends). */
export class Connection {
  constructor(inner) {
    this.inner = inner;
  }

  /**
   * Rows of a `SELECT` as objects of column name → value (`null`, boolean,
   * number, `bigint` beyond 2^53, string, `Uint8Array`). Throws `HostError`.
   */
  query(statement, params = []) {
    const bound = params.map(toWit);
    const set = call(() => this.inner.query(statement, bound));
    return set.rows.map((row) => {
      const out = {};
      set.columns.forEach((column, i) => {
        out[column] = fromWit(row[i]);
      });
      return out;
    });
  }

  /** The first row, or `undefined`. */
  queryOne(statement, params = []) {
    return this.query(statement, params)[0];
  }

  /**
   * Runs an `INSERT`, `UPDATE`, `DELETE` or DDL; `{rowsAffected,
   * lastInsertId}` (numbers; `lastInsertId` is `undefined` on PostgreSQL).
   * Throws `HostError`.
   */
  execute(statement, params = []) {
    const bound = params.map(toWit);
    const done = call(() => this.inner.execute(statement, bound));
    return {
      rowsAffected: Number(done.rowsAffected),
      lastInsertId: done.lastInsertId === undefined || done.lastInsertId === null ? undefined : fromWit({ tag: 'integer', val: done.lastInsertId }),
    };
  }

  /**
   * Runs `fn(db)` in a transaction: commits when it returns, rolls back and
   * rethrows when it throws; answers what `fn` returned.
   */
  transaction(fn) {
    call(() => this.inner.begin());
    let result;
    try {
      result = fn(this);
    } catch (error) {
      call(() => this.inner.rollback());
      throw error;
    }
    call(() => this.inner.commit());
    return result;
  }
}

/** Opens the `sql` connection `name`; `HostError` (`access-denied`) when not granted. */
export function open(name) {
  return new Connection(call(() => WitConnection.open(name)));
}
