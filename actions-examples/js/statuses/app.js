// `statuses`: throws what the query parameter `raise` names, to show (and
// test) how JavaScript errors become problems — `GET /statuses?raise=not-found`.
//
// - `invalid-input`, `forbidden`, `not-found`, `conflict`, `unavailable`,
//   `internal`: the SDK error of that name, status 400 … 500;
// - `crash`: an uncaught `TypeError` thrown in a helper (a 500 whose detail
//   is its message; the stack goes to the host log only);
// - `host`: opens a connection the action is not granted (a `HostError`);
// - anything else: 200 with the names it knows.

import { action, Conflict, Forbidden, Internal, InvalidInput, NotFound, Response, sql, Unavailable } from '@sluice/sdk';

/** @type {Record<string, new (message: string) => Error>} */
const ERRORS = {
  'invalid-input': InvalidInput,
  forbidden: Forbidden,
  'not-found': NotFound,
  conflict: Conflict,
  unavailable: Unavailable,
  internal: Internal,
};

/** @param {string} depth @returns {never} */
function compute(depth) {
  throw new TypeError(`cannot compute '${depth}': the answer is 42`);
}

export const handler = action((req) => {
  const what = req.query('raise') ?? '';
  if (Object.hasOwn(ERRORS, what)) {
    throw new ERRORS[what](`raised ${what} on purpose`);
  }
  if (what === 'crash') compute('deep');
  if (what === 'host') sql.open('not-granted').query('SELECT 1');
  return Response.json({ raise: [...Object.keys(ERRORS), 'crash', 'host'].sort() });
});
