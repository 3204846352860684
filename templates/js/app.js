// The {{name}} action: a greeting for whoever the path names.
// `sluice build` bundles it with the SDK and makes {{name}}.wasm.

import { action, InvalidInput, Response } from '@sluice/sdk';

export const handler = action((req) => {
  const who = req.param('who');
  if (!who) {
    throw new InvalidInput('the operation must have a :who path parameter');
  }
  return Response.json({ message: `Hello, ${who}!` });
});
