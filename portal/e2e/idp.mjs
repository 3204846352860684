// A real OpenID Connect provider for tests, on loopback: panva's certified
// oidc-provider with one confidential client, a few users and an
// interaction that a headless browser and a plain HTTP client without
// JavaScript can both drive: a login form (POST login, password; the
// password is `secret` for everyone), then consent granted at once.
//
//   node e2e/idp.mjs --port 0 --client-id sluice --client-secret s3cret \
//     --redirect-uri http://127.0.0.1:8080/callback [--redirect-uri ...] [--users FILE]
//
// Prints exactly one line on stdout, `listening on http://127.0.0.1:PORT`,
// once it accepts connections (the issuer is that URL); logs go to stderr.
// Extra: GET /test/stats -> {"logins": n}, successful logins so far.
// Exits cleanly on SIGTERM (and SIGINT).
//
// --users FILE is JSON, either {"login": {claims}} or [{"login": ..., claims}],
// where claims are sub (defaults to the login), email, email_verified, name.
import http from 'node:http';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

// stdout carries only the listening line: oidc-provider's notices use
// console.info, so everything the console says goes to stderr.
for (const level of ['log', 'info', 'debug', 'warn']) console[level] = console.error;

const { default: Provider } = await import('oidc-provider');

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string', default: 'sluice' },
    'client-secret': { type: 'string', default: 'sluice-secret' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    users: { type: 'string' },
  },
  strict: true,
});

const PASSWORD = 'secret';

