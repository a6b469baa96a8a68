import { expect, test } from '@playwright/test';
import * as oidc from 'openid-client';
import { ADMIN_PASSWORD, expectAccessible, goto, ready, signIn } from './helpers';
import { createUser, decide, expectCode, Listener, registerClient, RelyingParty, signInHere } from './rp';

// Issue 16, item 5: an administrator sees the apps a person allowed (and the
// agents acting through them) and revokes one for them, confirmed; the app's
// tokens stop at once. The person's part starts at the app, signed out.

let app: Listener;
test.beforeAll(async () => {
  app = await Listener.start();
});
test.afterAll(async () => {
  await app.stop();
});

test("an administrator revokes an app on a person's behalf from the users list", async ({ page, browser, request }, testInfo) => {
  const user = createUser(testInfo, 'ria');
  const name = `Ledger ${testInfo.project.name} ${Date.now() % 100000}`;
  const callback = app.callback(testInfo, 'ledger');
  const client = registerClient(name, callback);
  const rp = await RelyingParty.discover(client, callback);
  const { url, checks } = await rp.authorizationUrl();
  await page.goto(url);
  await signInHere(page, testInfo, user);
  await decide(page, testInfo, name, 'Allow');
  const arrival = await app.arrival(callback);
  expectCode(arrival, checks);
  const tokens = await oidc.authorizationCodeGrant(rp.config, arrival, {
    pkceCodeVerifier: checks.verifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: true,
  });
  const basic = { Authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` };
  const active = async () => (await (await request.post('/oauth/introspect', { form: { token: tokens.access_token }, headers: basic })).json()).active;
  expect(await active()).toBe(true);

  // The administrator, in a browser of their own.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(admin, testInfo, `/admin/users?search=${encodeURIComponent(user)}`);
  await admin.getByRole('link', { name: `Authorizations of ${user}` }).click();
  await expect(admin.getByRole('heading', { level: 1 })).toContainText(user);
  const card = admin.getByTestId(`app-${name}`);
  await expect(card.getByTestId('app-scopes')).toContainText('See your name and username');
  await expectAccessible(admin, '/admin/users/:id/apps');
  await ready(admin, testInfo);

  await card.getByRole('button', { name: 'Revoke for this person' }).click();
  await expect(card).toBeVisible();
  expect(await active()).toBe(true);
  await card.getByLabel(/loses access to/).check();
  await card.getByRole('button', { name: 'Revoke for this person' }).click();
  await expect(admin.getByRole('status')).toContainText("access to this person's account was revoked");
  await expect(admin.getByTestId('no-apps')).toBeVisible();
  expect(await active()).toBe(false);
  await adminContext.close();
});
