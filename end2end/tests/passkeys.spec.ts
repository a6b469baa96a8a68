// WebAuthn passkeys: a person adds one on /account/passkeys, then a signed-out start
// at an app's authorization URL signs in with it alone (no password) and the app's
// ID token says so (`amr` is swk + mfa); a person with two-step sign-in gives it
// after the password instead of a code (`pwd swk mfa`); a removed passkey no
// longer signs anyone in.
// Without JavaScript the pages say passkeys need it and the password still works.
//
// WebAuthn refuses IP-address origins and the shared test server is at 127.0.0.1, so
// this spec starts a server of its own at http://localhost:P (as upstream.spec.ts
// does), and Chromium's virtual authenticator (DevTools WebAuthn domain) stands in
// for the person's device: a platform authenticator with discoverable credentials
// and user verification.
import * as net from 'net';
import { CDPSession, expect, Page, test, TestInfo } from '@playwright/test';
import { BAD_PORTS } from '../playwright.config';
import { OwnServer } from './own_server';
import { base32Decode, expectAccessible, failOnPageErrors, goto, ready, totp, unique } from './helpers';
import {
  cli, decide, expectCode, Listener, RESERVED, registerClient, RelyingParty, USER_PASSWORD,
} from './rp';

let server: OwnServer;
let base: string; // http://localhost:P
let env: Record<string, string>;
let app: Listener;
failOnPageErrors();

/** A free port of this machine that browsers and fetch accept. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    if (!BAD_PORTS.has(port)) return port;
  }
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  server = new OwnServer('passkeys', await freePort(), 'localhost');
  ({ base, env } = server);
  await server.start();
  app = await Listener.start();
});

test.afterAll(async () => {
  await app?.stop();
  await server?.stop();
});

/** A new person of this server, signing in with USER_PASSWORD. */
function person(testInfo: TestInfo, stem: string): string {
  const name = unique(testInfo, stem);
  cli(['user', 'add', '--username', name, '--email', `${name}@example.edu`, '--display-name', `${stem} person`],
    USER_PASSWORD, env);
  return name;
}

