// Programs behind a `command` connection (WIT `command`): the admin fixed
// the program and its argument template; the action fills named slots,
// each passed as one literal argument (no shell).

import * as wit from 'sluice:action/command@0.1.0';
import { HostError, hostCall } from './errors.js';
import { toBytes } from './json.js';

const MESSAGES = {
  'access-denied': 'access denied: {}',
  'no-such-connection': 'no such connection: {}',
  'invalid-argument': 'invalid argument: {}',
  timeout: 'the program ran too long and was stopped',
  'output-too-large': 'the program wrote more than {} bytes',
  'spawn-failed': 'the program could not start: {}',
  io: 'the program failed: {}',
};

const decoder = new TextDecoder();

/**
 * Runs the program of `connection` with its template's `slots` filled
 * (an object of slot name → value) and `stdin` (string or bytes).
 */
export function run(connection, slots = {}, stdin = '') {
  const out = hostCall(
    () => wit.run(connection, Object.entries(slots), toBytes(stdin)),
    MESSAGES,
    ['timeout', 'spawn-failed', 'io'],
    ['invalid-argument'],
  );
  const status = out.status === undefined || out.status === null ? undefined : out.status;
  return {
    status,
    stdout: out.stdout,
    stderr: out.stderr,
    get ok() {
      return status === 0;
    },
    text() {
      return decoder.decode(out.stdout);
    },
    json() {
      if (status !== 0) {
        throw new HostError('io', `the program exited with ${status}: ${decoder.decode(out.stderr).trim()}`, 503);
      }
      return JSON.parse(decoder.decode(out.stdout));
    },
  };
}
