import { expect, test, TestInfo } from '@playwright/test';
import { goto, ready } from './helpers';
import {
  createUser, decide, expectCode, ISSUER, Listener, registerClient, RelyingParty, signInHere,
} from './rp';

// Every flow starts where people start: a signed-out browser that an app (openid-client)
// sent to its authorization URL. The app's redirect listener checks what came back.

let app: Listener;
test.beforeAll(async () => {
  app = await Listener.start();
});
test.afterAll(async () => {
  await app.stop();
});

async function setUp(testInfo: TestInfo, stem: string) {
  const callback = app.callback(testInfo, stem);
  const name = `${stem} ${testInfo.project.name} ${Date.now() % 100000}`;
  const client = registerClient(name, callback);
  return { callback, name, client, rp: await RelyingParty.discover(client, callback) };
}

test('a signed-out person sent by an app signs in, allows it, and the app signs them in; not asked again', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'ada');
  const { callback, name, rp } = await setUp(testInfo, 'Notebook');

  const { url, checks } = await rp.authorizationUrl();
  await page.goto(url);
  await signInHere(page, testInfo, user);
  const scopes = page.getByTestId('consent-scopes');
  await expect(scopes).toContainText('Sign you in with your Portcullis account');
  await expect(scopes).toContainText('See your name and username');
  await decide(page, testInfo, name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();

  const arrival = await app.arrival(callback);
  expectCode(arrival, checks);
  const { claims, userinfo } = await rp.redeem(arrival, checks);
  expect(claims.iss).toBe(ISSUER);
  expect(userinfo.preferred_username).toBe(user);
  expect(userinfo.email).toBe(`${user}@example.edu`);

  // Remembered: straight back to the app, no sign-in and no consent page.
  const again = await rp.authorizationUrl();
  await page.goto(again.url);
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  const second = await app.arrival(callback, 1);
  expectCode(second, again.checks);
  expect((await rp.redeem(second, again.checks)).claims.sub).toBe(claims.sub);
});

test('denying on the consent page sends access_denied with state and iss back to the app', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'dora');
  const { callback, name, rp } = await setUp(testInfo, 'Deny');
  const { url, checks } = await rp.authorizationUrl();
  await page.goto(url);
  await signInHere(page, testInfo, user);
  await decide(page, testInfo, name, 'Deny');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();

  const arrival = await app.arrival(callback);
  expect(arrival.searchParams.get('error')).toBe('access_denied');
  expect(arrival.searchParams.get('code')).toBeNull();
  expect(arrival.searchParams.get('state')).toBe(checks.state);
  expect(arrival.searchParams.get('iss')).toBe(ISSUER);
  await expect(rp.redeem(arrival, checks)).rejects.toMatchObject({ error: 'access_denied' });
});

test('prompt=login asks a signed-in person to sign in again', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'lin');
  const { callback, name, rp } = await setUp(testInfo, 'Fresh');
  const first = await rp.authorizationUrl();
  await page.goto(first.url);
  await signInHere(page, testInfo, user);
  await decide(page, testInfo, name, 'Allow');
  await app.arrival(callback);

  const { url, checks } = await rp.authorizationUrl({ prompt: 'login' });
  const before = Math.floor(Date.now() / 1000);
  await page.goto(url);
  await signInHere(page, testInfo, user);
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  const arrival = await app.arrival(callback, 1);
  expectCode(arrival, checks);
  const { claims } = await rp.redeem(arrival, checks);
  expect(claims.auth_time).toBeGreaterThanOrEqual(before);
});

test('prompt=none without a session sends login_required with state and iss back to the app', async ({ page }, testInfo) => {
  const { callback, rp } = await setUp(testInfo, 'Silent');
  const { url, checks } = await rp.authorizationUrl({ prompt: 'none' });
  await page.goto(url);
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  const arrival = await app.arrival(callback);
  expect(arrival.searchParams.get('error')).toBe('login_required');
  expect(arrival.searchParams.get('state')).toBe(checks.state);
  expect(arrival.searchParams.get('iss')).toBe(ISSUER);
  await expect(rp.redeem(arrival, checks)).rejects.toMatchObject({ error: 'login_required' });
});

test('a new person signs up from the authorization URL and ends up back at the app', async ({ page }, testInfo) => {
  const { callback, name, rp } = await setUp(testInfo, 'Signup');
  const { url, checks } = await rp.authorizationUrl();
  await page.goto(url);
  await expect(page).toHaveURL(/\/login\?return_to=/);
  await ready(page, testInfo);
  await page.getByRole('link', { name: 'Create one' }).click();
  await expect(page).toHaveURL(/\/signup\?return_to=/);
  await ready(page, testInfo);
  const user = `new-${testInfo.project.name}-${Date.now() % 100000}`;
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('E-mail').fill(`${user}@example.edu`);
  await page.getByLabel('Password', { exact: true }).fill('a long new password');
  await page.getByLabel('Repeat the password').fill('a long new password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('status')).toContainText(/account/i);
  await signInHere(page, testInfo, user, 'a long new password');
  await decide(page, testInfo, name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();

  const arrival = await app.arrival(callback);
  expectCode(arrival, checks);
  const { userinfo } = await rp.redeem(arrival, checks);
  expect(userinfo.preferred_username).toBe(user);
});

test('unregistered redirect addresses stay on an error page that answers 4xx', async ({ page }, testInfo) => {
  const { callback, client } = await setUp(testInfo, 'Strict');
  const registered = new URL(callback);
  const variants = {
    'another origin': 'https://evil.example' + registered.pathname,
    'an extra path segment': `${callback}/more`,
    'an extra query parameter': `${callback}?x=1`,
    'a different case': callback.replace('/cb/', '/CB/'),
  };
  for (const [what, redirect] of Object.entries(variants)) {
    const rp = await RelyingParty.discover(client, redirect);
    const { url } = await rp.authorizationUrl();
    const resp = await page.goto(url);
    expect(resp?.status(), what).toBe(400);
    await ready(page, testInfo);
    await expect(page.getByTestId('oauth-error'), what).toContainText('has not registered');
    expect(new URL(page.url()).origin, what).toBe(ISSUER);
  }
  expect(app.hitsOn(callback)).toHaveLength(0);
  expect(app.hits.filter((u) => u.pathname.toLowerCase().startsWith(registered.pathname.toLowerCase()))).toHaveLength(0);
});

test('a return_to that a browser would resolve to another site ends on this site after signing in', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'tab');
  // `/\t/evil.example` (browsers strip the TAB and read `//evil.example`): a
  // control character in a query parameter is refused before any page runs.
  const refused = await page.goto('/login?return_to=%2F%09%2Fevil.example');
  expect(refused?.status()).toBe(400);
  // `/\\evil.example`: browsers read the backslash as a slash, `//evil.example`.
  await goto(page, testInfo, '/login?return_to=%2F%5Cevil.example');
  await signInHere(page, testInfo, user);
  await expect(page.getByTestId('whoami')).toBeVisible();
  expect(new URL(page.url()).origin).toBe(ISSUER);
});

test('the consent page refuses to be framed', async ({ request }) => {
  const resp = await request.get('/oauth/consent');
  expect(resp.headers()['content-security-policy']).toBe("frame-ancestors 'none'");
  expect(resp.headers()['x-frame-options']).toBe('DENY');
});
