import { expect, test, TestInfo } from '@playwright/test';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { ready, unique } from './helpers';
import {
  createUser, decide, ISSUER, Listener, registerClient, RelyingParty, RESERVED, signInHere,
} from './rp';

// OpenID Connect logout (issue 18), from where people start: a signed-out browser sent
// by an app (openid-client, strict checks) to sign in, then an app — or the portal's
// own button — signing them out. The apps' listeners receive the front-channel page
// loads and the back-channel logout tokens, which are verified with the published keys.

let app: Listener;
test.beforeAll(async () => {
  app = await Listener.start();
});
test.afterAll(async () => {
  await app.stop();
});

type App = {
  name: string; callback: string; afterLogout: string; backchannel: string;
  client: { id: string; secret: string }; rp: RelyingParty;
};

async function logoutApp(testInfo: TestInfo, stem: string, extra: string[] = []): Promise<App> {
  const callback = app.callback(testInfo, stem);
  const afterLogout = `${app.origin}/after/${unique(testInfo, stem)}`;
  const backchannel = `${app.origin}/bc/${unique(testInfo, stem)}`;
  const name = `${stem} ${testInfo.project.name} ${Date.now() % 100000}`;
  const client = registerClient(name, callback, [
    '--post-logout-redirect-uri', afterLogout, '--backchannel-logout-uri', backchannel, ...extra,
  ]);
  return { name, callback, afterLogout, backchannel, client, rp: await RelyingParty.discover(client, callback) };
}

/** Through the app's authorization URL to its callback; the app redeems the code. */
async function signInTo(page: import('@playwright/test').Page, testInfo: TestInfo, a: App, user?: string) {
  const seen = app.hitsOn(a.callback).length;
  const { url, checks } = await a.rp.authorizationUrl();
  await page.goto(url);
  if (user) await signInHere(page, testInfo, user);
  await decide(page, testInfo, a.name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  return a.rp.redeem(await app.arrival(a.callback, seen), checks);
}

/** The logout token posted to `a`'s back channel, verified as an app must (§2.6). */
async function logoutToken(a: App) {
  await expect.poll(() => app.postsOn(a.backchannel).length, { timeout: 15_000 }).toBeGreaterThan(0);
  const token = new URLSearchParams(app.postsOn(a.backchannel)[0]).get('logout_token')!;
  const jwks = jose.createRemoteJWKSet(new URL(`${ISSUER}/oauth/jwks`));
  const { payload } = await jose.jwtVerify(token, jwks, {
    issuer: ISSUER, audience: a.client.id, typ: 'logout+jwt', maxTokenAge: '5m',
  });
  expect(payload.events).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout']);
  expect(payload.nonce).toBeUndefined();
  return payload;
}

async function expectSignedOutHere(page: import('@playwright/test').Page) {
  await page.goto('/apps');
  await expect(page.getByRole('link', { name: 'Sign in' }).first()).toBeVisible();
}

test('signed in to two apps, signed out by one: it gets its state back, and both apps are told', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'lou');
  const planner = await logoutApp(testInfo, 'Planner');
  const frontchannel = `${app.origin}/fc/${unique(testInfo, 'Gradebook')}`;
  const gradebook = await logoutApp(testInfo, 'Gradebook', [
    '--frontchannel-logout-uri', frontchannel, '--frontchannel-logout-session-required',
  ]);
  const a = await signInTo(page, testInfo, planner, user);
  const b = await signInTo(page, testInfo, gradebook);
  const sid = a.claims.sid as string;
  expect(sid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(b.claims.sid).toBe(sid);

  const state = `${RESERVED}${oidc.randomState()}`;
  const end = oidc.buildEndSessionUrl(planner.rp.config, {
    id_token_hint: a.tokens.id_token!, post_logout_redirect_uri: planner.afterLogout, state,
  });
  await page.goto(end.href);
  // The app's own page, with its state exactly, after the sign-out page loaded the
  // other app's front channel with iss and sid.
  const back = await app.arrival(planner.afterLogout);
  expect(back.searchParams.get('state')).toBe(state);
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  const fc = await app.arrival(frontchannel);
  expect(fc.searchParams.get('iss')).toBe(ISSUER);
  expect(fc.searchParams.get('sid')).toBe(sid);
  for (const told of [planner, gradebook]) {
    const t = await logoutToken(told);
    expect(t.sub).toBe(a.claims.sub);
    expect(t.sid).toBe(sid);
  }
  await expectSignedOutHere(page);
});

test('an app without the ID token asks the person first; they confirm and land on its page', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'mia');
  const planner = await logoutApp(testInfo, 'Asker');
  const a = await signInTo(page, testInfo, planner, user);
  const state = `${RESERVED}${oidc.randomState()}`;
  const end = oidc.buildEndSessionUrl(planner.rp.config, {
    client_id: planner.client.id, post_logout_redirect_uri: planner.afterLogout, state,
  });
  await page.goto(end.href);
  await expect(page.getByTestId('logout-question')).toContainText(`${planner.name} asks to sign you out`);
  await ready(page, testInfo);
  await page.getByRole('button', { name: 'Sign out' }).last().click();
  const back = await app.arrival(planner.afterLogout);
  expect(back.searchParams.get('state')).toBe(state);
  expect((await logoutToken(planner)).sub).toBe(a.claims.sub);
  await expectSignedOutHere(page);
});

test("the portal's own Sign out button tells the apps the person used", async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'noa');
  const frontchannel = `${app.origin}/fc/${unique(testInfo, 'Portal')}`;
  const gradebook = await logoutApp(testInfo, 'Portal', ['--frontchannel-logout-uri', frontchannel]);
  const b = await signInTo(page, testInfo, gradebook, user);
  await page.goto('/apps');
  await ready(page, testInfo);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole('status')).toHaveText('You have been signed out.');
  // Registered without session_required: the front channel gets no iss/sid.
  const fc = await app.arrival(frontchannel);
  expect(fc.searchParams.get('sid')).toBeNull();
  expect((await logoutToken(gradebook)).sub).toBe(b.claims.sub);
});
