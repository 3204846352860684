// Key-value stores through a `kv` connection (WIT `kv`).

import * as wit from 'sluice:action/kv@0.1.0';
import { hostCall } from './errors.js';
import { toBytes } from './json.js';

const MESSAGES = {
  'access-denied': 'access denied: {}',
  'no-such-connection': 'no such connection: {}',
  'invalid-key': 'invalid key: {}',
  'value-too-large': 'the value is larger than {} bytes',
  'not-an-integer': 'not an integer: {}',
  io: 'the store failed: {}',
};

const call = (fn) => hostCall(fn, MESSAGES, ['io']);
const decoder = new TextDecoder();

/** The value under `key` as bytes, or `undefined`. */
export function get(connection, key) {
  const value = call(() => wit.get(connection, key));
  return value === undefined || value === null ? undefined : value;
}

/** The value under `key` as UTF-8 text, or `undefined`. */
export function getText(connection, key) {
  const value = get(connection, key);
  return value === undefined ? undefined : decoder.decode(value);
}

/**
 * Stores `value` (string or bytes) under `key`, expiring after
 * `ttlSeconds` (else the connection's default; 0 never expires).
 */
export function set(connection, key, value, ttlSeconds) {
  call(() => wit.set(connection, key, toBytes(value), ttlSeconds));
}

/** Removes `key`; whether it existed. */
export function remove(connection, key) {
  return call(() => wit.delete(connection, key));
}

/** Whether `key` is set. */
export function exists(connection, key) {
  return call(() => wit.exists(connection, key));
}

/** Adds `delta` to the integer under `key` (absent counts as 0); the sum as a number. */
export function increment(connection, key, delta = 1) {
  return Number(call(() => wit.increment(connection, key, BigInt(delta))));
}

export { remove as delete };
