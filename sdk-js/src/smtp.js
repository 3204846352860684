// Mail through an `smtp` connection (WIT `smtp`); the sender is the connection's `from`.

import { send as witSend } from 'sluice:action/smtp@0.1.0';
import { hostCall } from './errors.js';

const MESSAGES = {
  'access-denied': 'access denied: {}',
  'no-such-connection': 'no such connection: {}',
  'invalid-address': 'invalid address: {}',
  'invalid-message': 'invalid message: {}',
  rejected: 'the mail server rejected the message: {}',
  timeout: 'the mail server did not answer in time',
  'connect-failed': 'the mail server is unreachable: {}',
};

const list = (value) => (value === undefined ? [] : typeof value === 'string' ? [value] : [...value]);

/**
 * Sends `{to, subject, text?, html?, cc?, bcc?, replyTo?}` (`to`, `cc`,
 * `bcc`: an address or a list) and answers the message id. An invalid
 * address is a `HostError` with status 400, an unreachable server 503.
 */
export function send(connection, message) {
  const outgoing = {
    to: list(message.to),
    cc: list(message.cc),
    bcc: list(message.bcc),
    replyTo: message.replyTo,
    subject: message.subject ?? '',
    text: message.text,
    html: message.html,
  };
  return hostCall(() => witSend(connection, outgoing), MESSAGES, ['timeout', 'connect-failed'], ['invalid-address']);
}
