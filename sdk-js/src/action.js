// `action()` makes a function the WIT `handler` export.

import { write } from 'sluice:action/log@0.1.0';
import { SluiceError } from './errors.js';
import { Request } from './request.js';
import { Response } from './response.js';

// WIT `action-error` case for each status an SDK error carries.
const CASES = {
  400: 'invalid-input',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  503: 'unavailable',
};

function actionError(status, message) {
  return { tag: CASES[status] ?? 'internal', val: message };
}

function invoke(handle, inner) {
  let response;
  try {
    response = handle(new Request(inner));
  } catch (error) {
    if (error instanceof SluiceError) {
      throw actionError(error.status, error.message);
    }
    // The stack is for the operator's log, never for the caller.
    const stack = error instanceof Error ? (error.stack ? `${error}\n${error.stack}` : String(error)) : String(error);
    write('error', `uncaught ${stack}`);
    const message = error instanceof Error ? error.message || error.name : String(error);
    throw actionError(500, message);
  }
  if (response !== null && typeof response === 'object' && typeof response.then === 'function') {
    throw actionError(500, 'the action returned a Promise: an action is synchronous (the host calls are too)');
  }
  if (!(response instanceof Response)) {
    const what = response === null ? 'null' : typeof response === 'object' ? response.constructor?.name ?? 'an object' : typeof response;
    throw actionError(500, `the action returned ${what}, not a Response`);
  }
  return { status: response.status, headers: response.headers, body: response.body };
}

/**
 * Makes `handle` — a function taking a `Request` and returning a `Response`
 * — the action. Export what it returns as `handler`:
 * `export const handler = action((req) => Response.json({ ok: true }))`.
 * A thrown `NotFound`, `InvalidInput` … answers with that status as a
 * problem; anything else thrown is a 500 whose detail is its message (the
 * stack goes to the host log only).
 */
export function action(handle) {
  if (typeof handle !== 'function') {
    throw new TypeError('action() takes a function (req) => Response');
  }
  return { handle: (request) => invoke(handle, request) };
}
