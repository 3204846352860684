// Sluice actions in JavaScript and TypeScript.
//
// An action is a function passed to `action()` and exported as `handler`:
//   export const handler = action((req) => Response.json({ hello: req.param('name') }));
// Throwing `NotFound`, `InvalidInput` … answers with that status as a
// problem. The host's capabilities are `sql`, `http`, `kv`, `smtp`,
// `files`, `command`, `events` and `log`. Built into a component by componentize-js against
// the `sluice:action` WIT world (the imports `sluice:action/*@0.1.0` stay
// external when bundling).

export { action } from './src/action.js';
export { Context, Request } from './src/request.js';
export { Response } from './src/response.js';
export { Conflict, Forbidden, HostError, Internal, InvalidInput, NotFound, SluiceError, Unavailable } from './src/errors.js';
export * as sql from './src/sql.js';
export * as http from './src/http.js';
export * as kv from './src/kv.js';
export * as smtp from './src/smtp.js';
export * as files from './src/files.js';
export * as command from './src/command.js';
export * as events from './src/events.js';
export * as log from './src/log.js';
