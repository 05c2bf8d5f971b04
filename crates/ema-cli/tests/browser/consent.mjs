// CL-06: ema serve's consent page in a real browser (headless Chromium, driven by
// playwright-core). EMA_BASE is a running `ema serve` with examples/stack.toml (ports
// rewritten); CHROMIUM the browser (default /usr/bin/chromium).
//
// 1. the authorization request of the public client `inspector` (PKCE S256, login_hint=alice,
//    a loopback redirect URI served here) → the IdP → the AS's callback → the consent page:
//    it shows the client, the resource and the scopes; Approve → the redirect carries code,
//    state and iss, and the code redeems for an access token at the AS;
// 2. a fresh browser profile: Deny → error=access_denied with state and iss, no code.
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const base = process.env.EMA_BASE;
assert.ok(base, 'EMA_BASE is required');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

async function waitHealthy() {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${base} did not become healthy`);
}

// The client's redirect URI: a loopback listener that records what arrives.
const arrived = [];
const callbackServer = createServer((req, res) => {
  arrived.push(req.url);
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end('<!doctype html><title>client</title><p id="done">back at the client</p>');
});
await new Promise((r) => callbackServer.listen(0, '127.0.0.1', r));
const redirectUri = `http://127.0.0.1:${callbackServer.address().port}/callback`;

function authorizeUrl(state, challenge) {
  const u = new URL(`${base}/as/authorize`);
  u.search = new URLSearchParams({
    response_type: 'code',
    client_id: 'inspector',
    redirect_uri: redirectUri,
    scope: 'todo.read',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource: `${base}/mcp`,
    login_hint: 'alice',
  }).toString();
  return u.toString();
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/** A fresh profile (its own --user-data-dir) at the consent page of a new request. */
async function toConsent(state, challenge) {
  const profile = mkdtempSync(join(tmpdir(), 'ema-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath, headless: true, args: FLAGS,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const response = await page.goto(authorizeUrl(state, challenge));
  assert.equal(response.status(), 200, 'the consent page');
  assert.equal(new URL(page.url()).pathname, '/as/authorize');
  assert.equal(await page.textContent('#client'), 'inspector');
  assert.equal(await page.textContent('#resource'), `${base}/mcp`);
  assert.deepEqual(await page.locator('.scope').allTextContents(), ['todo.read']);
  assert.equal(await page.textContent('#user'), 'alice');
  assert.equal(await page.textContent('#redirect'), redirectUri);
  const session = (await context.cookies(`${base}/as/authorize`)).find((c) => c.name === 'ema_as_session');
  assert.ok(session, 'a session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');
  assert.equal(session.path, '/as');
  const close = async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); };
  return { page, close };
}

let failed = false;
try {
  await waitHealthy();

  // 1. Approve.
  const approve = pkce();
  let { page, close } = await toConsent('st-approve', approve.challenge);
  await Promise.all([page.waitForURL(`${redirectUri}?**`), page.click('#approve')]);
  let answer = new URL(page.url()).searchParams;
  assert.ok(answer.get('code'), 'a code');
  assert.equal(answer.get('state'), 'st-approve');
  assert.equal(answer.get('iss'), `${base}/as`);
  assert.equal(answer.get('error'), null);
  assert.equal(await page.textContent('#done'), 'back at the client');
  await close();
  const token = await fetch(`${base}/as/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: answer.get('code'),
      redirect_uri: redirectUri,
      code_verifier: approve.verifier,
      client_id: 'inspector',
    }),
  });
  const tokens = await token.json();
  assert.equal(token.status, 200, JSON.stringify(tokens));
  assert.equal(tokens.token_type, 'Bearer');
  assert.equal(tokens.resource, `${base}/mcp`);
  const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url'));
  assert.equal(claims.sub, 'alice');
  console.log('approve: redirect with code, state, iss; access token for alice');

  // 2. Deny, in a fresh profile.
  const deny = pkce();
  ({ page, close } = await toConsent('st-deny', deny.challenge));
  await Promise.all([page.waitForURL(`${redirectUri}?**`), page.click('#deny')]);
  answer = new URL(page.url()).searchParams;
  assert.equal(answer.get('error'), 'access_denied');
  assert.equal(answer.get('state'), 'st-deny');
  assert.equal(answer.get('iss'), `${base}/as`);
  assert.equal(answer.get('code'), null);
  await close();
  console.log('deny: redirect with error=access_denied, state, iss');
  // (Chromium may also ask the client's origin for /favicon.ico.)
  const callbacks = arrived.filter((u) => u.startsWith('/callback?'));
  assert.equal(callbacks.length, 2, `the client was reached once per run: ${arrived}`);
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  callbackServer.close();
}
process.exit(failed ? 1 : 0);