const DEFAULT_USERS = {
  ada: { email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace' },
  eve: { email: 'eve@example.com', email_verified: false, name: 'Eve' },
};

/** login name -> claims (with sub) */
function loadUsers(file) {
  const raw = file ? JSON.parse(readFileSync(file, 'utf8')) : DEFAULT_USERS;
  const entries = Array.isArray(raw) ? raw.map(({ login, ...claims }) => [login, claims]) : Object.entries(raw);
  const users = new Map();
  for (const [login, claims] of entries) {
    if (!login) throw new Error('every user needs a login');
    users.set(login, { ...claims, sub: String(claims.sub ?? login) });
  }
  return users;
}
const users = loadUsers(args.users);
const bySub = new Map([...users.values()].map((u) => [u.sub, u]));

let logins = 0;

const html = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, { error, login } = {}) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><h1>Sign in</h1>
${error ? `<p role="alert" class="error">${html(error)}</p>\n` : ''}<form method="post" action="/interaction/${html(uid)}/login"><input name="login" aria-label="Login" value="${html(login ?? '')}"><input name="password" type="password" aria-label="Password"><button type="submit">Sign in</button></form>
</body></html>
`;
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** Grants what the interaction asks for (scopes, claims), merged into any grant it has. */
async function grantAll(provider, details, accountId) {
  const { params, grantId } = details;
  const existing = grantId && await provider.Grant.find(grantId);
  const grant = existing?.accountId === accountId
    ? existing
    : new provider.Grant({ accountId, clientId: params.client_id });
  const requested = new Set(String(params.scope ?? '').split(' ').filter(Boolean));
  const details_ = details.prompt.details ?? {};
  for (const scope of details_.missingOIDCScope ?? []) requested.add(scope);
  grant.addOIDCScope([...requested].join(' '));
  if (details_.missingOIDCClaims?.length) grant.addOIDCClaims(details_.missingOIDCClaims);
  if (params.claims) {
    try {
      const claims = JSON.parse(params.claims);
      const names = new Set([...Object.keys(claims.userinfo ?? {}), ...Object.keys(claims.id_token ?? {})]);
      if (names.size) grant.addOIDCClaims([...names]);
    } catch { /* oidc-provider has validated it already */ }
  }
  for (const [indicator, scopes] of Object.entries(details_.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

/** The interaction routes: GET /interaction/:uid, POST /interaction/:uid/login. */
async function interaction(provider, req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch\n');
  const { prompt } = details;

  if (req.method === 'GET' && !action) {
    if (prompt.name === 'login') return send(res, 200, 'text/html; charset=utf-8', loginPage(uid));
    if (prompt.name === 'consent') {
      const grantId = await grantAll(provider, details, details.session?.accountId);
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    return send(res, 400, 'text/plain', `unsupported prompt ${prompt.name}\n`);
  }

  if (req.method === 'POST' && action === 'login') {
    if (prompt.name !== 'login') return send(res, 400, 'text/plain', 'no login expected\n');
    const form = await readForm(req);
    const login = form.get('login') ?? '';
    const user = users.get(login);
    if (!user || form.get('password') !== PASSWORD) {
      return send(res, 401, 'text/html; charset=utf-8', loginPage(uid, { error: 'Invalid login or password.', login }));
    }
    logins += 1;
    // Consent at once: the grant goes with the login, so no second page.
    const grantId = await grantAll(provider, details, user.sub);
    return provider.interactionFinished(req, res, {
      login: { accountId: user.sub },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  }

  return send(res, 405, 'text/plain', 'method not allowed\n');
}

let handle = (req, res) => send(res, 503, 'text/plain', 'starting\n');
const server = http.createServer((req, res) => handle(req, res));
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(args.port), '127.0.0.1', resolve);
});
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    application_type: 'web',
    // client_secret_post is accepted too: oidc-provider takes either secret
    // mechanism for a client registered with one of them.
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: args['redirect-uri'],
    post_logout_redirect_uris: args['redirect-uri'],
  }],
  jwks: { keys: [signingKey] },
  cookies: {
    // Cookies ignore ports: the IdP and Sluice share the host 127.0.0.1
    // (in a browser and in a reqwest cookie store), so names of its own.
    names: { session: 'idp_session', interaction: 'idp_interaction', resume: 'idp_interaction_resume' },
    keys: [crypto.randomBytes(32).toString('base64url')],
    // Plain http on loopback: SameSite=None would need Secure, so lax.
    long: { httpOnly: true, sameSite: 'lax', signed: true },
    short: { httpOnly: true, sameSite: 'lax', signed: true },
  },
  scopes: ['openid', 'email', 'profile', 'offline_access'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // The ID token carries the scopes' claims too, not only userinfo.
  conformIdTokenClaims: false,
  pkce: { methods: ['S256'], required: () => false },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    revocation: { enabled: true },
    rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  clientBasedCORS: () => true,
  async findAccount(ctx, id) {
    const user = bySub.get(id);
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        const { sub, email, email_verified, name } = user;
        return { sub, email, email_verified, name };
      },
    };
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 600,
    ClientCredentials: 600,
    IdToken: 3600,
    Interaction: 3600,
    Grant: 86400,
    RefreshToken: 86400,
    Session: 86400,
  },
  async renderError(ctx, out, error) {
    console.error('oidc error:', out, error?.stack ?? '');
    ctx.type = 'html';
    ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body><h1>${html(out.error)}</h1><p>${html(out.error_description ?? '')}</p></body></html>`;
  },
});

async function logoutSource(ctx, form) {
  ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign out</title></head><body>${form}<button form="op.logoutForm" type="submit" name="logout" value="yes">Sign out</button></body></html>`;
}
async function postLogoutSuccessSource(ctx) {
  ctx.body = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><p>Signed out.</p></body></html>';
}

provider.on('server_error', (ctx, err) => console.error('server_error', err));

const callback = provider.callback();
handle = async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname === '/test/stats' && req.method === 'GET') {
      return send(res, 200, 'application/json', JSON.stringify({ logins }));
    }
    const m = /^\/interaction\/([^/]+)(?:\/([a-z]+))?\/?$/.exec(url.pathname);
    if (m) return await interaction(provider, req, res, m[1], m[2]);
    return callback(req, res);
  } catch (err) {
    console.error(`${req.method} ${url.pathname}:`, err);
    if (!res.headersSent) send(res, err.statusCode ?? 500, 'text/plain', `${err.name}: ${err.message}\n`);
    else res.end();
  }
};

process.stdout.write(`listening on ${issuer}\n`);

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
