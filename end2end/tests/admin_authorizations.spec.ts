import { expect, test } from '@playwright/test';
import * as oidc from 'openid-client';
import { addDeveloper, ADMIN_PASSWORD, DEV_PASSWORD, expectAccessible, goto, ready, signIn, unique } from './helpers';
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

test("an administrator revokes a person's personal access token from their authorizations page", async ({ page, browser, request }, testInfo) => {
  const dev = unique(testInfo, 'pat-admin');
  addDeveloper(dev);
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/account/tokens');
  const form = page.getByTestId('make-personal-token');
  await form.getByLabel('Name (what will use it)').fill('Old laptop');
  await form.getByRole('button', { name: 'Make token' }).click();
  const token = (await page.getByTestId('new-personal-token-value').textContent())!.trim();
  const headers = { authorization: `Bearer ${token}` };
  expect((await request.get('/api/v1/clients', { headers })).status()).toBe(200);

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(admin, testInfo, `/admin/users?search=${encodeURIComponent(dev)}`);
  await admin.getByRole('link', { name: `Authorizations of ${dev}` }).click();
  const row = admin.getByTestId('user-personal-token').filter({ hasText: 'Old laptop' });
  await expect(row).toContainText('full access');
  await ready(admin, testInfo);
  await row.getByLabel(/whatever uses this token stops working/).check();
  await row.getByRole('button', { name: 'Revoke the token Old laptop' }).click();
  await expect(admin.getByRole('status')).toContainText('The token was revoked');
  await expect(admin.getByTestId('user-personal-token')).toHaveCount(0);
  expect((await request.get('/api/v1/clients', { headers })).status()).toBe(401);
  await adminContext.close();
});
