// Structured logging into the host's log, tagged with the request id
// (WIT `log`). `console.log` goes there too, at info level.

import { write } from 'sluice:action/log@0.1.0';

/** Logs at trace level. */
export const trace = (message) => write('trace', String(message));
/** Logs at debug level. */
export const debug = (message) => write('debug', String(message));
/** Logs at info level. */
export const info = (message) => write('info', String(message));
/** Logs at warn level. */
export const warn = (message) => write('warn', String(message));
/** Logs at error level. */
export const error = (message) => write('error', String(message));
