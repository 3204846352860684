// JavaScript values to and from the WIT `sql.value` variant.

import { InvalidInput } from './errors.js';
import { toBytes } from './json.js';

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** `null`/`undefined`, boolean, number, bigint, string, bytes → a WIT value. */
export function toWit(value) {
  if (value === null || value === undefined) return { tag: 'null' };
  switch (typeof value) {
    case 'boolean':
      return { tag: 'boolean', val: value };
    case 'bigint':
      if (value < I64_MIN || value > I64_MAX) throw new InvalidInput(`${value} does not fit a 64-bit integer`);
      return { tag: 'integer', val: value };
    case 'number':
      return Number.isSafeInteger(value) ? { tag: 'integer', val: BigInt(value) } : { tag: 'real', val: value };
    case 'string':
      return { tag: 'text', val: value };
    default:
      if (value instanceof Uint8Array || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
        return { tag: 'blob', val: toBytes(value) };
      }
      throw new InvalidInput(
        `a SQL parameter must be null, a boolean, number, bigint, string or Uint8Array, not ${value?.constructor?.name ?? typeof value}`,
      );
  }
}

/** A WIT value → `null`, boolean, number (a `bigint` beyond 2^53), string or `Uint8Array`. */
export function fromWit(value) {
  switch (value.tag) {
    case 'null':
      return null;
    case 'integer': {
      const n = value.val;
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    default:
      return value.val;
  }
}