/** Signs in with the password form of this server's /login. */
async function signInWithPassword(page: Page, testInfo: TestInfo, username: string) {
  await goto(page, testInfo, `${base}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByTestId('whoami')).toBeAttached();
}

/** Chromium's virtual authenticator: a platform one, discoverable credentials, verifies the user. */
async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

/** From /account, adds a passkey named `name` and waits for it in the list. */
async function addPasskey(page: Page, testInfo: TestInfo, name: string) {
  await goto(page, testInfo, `${base}/account`);
  await page.getByRole('link', { name: 'Passkeys (sign in without a password)' }).click();
  await expect(page).toHaveURL(`${base}/account/passkeys`);
  await expect(page.getByRole('heading', { name: 'Passkeys', exact: true })).toBeVisible();
  await expect(page.getByText('You have no passkeys yet.')).toBeVisible();
  await ready(page, testInfo);
  await page.getByLabel('Name of this passkey').fill(name);
  // The page loads again at ?notice=passkey_added (hydration then takes the code out of the address).
  const landed = page.waitForURL(`${base}/account/passkeys?notice=passkey_added`, { waitUntil: 'commit' });
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await landed;
  await expect.soft(page.getByRole('status')).toContainText('The passkey was added: use it on the sign-in page.');
  await expect(page.getByText(name, { exact: true })).toBeVisible();
  await expect(page.getByText('Last used: never')).toBeVisible();
  await expect(page.getByText('You have no passkeys yet.')).toHaveCount(0);
  await ready(page, testInfo);
}

async function signOut(page: Page, testInfo: TestInfo) {
  await goto(page, testInfo, `${base}/`);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByTestId('whoami')).toHaveCount(0);
}

test('a person adds a passkey, then an app signs them in with it alone; amr says swk and mfa', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'hydrated', 'passkeys need JavaScript');
  const { cdp, authenticatorId } = await virtualAuthenticator(page);
  const user = person(testInfo, 'pia');
  await signInWithPassword(page, testInfo, user);
  await addPasskey(page, testInfo, 'Laptop');
  await expectAccessible(page, 'passkeys');
  const [made] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  expect(made.isResidentCredential).toBe(true);
  expect(made.rpId).toBe('localhost');
  await signOut(page, testInfo);

  // Signed out, the app sends the person here; the passkey alone signs them in.
  const callback = app.callback(testInfo, 'passkey');
  const name = `Passkey app ${Date.now() % 100000}`;
  const rp = await RelyingParty.discover(registerClient(name, callback, [], env), callback, base);
  const { url, checks } = await rp.authorizationUrl();
  expect(checks.state.startsWith(RESERVED)).toBe(true);
  await page.goto(url);
  await expect(page).toHaveURL(new RegExp(`^${base}/login\\?return_to=`));
  await ready(page, testInfo);
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await expect(page).toHaveURL(new RegExp(`^${base}/oauth/consent\\?`));
  await decide(page, testInfo, name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();

  const arrival = await app.arrival(callback);
  expectCode(arrival, checks, base);
  const { claims, userinfo } = await rp.redeem(arrival, checks);
  expect(claims.iss).toBe(base);
  expect(claims.amr).toEqual(['swk', 'mfa']);
  expect(userinfo.preferred_username).toBe(user);
  // The authenticator signed once more, and the list says the passkey was used.
  const [used] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  expect(used.credentialId).toBe(made.credentialId);
  expect(used.signCount).toBeGreaterThan(made.signCount);
  await goto(page, testInfo, `${base}/account/passkeys`);
  await expect(page.getByText('Laptop', { exact: true })).toBeVisible();
  await expect(page.getByText(/Last used: /)).toBeVisible();
  await expect(page.getByText('Last used: never')).toHaveCount(0);
});

/** Turns on two-step sign-in with an authenticator app; its key. */
async function turnOnTwoStep(page: Page, testInfo: TestInfo): Promise<Buffer> {
  await goto(page, testInfo, `${base}/account/two-factor`);
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const secret = base32Decode((await page.getByTestId('totp-secret').innerText()).trim());
  await ready(page, testInfo);
  await page.getByLabel('Code from your app').fill(totp(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByTestId('recovery-codes').getByRole('listitem')).toHaveCount(10);
  return secret;
}

test('after the password, a passkey does the second step instead of a code; amr says pwd swk mfa', async ({ page, browser }, testInfo) => {
  test.skip(testInfo.project.name !== 'hydrated', 'passkeys need JavaScript (the page without it is checked below)');
  await virtualAuthenticator(page);
  const user = person(testInfo, 'ida');
  await signInWithPassword(page, testInfo, user);
  const secret = await turnOnTwoStep(page, testInfo);
  await addPasskey(page, testInfo, 'Laptop');
  await signOut(page, testInfo);

  const callback = app.callback(testInfo, 'second-step');
  const name = `Second step app ${Date.now() % 100000}`;
  const rp = await RelyingParty.discover(registerClient(name, callback, [], env), callback, base);
  const { url, checks } = await rp.authorizationUrl();
  expect(checks.state.startsWith(RESERVED)).toBe(true);
  await page.goto(url);
  await expect(page).toHaveURL(new RegExp(`^${base}/login\\?return_to=`));
  await ready(page, testInfo);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`^${base}/login/second-factor\\?return_to=`));
  await expect(page.getByRole('heading', { name: 'Second step' })).toBeVisible();
  await expect(page.getByLabel('Code from your authenticator app')).toBeVisible();
  await ready(page, testInfo);
  await expectAccessible(page, 'second step with a passkey');
  await page.getByTestId('passkey-second-step').getByRole('button', { name: 'Use a passkey' }).click();
  await expect(page).toHaveURL(new RegExp(`^${base}/oauth/consent\\?`));
  await decide(page, testInfo, name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  const arrival = await app.arrival(callback);
  expectCode(arrival, checks, base);
  const { claims } = await rp.redeem(arrival, checks);
  expect(claims.amr).toEqual(['pwd', 'swk', 'mfa']);
  expect(claims.acr).toBe('urn:portcullis:acr:mfa');

  // Without JavaScript the same step takes the code, and says a passkey would
  // do with JavaScript on.
  const plain = await browser.newContext({ javaScriptEnabled: false });
  try {
    const p = await plain.newPage();
    await p.goto(`${base}/login?return_to=%2Faccount`);
    await p.getByLabel('Username').fill(user);
    await p.getByLabel('Password').fill(USER_PASSWORD);
    await p.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(p).toHaveURL(new RegExp(`^${base}/login/second-factor\\?return_to=`));
    await expect(p.getByText('With JavaScript on, one of your passkeys would do instead.')).toBeVisible();
    await expect(p.getByRole('button', { name: 'Use a passkey' })).toHaveCount(0);
    await p.getByLabel('Code from your authenticator app').fill(totp(secret, Date.now() / 1000 + 30));
    await p.getByRole('button', { name: 'Continue' }).click();
    await expect(p).toHaveURL(`${base}/account`);
    await expect(p.getByTestId('whoami')).toBeAttached();
  } finally {
    await plain.close();
  }
});

test('a removed passkey signs no one in: the sign-in page says so', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'hydrated', 'passkeys need JavaScript');
  const { cdp, authenticatorId } = await virtualAuthenticator(page);
  const user = person(testInfo, 'rex');
  await signInWithPassword(page, testInfo, user);
  await addPasskey(page, testInfo, 'Old phone');

  await page.locator('summary', { hasText: 'Remove Old phone…' }).click();
  await page.getByRole('button', { name: 'Remove the passkey Old phone' }).click();
  await expect(page.getByText('You have no passkeys yet.')).toBeVisible();
  await expect(page.getByText('Old phone', { exact: true })).toHaveCount(0);
  await signOut(page, testInfo);

  // The device still holds it; the server no longer knows it.
  expect((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials).toHaveLength(1);
  await goto(page, testInfo, `${base}/login`);
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toHaveText(/^That passkey is not registered here\. Sign in with your password/);
  await expect(page).toHaveURL(new RegExp(`^${base}/login`));
  await expect(page.getByTestId('whoami')).toHaveCount(0);
});

test('without JavaScript, passkeys say they need it and the password still signs in', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'no-js', 'the page as served, without JavaScript');
  const user = person(testInfo, 'nia');
  await goto(page, testInfo, `${base}/login`);
  // Hidden or absent, never a button that does nothing.
  await expect(page.getByRole('button', { name: 'Use a passkey', disabled: false })).toHaveCount(0);
  await signInWithPassword(page, testInfo, user);

  await goto(page, testInfo, `${base}/account`);
  await page.getByRole('link', { name: 'Passkeys (sign in without a password)' }).click();
  await expect(page).toHaveURL(`${base}/account/passkeys`);
  await expect(page.getByRole('heading', { name: 'Passkeys', exact: true })).toBeVisible();
  await expect(page.getByText('Passkeys need JavaScript in your browser.')).toBeVisible();
  await expect(page.getByText('You have no passkeys yet.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Add a passkey', disabled: false })).toHaveCount(0);
  await expectAccessible(page, 'passkeys without JavaScript');
});
