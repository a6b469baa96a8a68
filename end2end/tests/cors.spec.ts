import { createHash, randomBytes } from 'crypto';
import { expect, test } from '@playwright/test';
import { cli, createUser, decide, ISSUER, Listener, signInHere } from './rp';

// Authorized JavaScript origins (issue 17): a browser app at a registered origin
// calls the token endpoint with a real fetch() in Chromium — preflighted (it sends a
// DPoP header) and plain — and reads the answer; from an origin no client
// registered, Chromium's CORS check fails the same fetch.
//
// Hydrated only: the browser app *is* JavaScript (fetch() from a page), so the
// JavaScript-off project has nothing to run; the portal's form for the field is
// covered in both projects by client_fields.spec.ts and it/client_fields.

let app: Listener;
let stranger: Listener;
test.beforeAll(async () => {
  app = await Listener.start();
  stranger = await Listener.start();
});
test.afterAll(async () => {
  await app.stop();
  await stranger.stop();
});

/** fetch() from the page's own origin to the token endpoint; what the page can read. */
async function fetchToken(page: import('@playwright/test').Page, body: string, dpop?: string) {
  return page.evaluate(async ({ url, body, dpop }) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (dpop) headers.DPoP = dpop;
    try {
      const r = await fetch(url, { method: 'POST', headers, body });
      return { status: r.status, json: await r.json() as Record<string, unknown> };
    } catch (e) {
      return { failed: String(e) };
    }
  }, { url: `${ISSUER}/oauth/token`, body, dpop });
}

test('a page at a registered origin reads the token response; another origin cannot', async ({ page }, testInfo) => {
  test.skip(!testInfo.project.name.startsWith('hydrated'), 'a browser app calling fetch() needs JavaScript');
  const user = createUser(testInfo, 'spa');
  const callback = app.callback(testInfo, 'spa');
  const name = `SPA ${testInfo.project.name} ${Date.now() % 100000}`;
  const out = cli(['client', 'add', '--name', name, '--type', 'native', '--redirect-uri', callback,
    '--scope', 'openid', '--allowed-origin', app.origin]);
  const clientId = /^client_id: (\S+)$/m.exec(out)?.[1];
  expect(clientId, out).toBeTruthy();

  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = `${ISSUER}/oauth/authorize?${new URLSearchParams({
    response_type: 'code', client_id: clientId!, redirect_uri: callback, scope: 'openid', state: 'spa-state',
    code_challenge: challenge, code_challenge_method: 'S256',
  })}`;
  await page.goto(authorize);
  await signInHere(page, testInfo, user);
  await decide(page, testInfo, name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  const code = (await app.arrival(callback)).searchParams.get('code')!;
  const form = new URLSearchParams({
    grant_type: 'authorization_code', code, redirect_uri: callback, code_verifier: verifier, client_id: clientId!,
  }).toString();

  // The page is now at the app's origin. From a stranger's origin first: the
  // preflight is refused, the fetch fails, and the code is not spent.
  await page.goto(`${stranger.origin}/elsewhere`);
  const refused = await fetchToken(page, form, 'not-a-proof');
  expect(refused).toHaveProperty('failed');
  // Without a preflight (a form post is a "simple" request) the server answers,
  // but the browser does not let the page read it.
  const unread = await fetchToken(page, 'grant_type=authorization_code&code=x&client_id=' + clientId);
  expect(unread).toHaveProperty('failed');

  await page.goto(`${app.origin}/spa`);
  // Preflighted (a DPoP header is not CORS-safelisted): allowed, and the refusal of
  // the bogus proof is readable.
  const preflighted = await fetchToken(page, form, 'not-a-proof');
  expect(preflighted).toMatchObject({ status: 400, json: { error: 'invalid_dpop_proof' } });
  const tokens = await fetchToken(page, form);
  expect(tokens).toMatchObject({ status: 200, json: { token_type: 'Bearer' } });
  expect(typeof (tokens as { json: Record<string, unknown> }).json.access_token).toBe('string');
});
