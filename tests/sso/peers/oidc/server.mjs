// A real OpenID Provider for authgate's SSO tests: the certified `oidc-provider` package,
// configured with its own login and consent pages and open dynamic client registration.
//
//   PORT=<port> node server.mjs
//
// Everything else happens over HTTP, as with any OpenID Provider:
//   POST /reg                 RFC 7591 dynamic client registration (each test registers its
//                             own client with the redirect URIs it needs)
//   GET  /interaction/<uid>   the login form (fields `login`, `password`) or the consent form
//   POST /_test/accounts      {login, password, claims, login_result?} adds an account (a test
//                             fixture's way to seed users; the provider itself knows nothing of
//                             it); login_result ({amr, acr}) is what each sign-in asserts
//   POST /_test/sign          {header, claims} a JWT signed with the provider's own key (the
//                             tests' way to hand-make logout tokens, good and tampered)
// RP-initiated logout (GET /session/end, its confirmation form) and back-channel logout (the
// provider POSTs a logout token to a client's backchannel_logout_uri) are enabled.
// It prints "oidc peer listening on <issuer>" once it accepts connections.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 0);
if (!port) {
  console.error('PORT is required');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

// login -> { password, claims }
const accounts = new Map();

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'peer-rs256', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    revocation: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    backchannelLogout: { enabled: true },
  },
  claims: {
    // what a sign-in asserts (an account's login_result), in the ID token when set
    acr: null,
    amr: null,
    openid: ['sub', 'acr', 'amr'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name', 'name', 'groups', 'org'],
  },
  // Refresh tokens whenever the client may use them (no offline_access dance), and a new one
  // at every use, so that a relying party that does not keep the rotated token notices.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  pkce: { required: () => false },
  // The relying parties of the tests listen on 127.0.0.1, which the provider's guard against
  // server-side request forgery refuses (its dispatcher): this test peer calls them directly.
  fetch: (url, options) => globalThis.fetch(url, { ...options, dispatcher: undefined }),
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, RefreshToken: 86400, Interaction: 600, Session: 3600, Grant: 86400 },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...account.claims }) };
  },
});
provider.proxy = false;
provider.on('backchannel.error', (ctx, error, client) => {
  console.error(`back-channel logout to ${client.clientId} failed: ${error.message}`);
});
provider.on('backchannel.success', (ctx, client) => {
  console.log(`back-channel logout to ${client.clientId} delivered`);
});

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, title, body) {
  res.statusCode = 200;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(`<!doctype html><html><head><title>${escape(title)}</title></head><body>${body}</body></html>`);
}

function loginForm(res, uid, problem) {
  page(res, 'Sign-in', `
    <h1>Sign in</h1>${problem ? `<p class="error">${escape(problem)}</p>` : ''}
    <form id="login" method="post" action="/interaction/${escape(uid)}/login">
      <input name="login" autocomplete="username">
      <input name="password" type="password" autocomplete="current-password">
      <button type="submit">Sign in</button>
    </form>`);
}

function consentForm(res, uid, clientId) {
  page(res, 'Authorize', `
    <h1>Allow ${escape(clientId)}?</h1>
    <form id="consent" method="post" action="/interaction/${escape(uid)}/confirm">
      <button type="submit">Allow</button>
    </form>`);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 65536) throw new Error('body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    res.statusCode = 400;
    res.end('interaction mismatch');
    return;
  }
  const { prompt, params, session, grantId } = details;
  if (req.method === 'GET' && !action) {
    if (prompt.name === 'login') return loginForm(res, uid);
    return consentForm(res, uid, params.client_id);
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const account = accounts.get(form.get('login') || '');
    if (!account || account.password !== form.get('password')) {
      return loginForm(res, uid, 'Wrong login or password');
    }
    // An account may carry what its sign-in asserts (amr, acr), as a provider with MFA would.
    const login = { accountId: form.get('login'), ...(account.loginResult || {}) };
    return provider.interactionFinished(req, res, { login }, {
      mergeWithLastSubmission: false,
    });
  }
  if (req.method === 'POST' && action === 'confirm') {
    await readForm(req);
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    if (missing.missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
    }
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, {
      mergeWithLastSubmission: true,
    });
  }
  res.statusCode = 405;
  res.end('method not allowed');
}

async function addAccount(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const { login, password, claims, login_result: loginResult } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  if (typeof login !== 'string' || typeof password !== 'string') {
    res.statusCode = 400;
    res.end('login and password are required');
    return;
  }
  accounts.set(login, { password, claims: claims || {}, loginResult: loginResult || {} });
  res.statusCode = 201;
  res.end();
}

async function sign(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const { header, claims } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const key = await jose.importJWK(signingKey, 'RS256');
  const token = await new jose.SignJWT(claims || {})
    .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid, ...(header || {}) })
    .sign(key);
  res.statusCode = 200;
  res.setHeader('content-type', 'text/plain');
  res.end(token);
}

const handle = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname === '/_test/accounts' && req.method === 'POST') return await addAccount(req, res);
    if (url.pathname === '/_test/sign' && req.method === 'POST') return await sign(req, res);
    const match = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login|confirm))?$/);
    if (match) return await interaction(req, res, match[1], match[2]);
    return handle(req, res);
  } catch (error) {
    console.error(error);
    if (!res.headersSent) res.statusCode = 500;
    res.end(String(error && error.message));
  }
});

server.listen(port, '127.0.0.1', () => console.log(`oidc peer listening on ${issuer}`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
