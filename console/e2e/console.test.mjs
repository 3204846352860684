// The console in a real browser: Debian's Chromium, headless, driven by
// Playwright, against a real server that tests/api/console.rs started
// (with the weather API's stand-in, an admin user and a user without the
// admin scope). Fusio's tutorial through the console only, then every
// page at 1280 and 390 px wide, with a screenshot of each and axe-core's
// WCAG 2.1 A and AA rules finding no violation.
//
//   SLUICE_URL  CHROMIUM  WEATHER_BASE  WEATHER_KEY  WEATHER_WASM  SCREENSHOTS  FILES_ROOT
//   ADMIN_USER  ADMIN_PASSWORD  READER_USER  READER_PASSWORD
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; tests/api/console.rs sets it`);
  return value;
};
const BASE = env('SLUICE_URL').replace(/\/$/, '');
const SHOTS = env('SCREENSHOTS');
mkdirSync(SHOTS, { recursive: true });

let browser;
let page;
/** Everything the page wrote to its console as an error, and uncaught exceptions. */
const browserErrors = [];

before(async () => {
  browser = await chromium.launch({
    executablePath: env('CHROMIUM'),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  // Generous: the server is a debug build sharing two cores with other tests.
  page.setDefaultTimeout(30_000);
  page.on('console', (m) => {
    // A try-it or log answer of 4xx is the product working, not a page error.
    if (m.type() === 'error' && !/the server responded with a status of 4\d\d/.test(m.text())) browserErrors.push(m.text());
  });
  page.on('pageerror', (e) => browserErrors.push(String(e)));
});

after(async () => {
  await browser?.close();
});

/** axe-core's WCAG 2.1 A and AA violations on the page as it is, one line each. */
async function accessibilityViolations() {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return violations.map((v) => `${v.id} (${v.nodes.length}×): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

