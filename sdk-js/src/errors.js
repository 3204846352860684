// Errors an action throws; each becomes a WIT `action-error` case, which the
// host answers as an RFC 9457 problem with the status given here.

/** Base of the errors that map to a status; `message` is the problem's `detail`. */
export class SluiceError extends Error {
  /** @param {string} message @param {number} [status] */
  constructor(message, status = 500) {
    super(message);
    this.name = new.target.name;
    this.status = status;
  }
}

/** The input is invalid (400); the message says what is wrong. */
export class InvalidInput extends SluiceError {
  constructor(message) { super(message, 400); }
}

/** The caller may not do this (403). */
export class Forbidden extends SluiceError {
  constructor(message) { super(message, 403); }
}

/** The addressed resource does not exist (404). */
export class NotFound extends SluiceError {
  constructor(message) { super(message, 404); }
}

/** The request conflicts with the current state (409). */
export class Conflict extends SluiceError {
  constructor(message) { super(message, 409); }
}

/** A backend the action depends on is unavailable (503). */
export class Unavailable extends SluiceError {
  constructor(message) { super(message, 503); }
}

/** Anything else (500); the message is logged and shown to the caller. */
export class Internal extends SluiceError {
  constructor(message) { super(message, 500); }
}

/**
 * A host call (`sql`, `http`, `kv`, `smtp`, `events`) failed. `kind` is the
 * WIT error case (`timeout`, `query-failed` …); `status` is 503 when the
 * backend is unreachable or slow, 400 for input the caller gave (an invalid
 * address, an event payload that fails its schema), else 500. Catch it to
 * answer otherwise.
 */
export class HostError extends SluiceError {
  /** @param {string} kind @param {string} message @param {number} status */
  constructor(kind, message, status) {
    super(message, status);
    this.kind = kind;
  }
}

/**
 * Calls `fn`, turning a WIT error it throws into a `HostError`.
 *
 * The generated bindings throw an import's `err` value, a variant
 * `{tag, val}`, wrapped in an error whose `payload` holds it.
 * `messages` maps a case to a template (`{}` is the case's value),
 * `unavailable` and `invalid` list the cases answered 503 and 400.
 */
export function hostCall(fn, messages, unavailable = [], invalid = []) {
  try {
    return fn();
  } catch (e) {
    const payload = e !== null && typeof e === 'object' && 'payload' in e ? e.payload : e;
    if (payload === null || typeof payload !== 'object' || typeof payload.tag !== 'string') {
      throw e;
    }
    const kind = payload.tag;
    const detail = payload.val !== null && typeof payload.val === 'object' && 'message' in payload.val
      ? payload.val.message
      : payload.val;
    const template = messages[kind] ?? `${kind.replaceAll('-', ' ')}: {}`;
    const message = template.replace('{}', String(detail));
    const status = unavailable.includes(kind) ? 503 : invalid.includes(kind) ? 400 : 500;
    const error = new HostError(kind, message, status);
    if (kind === 'query-failed' && payload.val && payload.val.sqlstate !== undefined) {
      error.sqlstate = payload.val.sqlstate;
    }
    throw error;
  }
}
