// The console's first load in headless Chromium with an empty cache: bytes
// transferred (all, and JavaScript alone, as sent: gzip), the time until
// the sign-in form takes input, and the time from "Sign in" to the
// dashboard's figures. The developer portal (/portal) is loaded the same
// way, until its landing page's heading and sign-in button are there, and
// the API reference page (/system/docs, Redoc) as the reference. Median of
// RUNS (5) fresh browser contexts; prints one JSON object.
//
//   SLUICE_URL CHROMIUM ADMIN_USER ADMIN_PASSWORD [RUNS]  node bench/first-load.mjs
import { chromium } from 'playwright-core';

const { SLUICE_URL: BASE, CHROMIUM, ADMIN_USER, ADMIN_PASSWORD } = process.env;
const RUNS = Number(process.env.RUNS ?? 5);
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/** Loads `path` in a fresh context; `ready` resolves once the page is usable. */
async function measure(path, ready, after) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const types = new Map();
  let bytes = 0;
  let scriptBytes = 0;
  cdp.on('Network.responseReceived', (e) => types.set(e.requestId, e.type));
  cdp.on('Network.loadingFinished', (e) => {
    bytes += e.encodedDataLength;
    if (types.get(e.requestId) === 'Script') scriptBytes += e.encodedDataLength;
  });
  const started = performance.now();
  await page.goto(`${BASE}${path}`, { waitUntil: 'commit' });
  await ready(page);
  const interactive = performance.now() - started;
  const out = { bytes, scriptBytes, interactive };
  if (after) out.signedIn = await after(page);
  await context.close();
  return out;
}

async function run(path, ready, after) {
  const results = [];
  for (let i = 0; i < RUNS; i++) results.push(await measure(path, ready, after));
  const pick = (k) => median(results.map((r) => r[k]));
  return {
    bytes: pick('bytes'),
    script_bytes: pick('scriptBytes'),
    interactive_ms: Math.round(pick('interactive')),
    ...(after ? { sign_in_to_dashboard_ms: Math.round(pick('signedIn')) } : {}),
  };
}

const consolePage = await run(
  '/console',
  (page) => page.locator('input[name="username"]:enabled').waitFor(),
  async (page) => {
    await page.locator('input[name="username"]').fill(ADMIN_USER);
    await page.locator('input[name="password"]').fill(ADMIN_PASSWORD);
    const started = performance.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('stat-requests').waitFor();
    return performance.now() - started;
  },
);
const portal = await run('/portal', async (page) => {
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await page.getByRole('link', { name: 'Sign in' }).waitFor();
});
const docs = await run('/system/docs', (page) => page.locator('h1').first().waitFor());
await browser.close();
console.log(JSON.stringify({ console: consolePage, portal, reference_docs: docs }));