const shot = (name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** Picks `option` in the Mantine select or multiselect labelled `label`. */
async function choose(label, option) {
  // A required field's label ends with an asterisk.
  await page.getByRole('combobox', { name: new RegExp(`^${label}( \\*)?$`) }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

/** Replaces the text of the JSON editor of field `field`. */
async function typeJson(field, text) {
  const editor = page.locator(`.cm-content[data-field="${field}"]`);
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await editor.fill(text);
}

test('a user without the admin scope is told so and stays signed out', async () => {
  await page.goto(`${BASE}/console`);
  await page.locator('input[name="username"]').fill(env('READER_USER'));
  await page.locator('input[name="password"]').fill(env('READER_PASSWORD'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').getByText('lacks the admin scope').waitFor();
  await shot('login-refused');
  assert.deepEqual(await accessibilityViolations(), [], 'the sign-in page');
});

test('an admin signs in with the keyboard alone', async () => {
  await page.goto(`${BASE}/console`);
  await page.locator('input[name="username"]').focus();
  await page.keyboard.type(env('ADMIN_USER'));
  await page.keyboard.press('Tab');
  await page.keyboard.type(env('ADMIN_PASSWORD'));
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
});

// Run alone (--test-name-pattern) against a server whose access tokens
// live 62 s: the console refreshes a minute before expiry, so at once.
// Not in the main run: a refresh every 2 s races the page loads there (a
// load that cuts a refresh short keeps the old, already rotated refresh
// token, and its replay ends the session by design).
test('the session refreshes its access token before it expires and stays signed in', { skip: !process.env.SHORT_TOKENS && 'needs a server with 62 s tokens' }, async () => {
  await page.goto(`${BASE}/console`);
  await page.locator('input[name="username"]').fill(env('ADMIN_USER'));
  await page.locator('input[name="password"]').fill(env('ADMIN_PASSWORD'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  const token = () => page.evaluate(() => JSON.parse(sessionStorage.getItem('sluice.console.session') ?? '{}').access_token);
  const first = await token();
  await page.waitForFunction(
    (old) => JSON.parse(sessionStorage.getItem('sluice.console.session') ?? '{}').access_token !== old,
    first,
    { timeout: 10_000 },
  );
  assert.notEqual(await token(), first);
  await page.getByRole('link', { name: 'Operations' }).click();
  await page.getByRole('heading', { name: 'Operations' }).waitFor();
});

// Run alone (--test-name-pattern) against a server whose admin API and
// console have a listener of their own (SLUICE_ADMIN_LISTEN), SLUICE_URL
// being that listener, with operation `hello` at GET /hello/:name: "Try
// it" must reach the operation on the public listener.
test('try it reaches operations on the public listener from a separate admin listener', { skip: !process.env.ADMIN_LISTENER && 'needs a server with an admin listener' }, async () => {
  await page.goto(`${BASE}/console`);
  await page.locator('input[name="username"]').fill(env('ADMIN_USER'));
  await page.locator('input[name="password"]').fill(env('ADMIN_PASSWORD'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.goto(`${BASE}/console/operations/hello`);
  await page.locator('input[name="try-path"]').fill('/hello/ada');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByTestId('try-status').getByText('200').waitFor();
  assert.match(await page.getByTestId('try-body').innerText(), /ada/);
  assert.deepEqual(browserErrors, []);
});

test('the tutorial: an HTTP connection with an API key in the query, tested inline', async () => {
  await page.getByRole('link', { name: 'Connections' }).click();
  await page.getByRole('link', { name: 'New connection' }).click();
  await page.locator('input[name="name"]').fill('OpenWeatherMapAPI');
  await page.locator('input[name="base_url"]').fill(env('WEATHER_BASE'));
  await choose('Authentication', 'api_key');
  await page.locator('input[name="auth_name"]').fill('appid');
  await page.locator('input[name="auth_secret"]').fill(env('WEATHER_KEY'));
  await page.getByRole('button', { name: 'Create connection' }).click();
  await page.waitForURL(`${BASE}/console/connections/OpenWeatherMapAPI`);
  // The key was sent once and is never shown back.
  assert.equal(await page.locator('input[name="auth_secret"]').inputValue(), '');
  assert.ok(!(await page.content()).includes(env('WEATHER_KEY')));
  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.getByTestId('connection-test').getByText('Reachable').waitFor();
  await shot('connection');
});

test('a files connection has a form of its own and tests its root', async () => {
  await page.goto(`${BASE}/console/connections/new`);
  await page.locator('input[name="name"]').fill('reports');
  await choose('Class', 'files');
  await page.locator('input[name="root"]').fill(env('FILES_ROOT'));
  await page.locator('input[name="extensions"]').fill('csv, .json');
  await page.getByRole('button', { name: 'Create connection' }).click();
  await page.waitForURL(`${BASE}/console/connections/reports`);
  assert.equal(await page.locator('input[name="extensions"]').inputValue(), 'csv, json');
  assert.ok(await page.getByRole('switch', { name: 'Read-only' }).isChecked());
  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.getByTestId('connection-test').getByText('Reachable').waitFor();
});

test('the tutorial: the weather action uploaded by file picker, granted and configured', async () => {
  await page.goto(`${BASE}/console/actions/new`);
  await page.locator('input[name="name"]').fill('weather');
  await page.locator('input[name="wasm"]').setInputFiles(env('WEATHER_WASM'));
  await choose('Granted connections', 'OpenWeatherMapAPI');
  await page.keyboard.press('Escape');
  await typeJson('config', '{"connection": "OpenWeatherMapAPI", "cache": "none"}');
  await page.getByRole('button', { name: 'Create action' }).click();
  await page.waitForURL(`${BASE}/console/actions/weather`);
  const versions = page.getByRole('table', { name: 'Versions' });
  await versions.getByText('v1', { exact: true }).waitFor();
  assert.match(await versions.innerText(), /[0-9a-f]{64}/);
  await shot('action');
});

test('the tutorial: GET /weather/current created, tried, and answered', async () => {
  await page.goto(`${BASE}/console/operations/new`);
  await page.locator('input[name="name"]').fill('weather-current');
  await page.locator('input[name="path"]').fill('/weather/current');
  await choose('Action', 'weather');
  await page.getByRole('switch', { name: 'Public (no token needed)' }).check();
  await page.getByRole('button', { name: 'Create operation' }).click();
  await page.waitForURL(`${BASE}/console/operations/weather-current`);
  await page.locator('input[name="try-query"]').fill('city=Berlin');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByTestId('try-status').getByText('200').waitFor();
  const body = JSON.parse(await page.getByTestId('try-body').innerText());
  assert.equal(body.city, 'Berlin');
  assert.equal(typeof body.temperature, 'number');
  await shot('operation');
  // The picture in docs/console.md.
  await page.getByTestId('try-answer').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, 'docs-console.png') });
});

test('an operation made an MCP tool is on the MCP page, with an agent\'s session and its call', async () => {
  await page.goto(`${BASE}/console/operations/weather-current`);
  await choose('MCP tool', 'tool');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').getByText('Saved.').waitFor();
  await page.goto(`${BASE}/console/mcp`);
  await page.getByRole('table', { name: 'Tools' }).getByText('weather-current', { exact: true }).first().waitFor();
  // An agent: the admin's own token, a session, one tool call.
  const form = new URLSearchParams({ grant_type: 'password', username: env('ADMIN_USER'), password: env('ADMIN_PASSWORD') });
  const { access_token: token } = await (await fetch(`${BASE}/authorization/token`, { method: 'POST', body: form })).json();
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const opened = await fetch(`${BASE}/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e-agent', version: '1.0' } } }),
  });
  assert.equal(opened.status, 200);
  await opened.text();
  const session = { ...headers, 'mcp-session-id': opened.headers.get('mcp-session-id'), 'mcp-protocol-version': '2025-06-18' };
  await fetch(`${BASE}/mcp`, { method: 'POST', headers: session, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  const called = await fetch(`${BASE}/mcp`, {
    method: 'POST',
    headers: session,
    // The operation declares no parameter, so the tool takes no argument;
    // the action then answers 400 for want of a city: a tool error.
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'weather-current', arguments: {} } }),
  });
  assert.match(await called.text(), /"isError":true/);
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByRole('table', { name: 'Sessions' }).getByText('e2e-agent 1.0').waitFor();
  await page.getByRole('table', { name: 'Tool calls' }).getByText('weather-current').waitFor();
  await shot('mcp');
});

test('executing an action shows its answer, fuel, duration and logs', async () => {
  await page.goto(`${BASE}/console/actions/weather`);
  await page.locator('input[name="execute-query"]').fill('city=Berlin');
  await page.getByRole('button', { name: 'Execute', exact: true }).click();
  await page.getByTestId('execute-status').getByText('200').waitFor();
  const fuel = await page.getByTestId('execute-fuel').innerText();
  assert.match(fuel, /fuel used: [1-9][0-9,]*/);
  // The cache connection "none" is not granted: the action says so in its log and answers anyway.
  assert.match(await page.getByTestId('execute-logs').innerText(), /warn +weather cache unavailable/);
  await shot('execute');
});

test('a scope, and an app whose secret is shown once', async () => {
  await page.goto(`${BASE}/console/scopes/new`);
  await page.locator('input[name="name"]').fill('weather:read');
  await page.getByRole('button', { name: 'Create scope' }).click();
  await page.waitForURL(`${BASE}/console/scopes/${encodeURIComponent('weather:read')}`);

  await page.goto(`${BASE}/console/apps/new`);
  await page.locator('input[name="name"]').fill('weather-app');
  await choose('Scopes', 'weather:read');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Create app' }).click();
  await page.waitForURL(`${BASE}/console/apps/weather-app`);
  const secret = await page.getByTestId('secret-value').innerText();
  assert.ok(secret.length >= 20, `a client secret, got ${secret}`);
  await shot('app-created');
  await page.reload();
  await page.getByRole('heading', { name: 'weather-app' }).waitFor();
  assert.equal(await page.getByTestId('secret-once').count(), 0);
  assert.ok(!(await page.content()).includes(secret));
});

test('signing keys: a rotation retires the old key, whose deletion does not sign the admin out', async () => {
  await page.goto(`${BASE}/console/signing-keys`);
  const rows = page.getByRole('table', { name: 'Signing keys' }).getByRole('row');
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2, 'a header and the one signing key');
  await page.getByRole('button', { name: 'Rotate' }).click();
  await page.getByText('retired', { exact: true }).waitFor();
  assert.equal(await rows.count(), 3);
  await shot('signing-keys-rotated');
  // The console's own token was signed by the key deleted here: it is
  // refused from now on, and the console refreshes instead of signing out.
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByText('retired', { exact: true }).waitFor({ state: 'detached' });
  assert.equal(await rows.count(), 2);
  await page.goto(`${BASE}/console/operations`);
  await page.getByRole('heading', { level: 2 }).first().waitFor();
  assert.equal(await page.locator('input[name="username"]').count(), 0, 'still signed in');
});

test('sluice login --device: the code from the terminal is approved on the device page and the terminal gets a session', async () => {
  // What `sluice login URL --device` sends (RFC 8628 §3.1), then its poll.
  const asked = await (await fetch(`${BASE}/authorization/device`, { method: 'POST', body: new URLSearchParams({ client_id: 'sluice-cli' }) })).json();
  assert.equal(new URL(asked.verification_uri).pathname, '/console/device');
  const poll = () =>
    fetch(`${BASE}/authorization/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: asked.device_code, client_id: 'sluice-cli' }),
    }).then((r) => r.json());
  assert.equal((await poll()).error, 'authorization_pending');
  await page.goto(asked.verification_uri_complete);
  assert.equal(await page.locator('input[name="user_code"]').inputValue(), asked.user_code);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Sign in Sluice CLI?' }).waitFor();
  await page.getByText('127.0.0.1').first().waitFor();
  await shot('device-login');
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByText('Sluice CLI is signed in; go back to the terminal.').waitFor();
  const tokens = await poll();
  assert.ok(tokens.access_token, JSON.stringify(tokens));
  assert.ok(tokens.scope.split(' ').includes('admin'));
  const who = await (await fetch(`${BASE}/authorization/whoami`, { headers: { Authorization: `Bearer ${tokens.access_token}` } })).json();
  assert.equal(who.user, env('ADMIN_USER'));
});

test('a schema with an error shows it at its line, and the server agrees', async () => {
  await page.goto(`${BASE}/console/schemas/new`);
  await page.locator('input[name="name"]').fill('broken');
  await typeJson('schema', '{\n  "type": "object",\n  "properties": {\n    "title": {"type": "strin"}\n  }\n}');
  const errors = page.getByTestId('schema-errors');
  await errors.getByText(/^Line 4: .*\/properties\/title\/type/).first().waitFor();
  await page.getByRole('button', { name: 'Create schema' }).click();
  await page.getByRole('alert').filter({ hasText: 'Bad request' }).waitFor();
  assert.match(await errors.innerText(), /Line 4/);
  await shot('schema-error');
  await typeJson('schema', '{"type": "object", "properties": {"title": {"type": "string"}}}');
  await page.getByRole('button', { name: 'Create schema' }).click();
  await page.waitForURL(`${BASE}/console/schemas/broken`);
});

test('the requests appear in the log, with their detail', async () => {
  await page.goto(`${BASE}/console/log?operation=weather-current`);
  const rows = page.getByRole('table', { name: 'Requests' });
  await rows.getByText('GET /weather/current').first().waitFor();
  await rows.getByRole('link').first().click();
  await page.getByRole('table', { name: 'Request detail' }).getByText('weather-current').waitFor();
  await shot('log-entry');
});

test('a server error about a field is shown at that field: a built-in config at its line', async () => {
  await page.goto(`${BASE}/console/actions/new`);
  await page.locator('input[name="name"]').fill('teapot');
  await choose('Made from', 'static-response');
  await typeJson('config', '{\n  "status": 1000\n}');
  await page.getByRole('button', { name: 'Create action' }).click();
  await page.getByTestId('config-errors').getByText(/^Line 2: /).waitFor();
  await shot('builtin-error');
  await typeJson('config', '{"status": 418, "body": {"short": "and stout"}}');
  await page.getByRole('button', { name: 'Create action' }).click();
  await page.waitForURL(`${BASE}/console/actions/teapot`);
  await page.getByRole('button', { name: 'Execute', exact: true }).click();
  await page.getByTestId('execute-status').getByText('418').waitFor();
});

test('a new version can be dropped on the action page and uploads with progress', async () => {
  await page.goto(`${BASE}/console/actions/weather`);
  const bytes = readFileSync(env('WEATHER_WASM')).toString('base64');
  await page.locator('.drop-zone').first().evaluate((zone, b64) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([data], 'weather.wasm', { type: 'application/wasm' }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, bytes);
  await page.getByText(/^weather\.wasm \(/).waitFor();
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  // The same bytes as version 1: the server keeps one version.
  await page.getByRole('status').getByText('The same bytes as version 1: nothing changed.').waitFor();
});

const PAGES = ['', 'operations', 'actions', 'schemas', 'connections', 'events', 'triggers', 'webhooks', 'cronjobs', 'apps', 'users', 'roles', 'scopes', 'rate-limits', 'consumers', 'portal-settings', 'signing-keys', 'identity-providers', 'device', 'log', 'mcp', 'prompts', 'actions/weather', 'operations/weather-current'];

test('every page has a deep link, a screenshot at 1280 px and no WCAG 2.1 AA violation', async () => {
  const violations = {};
  for (const path of PAGES) {
    await page.goto(`${BASE}/console/${path}`);
    await page.getByRole('heading', { level: 2 }).first().waitFor();
    await page.waitForLoadState('networkidle');
    assert.equal(await page.getByText('No such page').count(), 0, path);
    await shot(`page-${path.replace(/\//g, '-') || 'dashboard'}`);
    const found = await accessibilityViolations();
    if (found.length) violations[path || 'dashboard'] = found;
  }
  assert.deepEqual(violations, {});
});

test('every page is readable at 390 px: nothing wider than the screen but tables that scroll', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of PAGES) {
    await page.goto(`${BASE}/console/${path}`);
    await page.getByRole('heading', { level: 2 }).first().waitFor();
    await page.waitForLoadState('networkidle');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `${path || 'dashboard'} is ${overflow} px wider than the screen`);
    await shot(`narrow-${path.replace(/\//g, '-') || 'dashboard'}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('signing out revokes the session', async () => {
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('sluice.console.session')).access_token);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('input[name="username"]').waitFor();
  const answer = await page.evaluate(
    (t) => fetch('/admin/actions', { headers: { Authorization: `Bearer ${t}` } }).then((r) => r.status),
    token,
  );
  assert.equal(answer, 401);
});

test('an administrator signs in with an outside OpenID provider (oidc-provider), which makes their account', async () => {
  await page.goto(`${BASE}/console/operations`);
  await page.getByRole('link', { name: 'Sign in with Staff' }).click();
  // The provider's own login form, on its own origin.
  await page.locator('input[name="login"]').fill('ada');
  await page.locator('input[name="password"]').fill('secret');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${BASE}/console/operations`);
  await page.getByRole('heading', { level: 2, name: 'Operations' }).waitFor();
  const signedIn = await page.evaluate(() => JSON.parse(sessionStorage.getItem('sluice.console.session')).username);
  // Named after the address, made unique ("ada" exists here).
  assert.match(signedIn, /^ada-\d+$/, 'the account the provider made');
  assert.equal(new URL(page.url()).search, '', 'the one-time code left the address bar');
  await shot('signed-in-with-a-provider');
});

test('the browser console stayed free of errors (CSP violations included)', () => {
  assert.deepEqual(browserErrors, []);
});
