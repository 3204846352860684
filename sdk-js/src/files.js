// Files under a `files` connection's root (WIT `files`), with a JSON
// helper. Paths are relative to the root; the host refuses anything that
// would leave it (`..`, absolute paths, symlinks out, FIFOs, devices).

import * as wit from 'sluice:action/files@0.1.0';
import { hostCall } from './errors.js';
import { toBytes } from './json.js';

const MESSAGES = {
  'access-denied': 'access denied: {}',
  'no-such-connection': 'no such connection: {}',
  'invalid-path': 'invalid path: {}',
  'not-found': 'not found: {}',
  'read-only': 'read-only: {}',
  'too-large': 'the file is larger than {} bytes',
  'not-allowed': 'not allowed: {}',
  io: 'the file system failed: {}',
};

// A missing file is a 404 and a refused path or write a 403, as in Rust.
const STATUS = { 'not-found': 404, 'not-allowed': 403, 'read-only': 403 };

function call(fn) {
  try {
    return hostCall(fn, MESSAGES, ['io'], ['invalid-path', 'too-large']);
  } catch (e) {
    if (e && e.kind in STATUS) e.status = STATUS[e.kind];
    throw e;
  }
}

const decoder = new TextDecoder();

function entry(e) {
  return {
    name: e.name,
    isDir: e.isDir,
    size: Number(e.size),
    modifiedMs: e.modifiedMs === undefined || e.modifiedMs === null ? undefined : Number(e.modifiedMs),
  };
}

/** The bytes of the file at `path`. */
export function read(connection, path) {
  return call(() => wit.read(connection, path));
}

/** The file at `path` as UTF-8 text. */
export function readText(connection, path) {
  return decoder.decode(read(connection, path));
}

/** The JSON file at `path`, parsed. */
export function readJson(connection, path) {
  return JSON.parse(readText(connection, path));
}

/** Replaces or creates the file at `path` (string or bytes), atomically. */
export function write(connection, path, contents) {
  call(() => wit.write(connection, path, toBytes(contents)));
}

/** Writes `value` as JSON to the file at `path`. */
export function writeJson(connection, path, value) {
  write(connection, path, JSON.stringify(value, null, 2));
}

/** The directories and allowed files in the directory at `path` ('' is the root), by name. */
export function list(connection, path = '') {
  return call(() => wit.list(connection, path)).map(entry);
}

/** What is at `path`. */
export function stat(connection, path) {
  return entry(call(() => wit.stat(connection, path)));
}

/** Deletes the file at `path`; whether there was one. Also exported as `files.delete`. */
export function remove(connection, path) {
  return call(() => wit.delete(connection, path));
}

export { remove as delete };
