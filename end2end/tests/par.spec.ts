import { expect, test, TestInfo } from '@playwright/test';
import {
  createUser, decide, expectCode, ISSUER, Listener, registerClient, RelyingParty, signInHere,
} from './rp';

// Pushed authorization requests (RFC 9126, issue 18): the app (openid-client) pushes
// its request over its authenticated back channel and sends a signed-out browser
// with only client_id and request_uri; the request cannot be read or changed there.

let app: Listener;
test.beforeAll(async () => {
  app = await Listener.start();
});
test.afterAll(async () => {
  await app.stop();
});

async function setUp(testInfo: TestInfo, stem: string, extra: string[] = []) {
  const callback = app.callback(testInfo, stem);
  const name = `${stem} ${testInfo.project.name} ${Date.now() % 100000}`;
  const client = registerClient(name, callback, extra);
  return { callback, name, rp: await RelyingParty.discover(client, callback) };
}

test('an app that must push its requests signs a signed-out person in through PAR', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'pia');
  const { callback, name, rp } = await setUp(testInfo, 'Pusher', ['--require-pushed-authorization-requests']);

  // Sent through the browser, its request is refused: it must be pushed.
  const plain = await rp.authorizationUrl();
  await page.goto(plain.url);
  const refused = await app.arrival(callback);
  expect(refused.searchParams.get('error')).toBe('invalid_request');
  expect(refused.searchParams.get('state')).toBe(plain.checks.state);
  expect(refused.searchParams.get('code')).toBeNull();

  const { url, checks } = await rp.pushedAuthorizationUrl();
  const sent = new URL(url);
  expect([...sent.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
  await page.goto(url);
  await signInHere(page, testInfo, user);
  await expect(page.getByTestId('consent-scopes')).toContainText('See your name and username');
  await decide(page, testInfo, name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  const arrival = await app.arrival(callback, 1);
  expectCode(arrival, checks);
  const { claims, userinfo } = await rp.redeem(arrival, checks);
  expect(claims.iss).toBe(ISSUER);
  expect(userinfo.preferred_username).toBe(user);

  // Used once: the same address again is refused.
  await page.goto(url);
  await expect(page.getByTestId('oauth-error')).toContainText('expired or was already used');
});
