// Bundles the action and @sluice/sdk into one module for componentize-js;
// the WIT interfaces the host lends (`sluice:action/*`) stay imports.
// Rename app.js to app.ts and change `input` to write it in TypeScript.
export default {
  input: 'app.js',
  external: /^sluice:action\//,
  platform: 'neutral',
  logLevel: 'warn',
  output: { file: 'build/app.js', format: 'esm' },
};
