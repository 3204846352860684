// The developer portal in a real browser: Debian's Chromium, headless,
// driven by Playwright, against a real server that tests/api/portal.rs
// set up as an API product (an SMTP mailer, the portal's settings, a
// scope and an event open to consumers, a private operation). A consumer's
// whole journey: the landing page, sign-up, the verification mail read
// from the test SMTP server's Maildir, activation, sign-in, an app whose
// credentials are shown once and copied, "try it" on the private
// operation with them, and the call in the usage; then every page with
// axe-core's WCAG 2.1 A and AA rules finding no violation.
//
//   SLUICE_URL  CHROMIUM  MAILDIR  SCREENSHOTS  CONSUMER_EMAIL  OPERATION
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import PostalMime from 'postal-mime';
import * as oidc from 'openid-client';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; tests/api/portal.rs sets it`);
  return value;
};
const BASE = env('SLUICE_URL').replace(/\/$/, '');
const SHOTS = env('SCREENSHOTS');
const EMAIL = env('CONSUMER_EMAIL');
const OPERATION = env('OPERATION');
const PASSWORD = 'velvet-otter-quarry-1843-drift';
mkdirSync(SHOTS, { recursive: true });

let browser;
let page;
/** Everything the page wrote to its console as an error, and uncaught exceptions. */
const browserErrors = [];
/** What the copy buttons put on the clipboard. */
const copied = {};

before(async () => {
  browser = await chromium.launch({
    executablePath: env('CHROMIUM'),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  page = await context.newPage();
  // Generous: the server is a debug build sharing two cores with other tests.
  page.setDefaultTimeout(30_000);
  page.on('console', (m) => {
    // A try-it answer of 4xx is the product working, not a page error.
    if (m.type() === 'error' && !/the server responded with a status of 4\d\d/.test(m.text())) browserErrors.push(m.text());
  });
  page.on('pageerror', (e) => browserErrors.push(String(e)));
});

after(async () => {
  await browser?.close();
});

const shot = (name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** axe-core's WCAG 2.1 A and AA violations on the page as it is, one line each. */
async function accessibilityViolations() {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return violations.map((v) => `${v.id} (${v.nodes.length}×): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

/** The first message to `to` in the test SMTP server's Maildir whose text matches `pattern`: the match. */
async function mailLink(to, pattern) {
  const dir = join(env('MAILDIR'), 'new');
  for (let i = 0; i < 300; i++) {
    for (const name of readdirSync(dir)) {
      const mail = await PostalMime.parse(readFileSync(join(dir, name)));
      if (!(mail.to ?? []).some((a) => a.address === to)) continue;
      const found = `${mail.text ?? ''}\n${mail.html ?? ''}`.match(pattern);
      if (found) return found[0];
    }
    await delay(100);
  }
  throw new Error(`no mail to ${to} matching ${pattern} in ${dir}`);
}

/** Picks `option` in the Mantine select or multiselect labelled `label`. */
async function choose(label, option) {
  await page.getByRole('combobox', { name: new RegExp(`^${label}( \\*)?$`) }).click();
  await page.getByRole('option', { name: new RegExp(`^${option}`) }).click();
}

test('the landing page shows the title, description and guides from the settings, with Markdown made safe', async () => {
  await page.goto(`${BASE}/portal`);
  await page.getByRole('heading', { level: 1, name: 'Weather API' }).waitFor();
  await page.getByText('any city', { exact: true }).waitFor();
  assert.equal(await page.locator('main strong').first().innerText(), 'any city');
  await page.getByRole('link', { name: 'Getting started' }).first().click();
  await page.getByRole('heading', { level: 2, name: 'First steps' }).waitFor();
  assert.equal(await page.locator('main script').count(), 0, 'raw HTML in a page is not rendered');
  assert.equal(await page.locator('main ol li').count(), 2);
  await shot('landing-guide');
});

test('a consumer signs up with the name, email and password fields and is told to check the mail', async () => {
  await page.goto(`${BASE}/portal/register`);
  await page.locator('input[name="name"]').fill('Ada Lovelace');
  await page.locator('input[name="email"]').fill(EMAIL);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('status').getByText(/mail/i).first().waitFor();
  await shot('registered');
});

