// The user of the conformance suite's `authorization-code-grant` scenario: open the
// authorization URL (argv[2]) in headless Chromium, sign in at the IdP through the AS
// (`login_hint` = argv[3], the development IdP has no login page), click Approve on the
// consent page, and wait until the browser reaches the suite's callback (argv[4], its origin
// and path).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, user, callback] = process.argv.slice(2);
if (!url || !user || !callback) {
  console.error('usage: approve.mjs AUTHORIZATION_URL USER CALLBACK_URL');
  process.exit(2);
}
const authorize = new URL(url);
authorize.searchParams.set('login_hint', user);
const profile = mkdtempSync(join(tmpdir(), 'ema-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
let code = 0;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(authorize.toString());
  await Promise.all([page.waitForURL(`${callback}?**`), page.click('#approve')]);
  console.log(`approved; the browser reached ${new URL(page.url()).pathname}`);
} catch (e) {
  console.error(e);
  code = 1;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
