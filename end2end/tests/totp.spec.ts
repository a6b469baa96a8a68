// Issue 15, second factors: a person sets up an authenticator app on the account
// page, then a signed-out start at an app's authorization URL asks for the password
// and then a code, and the app's ID token says so (`amr` has `otp`). Hydrated and
// without JavaScript. Codes are computed here (RFC 6238 on node:crypto).
import { expect, test } from '@playwright/test';
import { base32Decode, expectAccessible, failOnPageErrors, goto, ready, signIn, totp } from './helpers';
import {
  createUser, decide, expectCode, Listener, registerClient, RelyingParty, signInHere, USER_PASSWORD,
} from './rp';

failOnPageErrors();

const now = () => Math.floor(Date.now() / 1000);

let app: Listener;
test.beforeAll(async () => {
  app = await Listener.start();
});
test.afterAll(async () => {
  await app.stop();
});

test('a person sets up an authenticator app, then signs in to an app with password and code; amr says otp', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'otto');
  await signIn(page, testInfo, user, USER_PASSWORD);
  await goto(page, testInfo, '/account');
  await page.getByRole('link', { name: /Two-step sign-in/ }).click();
  await expect(page).toHaveURL(/\/account\/two-factor$/);
  await ready(page, testInfo);
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await expect(page.getByTestId('totp-uri')).toContainText(`otpauth://totp/Portcullis:${user}?secret=`);
  await expect(page.getByRole('img', { name: 'QR code of the setup link' }).locator('svg')).toBeVisible();
  await ready(page, testInfo);
  await expectAccessible(page, 'two-factor setup');
  const secret = base32Decode((await page.getByTestId('totp-secret').innerText()).trim());

  // A wrong code is refused beside its field.
  await page.getByLabel('Code from your app').fill('000000');
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.locator('#f-code-error')).toContainText('not right');
  await ready(page, testInfo);
  await page.getByLabel('Code from your app').fill(totp(secret, now()));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByTestId('recovery-codes').getByRole('listitem')).toHaveCount(10);
  await expect(page.getByTestId('codes-left')).toHaveText('Recovery codes left: 10');
  await ready(page, testInfo);
  await expectAccessible(page, 'two-factor on');

  // Signed out, the app sends the person to sign in.
  await page.context().clearCookies();
  const callback = app.callback(testInfo, 'Totp');
  const name = `Totp ${testInfo.project.name} ${Date.now() % 100000}`;
  const rp = await RelyingParty.discover(registerClient(name, callback), callback);
  const { url, checks } = await rp.authorizationUrl();
  await page.goto(url);
  await signInHere(page, testInfo, user);
  await expect(page).toHaveURL(/\/login\/second-factor\?/);
  await ready(page, testInfo);
  await expectAccessible(page, 'second step');
  // The step the enrolment used is spent; the next one is within the window.
  await page.getByLabel('Code from your authenticator app').fill(totp(secret, now() + 30));
  await page.getByRole('button', { name: 'Continue' }).click();
  await decide(page, testInfo, name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();

  const arrival = await app.arrival(callback);
  expectCode(arrival, checks);
  const { claims } = await rp.redeem(arrival, checks);
  expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
  expect(claims.acr).toBe('urn:portcullis:acr:mfa');
});