test('the link in the verification mail activates the account', async () => {
  const link = await mailLink(EMAIL, /https?:\/\/[^\s"'<>]+\/portal\/activate\?token=[^\s"'<>]+/);
  assert.ok(link.startsWith(BASE), `the link is on the public URL: ${link}`);
  await page.goto(link.replace(/&amp;/g, '&'));
  assert.deepEqual(await accessibilityViolations(), [], 'the activation page');
  await page.getByRole('button', { name: 'Activate account' }).click();
  await page.getByRole('status').getByText('Your account is active').waitFor();
  await shot('activated');
});

test('the consumer signs in with their email and lands on their apps', async () => {
  await page.getByRole('link', { name: 'Sign in' }).first().click();
  await page.locator('input[name="email"]').fill(EMAIL);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Apps' }).waitFor();
  await page.getByText(EMAIL).waitFor();
});

test("an app's client secret is shown once and the copy buttons copy the credentials", async () => {
  await page.getByRole('link', { name: 'New app' }).click();
  await page.locator('input[name="name"]').fill('weather-dashboard');
  await choose('Scopes', 'greetings:read');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Create app' }).click();
  const id = await page.getByTestId('client-id').innerText();
  const secret = await page.getByTestId('client-secret').innerText();
  assert.ok(secret.length >= 20, `a client secret, got ${secret}`);
  await page.getByRole('button', { name: 'Copy client id' }).click();
  copied.clientId = await page.evaluate(() => navigator.clipboard.readText());
  await page.getByRole('button', { name: 'Copy client secret' }).click();
  copied.clientSecret = await page.evaluate(() => navigator.clipboard.readText());
  assert.deepEqual(copied, { clientId: id, clientSecret: secret });
  await shot('app-created');
  await page.getByRole('link', { name: 'App settings' }).click();
  await page.getByRole('heading', { level: 1, name: 'weather-dashboard' }).waitFor();
  assert.equal(await page.getByTestId('secret-once').count(), 0);
  assert.ok(!(await page.content()).includes(secret), 'the secret is not shown again');
});

test('"try it" calls the private operation with the copied app credentials', async () => {
  await page.goto(`${BASE}/portal/reference/${OPERATION}`);
  await page.locator('input[name="path-name"]').fill('ada');
  // Without a token the operation refuses.
  await page.getByText('No token', { exact: true }).click();
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByTestId('try-status').getByText('401').waitFor();
  await page.getByText('An app', { exact: true }).click();
  await page.locator('input[name="client_id"]').fill(copied.clientId);
  await page.locator('input[name="client_secret"]').fill(copied.clientSecret);
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByTestId('try-status').getByText('200').waitFor();
  const body = JSON.parse(await page.getByTestId('try-response').innerText());
  assert.equal(body.message, 'Hello, ada!');
  await shot('try-it');
});

test('the call appears in the usage', async () => {
  // The request log is written in batches: look again until it is there.
  for (let i = 0; ; i++) {
    await page.goto(`${BASE}/portal/usage`);
    const table = page.getByRole('table', { name: 'Usage by operation' });
    await table.or(page.getByText('No requests in this period.')).first().waitFor();
    if ((await table.count()) && (await table.getByRole('cell', { name: OPERATION, exact: true }).count())) break;
    assert.ok(i < 60, 'the call never showed in the usage');
    await delay(500);
  }
  assert.ok(Number(await page.getByTestId('usage-requests').innerText()) >= 1);
  await page.getByRole('table', { name: 'Latest requests' }).getByText(`GET /greet/ada`).first().waitFor();
  await shot('usage');
});

test('a personal access token is shown once', async () => {
  await page.goto(`${BASE}/portal/tokens`);
  await page.locator('input[name="token-name"]').fill('ci');
  await page.getByRole('button', { name: 'Create token' }).click();
  assert.ok((await page.getByTestId('token-value').innerText()).length >= 20);
  await page.getByRole('table', { name: 'Tokens' }).getByText('ci', { exact: true }).waitFor();
});

test('a third-party app signs the consumer in with openid-client (OpenID Connect, code and PKCE), and the consumer withdraws it', async () => {
  // openid-client (npm), a certified relying party, discovers the server
  // from its OpenID Provider metadata and checks state, iss (RFC 9207),
  // and the ID token's issuer, audience, expiry and nonce itself.
  const REDIRECT = env('THIRD_REDIRECT');
  // A confidential client: it authenticates with its secret.
  const config = await oidc.discovery(new URL(BASE), env('THIRD_CLIENT_ID'), undefined, oidc.ClientSecretPost(env('THIRD_CLIENT_SECRET')), {
    execute: [oidc.allowInsecureRequests],
  });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const authorize = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid email greetings:read',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  // The app's callback, answered in the browser: nothing listens there.
  await page.route(`${REDIRECT}**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the app' }));
  const back = page.waitForRequest((request) => request.url().startsWith(REDIRECT));
  await page.goto(authorize.href);
  await page.getByRole('heading', { level: 1, name: /^Allow / }).waitFor();
  await page.getByText('Read greetings').waitFor();
  await shot('consent');
  await page.getByRole('button', { name: 'Allow' }).click();
  const callback = new URL((await back).url());
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  assert.deepEqual(tokens.scope.split(' ').sort(), ['email', 'greetings:read', 'openid']);
  const claims = tokens.claims();
  assert.equal(claims.email, EMAIL);
  assert.equal(claims.email_verified, true);
  const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.email, EMAIL);
  const called = await fetch(`${BASE}/greet/ada`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(called.status, 200);

  await page.goto(`${BASE}/portal/account`);
  const allowed = page.getByLabel('Apps you allowed');
  await allowed.getByText('gallery').waitFor();
  await page.getByRole('button', { name: 'Withdraw' }).click();
  await page.getByText('None: no app acts for you.').waitFor();
  const refused = await fetch(`${BASE}/greet/ada`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(refused.status, 401);
});

test('a device app signs the consumer in with openid-client (device authorization grant), approved in the portal', async () => {
  // openid-client's RFC 8628 client: it starts the request and polls at
  // the interval, slowing down when told, while the consumer approves.
  const config = await oidc.discovery(new URL(BASE), env('THIRD_CLIENT_ID'), undefined, oidc.ClientSecretPost(env('THIRD_CLIENT_SECRET')), {
    execute: [oidc.allowInsecureRequests],
  });
  const device = await oidc.initiateDeviceAuthorization(config, { scope: 'greetings:read' });
  assert.match(device.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
  const polling = oidc.pollDeviceAuthorizationGrant(config, device);
  await page.goto(device.verification_uri_complete);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: /^Allow / }).waitFor();
  await page.getByText('Read greetings').waitFor();
  await shot('device');
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.getByText(/may now act for you/).waitFor();
  const tokens = await polling;
  assert.equal(tokens.scope, 'greetings:read');
  const called = await fetch(`${BASE}/greet/ada`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(called.status, 200);
});

test('"Connect an AI agent" gives the MCP URL and a desktop agent\'s configuration for this server', async () => {
  await page.goto(`${BASE}/portal/`);
  await page.getByRole('link', { name: 'Connect an AI agent' }).click();
  await page.getByRole('heading', { level: 1, name: 'Connect an AI agent' }).waitFor();
  assert.equal((await page.getByLabel('MCP server URL').innerText()).trim(), `${BASE}/mcp`);
  const config = JSON.parse(await page.getByLabel('Desktop agent configuration').innerText());
  const [server] = Object.values(config.mcpServers);
  assert.deepEqual(server.args, ['mcp', '--url', BASE]);
  assert.equal(server.command, 'sluice');
  // The URL is the MCP server's: without a token it names its metadata.
  const answer = await fetch(`${BASE}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(answer.status, 401);
  assert.match(answer.headers.get('www-authenticate'), /oauth-protected-resource\/mcp/);
});

const SIGNED_IN = ['', 'docs/getting-started', 'reference', `reference/${OPERATION}`, 'code', 'agents', 'apps', 'apps/new', 'tokens', 'usage', 'webhooks', 'account', 'device'];
const SIGNED_OUT = ['', 'register', 'signin', 'reset', 'reset?token=x', 'activate?token=x', 'reference', 'code', 'agents', 'no-such-page'];

test('every portal page, signed in and out, has no WCAG 2.1 A or AA violation', async () => {
  const violations = {};
  const check = async (label, path) => {
    await page.goto(`${BASE}/portal/${path}`);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await page.waitForLoadState('networkidle');
    await shot(`${label}-${path.replace(/[/?=]/g, '-') || 'home'}`);
    const found = await accessibilityViolations();
    if (found.length) violations[`${label} /portal/${path}`] = found;
  };
  for (const path of SIGNED_IN) await check('in', path);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('link', { name: 'Sign in' }).first().waitFor();
  for (const path of SIGNED_OUT) await check('out', path);
  assert.deepEqual(violations, {});
});

test('a visitor signs in with an outside OpenID provider (oidc-provider) and gets an account', async () => {
  await page.goto(`${BASE}/portal/signin`);
  await page.getByRole('link', { name: 'Sign in with Corp' }).click();
  // The provider's own login form, on its own origin.
  await page.locator('input[name="login"]').fill('ada');
  await page.locator('input[name="password"]').fill('secret');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${BASE}/portal/apps`);
  await page.getByText('ada@example.com').first().waitFor();
  await shot('signed-in-with-a-provider');
  assert.equal(new URL(page.url()).search, '', 'the one-time code left the address bar');
});

test('the browser console stayed free of errors (CSP violations included)', () => {
  assert.deepEqual(browserErrors, []);
});
