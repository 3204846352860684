// `tools` in JavaScript: the tutorial's offline tools through `files` and
// `command`. `GET /js/reports/:file` answers a JSON file's contents, or a
// listing for `GET /js/reports` (the SDK has no CSV parser in JavaScript);
// `GET /js/cli-data?city=Berlin` answers the report tool's JSON (like the
// Rust `cli-data`). Config: `{"files": "reports", "command": "report-cli"}`
// (those are the defaults).

import { action, command, files, InvalidInput, Response } from '@sluice/sdk';

export const handler = action((req) => {
  const config = req.context.config;
  const connection = String(config.files ?? 'reports');
  const file = req.param('file');
  if (file !== undefined) {
    return Response.json({ file, text: files.readText(connection, file) });
  }
  if (req.path.endsWith('/reports')) {
    return Response.json({ entries: files.list(connection, '') });
  }
  const city = req.query('city');
  if (!city) {
    throw new InvalidInput('query parameter city is required, e.g. ?city=Berlin');
  }
  return Response.json(command.run(String(config.command ?? 'report-cli'), { city }).json());
});
