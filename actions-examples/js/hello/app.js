// `hello` in JavaScript: a JSON greeting from the path parameter `name` and
// the optional query parameter `greeting`, e.g. `GET /hello/ada?greeting=Hi`
// — the same answers as the Rust example.

import { action, InvalidInput, Response } from '@sluice/sdk';

export const handler = action((req) => {
  const name = req.param('name');
  if (name === undefined) {
    throw new InvalidInput('the operation must have a :name path parameter');
  }
  const greeting = req.query('greeting') || 'Hello';
  return Response.json({ message: `${greeting}, ${name}!`, name });
});
