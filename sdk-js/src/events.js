// Dispatching events defined by an admin (WIT `events`); an event is
// delivered only if the invocation succeeds.

import { dispatch as witDispatch } from 'sluice:action/events@0.1.0';
import { hostCall } from './errors.js';
import { stringify, utf8 } from './json.js';

const MESSAGES = { 'no-such-event': 'no such event: {}', 'invalid-payload': '{}', 'too-many': '{}' };

/**
 * Dispatches event `name` with `payload` serialized as JSON. A payload that
 * fails the event's schema is a `HostError` with status 400.
 */
export function dispatch(name, payload) {
  const data = utf8(stringify(payload));
  hostCall(() => witDispatch(name, data), MESSAGES, [], ['invalid-payload']);
}
