import { expect, test } from '@playwright/test';
import { ADMIN_PASSWORD } from '../playwright.config';
import { goto, signIn } from './helpers';
import { decide, expectCode, Listener, registerClient, RelyingParty, signInHere } from './rp';

// Issue 15 (seeds 001 and 004): people of the campus directory — a real OpenLDAP
// slapd started beside the server (tests/ldap_directory.cjs) — sign in with the
// directory's password. It starts where they start: a signed-out browser an app
// (openid-client) sent to its authorization URL; it ends at the app's listener.

let app: Listener;
test.beforeAll(async () => {
  app = await Listener.start();
});
test.afterAll(async () => {
  await app.stop();
});

test('a directory person sent by an app signs in with the directory password, and the app signs them in', async ({ page, browser }, testInfo) => {
  // One person per project: their first sign-in provisions the account.
  const [uid, given, family] = testInfo.project.name.startsWith('no-js')
    ? ['emmy', 'Emmy', 'Noether'] : ['ada', 'Ada', 'Lovelace'];
  const callback = app.callback(testInfo, 'campus');
  const name = `Campus app ${testInfo.project.name} ${Date.now() % 100000}`;
  const rp = await RelyingParty.discover(registerClient(name, callback), callback);

  const { url, checks } = await rp.authorizationUrl();
  await page.goto(url);
  // The directory refuses a wrong password as a local account would.
  await signInHere(page, testInfo, uid, 'not the directory passphrase');
  await expect(page.getByTestId('form-error')).toHaveText('Incorrect username or password.');
  await signInHere(page, testInfo, uid, `${uid}-directory-passphrase`);
  await decide(page, testInfo, name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();

  const arrival = await app.arrival(callback);
  expectCode(arrival, checks);
  const { userinfo } = await rp.redeem(arrival, checks);
  expect(userinfo.preferred_username).toBe(uid);
  expect(userinfo.email).toBe(`${uid}@campus.example`);
  expect(userinfo.email_verified).toBe(true);
  expect(userinfo.given_name).toBe(given);
  expect(userinfo.family_name).toBe(family);

  // Their account page says where the password and address are changed.
  await goto(page, testInfo, '/account');
  await expect(page.getByTestId('directory-account')).toContainText(
    "Your organisation's directory keeps your password and e-mail address");
  await expect(page.getByTestId('account-email')).toHaveText(`${uid}@campus.example`);
  await expect(page.getByTestId('password')).toHaveCount(0);

  // Administrators see which accounts are the directory's.
  const context = await browser.newContext({ javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  try {
    const admin = await context.newPage();
    await signIn(admin, testInfo, 'admin', ADMIN_PASSWORD);
    await goto(admin, testInfo, `/admin/users?search=${uid}`);
    await expect(admin.getByTestId(`user-${uid}`).getByTestId('directory-account')).toHaveText('directory account');
  } finally {
    await context.close();
  }
});
