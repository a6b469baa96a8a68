import { expect, Page, test, TestInfo } from '@playwright/test';
import * as oidc from 'openid-client';
import { ready } from './helpers';
import { createUser, ISSUER, registerClient, RelyingParty, signInHere } from './rp';

// The device flow (RFC 8628) as a device runs it: panva's openid-client starts a
// device authorization and polls with its strict checks on (the ID token's claims and
// signature included), while a signed-out person in Chromium opens the address the
// device shows, signs in, compares the code and decides.

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

async function device(testInfo: TestInfo, stem: string) {
  const name = `${stem} ${testInfo.project.name} ${Date.now() % 100000}`;
  // The redirect URI is never used by the device flow; a web client needs one.
  const client = registerClient(name, 'http://127.0.0.1:9/unused', [
    '--grant', 'authorization_code', '--grant', 'refresh_token', '--grant', DEVICE_GRANT,
  ]);
  const rp = await RelyingParty.discover(client, 'http://127.0.0.1:9/unused');
  const started = await oidc.initiateDeviceAuthorization(rp.config, { scope: 'openid profile email' });
  return { name, rp, started };
}

/** The consent card, with the device's code beside it; then the person's choice. */
async function decideOnDevicePage(page: Page, testInfo: TestInfo, name: string, userCode: string, choice: 'Allow' | 'Deny') {
  await expect(page).toHaveURL(/\/device\?/);
  await expect(page.getByTestId('consent-client')).toHaveText(name);
  await expect(page.getByTestId('device-user-code')).toHaveText(userCode);
  await expect(page.getByTestId('consent-scopes')).toContainText('Sign you in with your Portcullis account');
  await ready(page, testInfo);
  await page.getByRole('button', { name: choice }).click();
}

test('a signed-out person opens verification_uri_complete, signs in, approves, and the device gets tokens', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'tess');
  const { name, rp, started } = await device(testInfo, 'Lobby TV');
  expect(started.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  expect(started.verification_uri).toBe(`${ISSUER}/device`);
  const polling = oidc.pollDeviceAuthorizationGrant(rp.config, started);

  await page.goto(started.verification_uri_complete!);
  await signInHere(page, testInfo, user);
  await decideOnDevicePage(page, testInfo, name, started.user_code, 'Allow');
  await expect(page.getByTestId('device-done')).toContainText('You can return to your device');

  const tokens = await polling;
  const claims = tokens.claims()!;
  expect(claims.iss).toBe(ISSUER);
  expect(claims.aud).toBe(rp.config.clientMetadata().client_id);
  expect(tokens.refresh_token).toBeTruthy();
  const info = await oidc.fetchUserInfo(rp.config, tokens.access_token, claims.sub);
  expect(info.preferred_username).toBe(user);
});

test('a person who types the code (lower case, a space for the dash) at verification_uri approves it', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'theo');
  const { name, rp, started } = await device(testInfo, 'Printer');
  const polling = oidc.pollDeviceAuthorizationGrant(rp.config, started);

  await page.goto(started.verification_uri);
  await signInHere(page, testInfo, user);
  await expect(page).toHaveURL(/\/device$/);
  await ready(page, testInfo);
  await page.getByLabel('Code').fill(started.user_code.toLowerCase().replace('-', ' '));
  await page.getByRole('button', { name: 'Continue' }).click();
  await decideOnDevicePage(page, testInfo, name, started.user_code, 'Allow');
  await expect(page.getByTestId('device-done')).toContainText('You can return to your device');

  const tokens = await polling;
  expect(tokens.claims()!.iss).toBe(ISSUER);
});

test('a wrong code is refused readably, and denying sends the device access_denied', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'dina');
  const { name, rp, started } = await device(testInfo, 'Kiosk');
  const polling = oidc.pollDeviceAuthorizationGrant(rp.config, started);
  // Observed now, so the rejection is never unhandled while the browser works.
  const outcome = polling.then(() => 'tokens', (e) => e);

  await page.goto(started.verification_uri);
  await signInHere(page, testInfo, user);
  await ready(page, testInfo);
  await page.getByLabel('Code').fill('BCDF-BCDF');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByTestId('device-error')).toContainText('That code is not valid');
  await ready(page, testInfo);
  await page.getByLabel('Code').fill(started.user_code);
  await page.getByRole('button', { name: 'Continue' }).click();
  await decideOnDevicePage(page, testInfo, name, started.user_code, 'Deny');
  await expect(page.getByTestId('device-done')).toContainText('Access denied');

  expect(await outcome).toMatchObject({ error: 'access_denied' });
});
