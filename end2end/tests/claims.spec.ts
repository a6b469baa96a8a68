import { expect, test } from '@playwright/test';
import {
  createUser, decide, expectCode, Listener, registerClient, RelyingParty, signInHere,
} from './rp';

// The OpenID `claims` parameter (Core §5.5, issue 17): an app asks for one claim beyond
// the scopes of its request — one its administrator approved — and the person sees it
// named in plain words on the consent page before the app gets it in the ID token.

let app: Listener;
test.beforeAll(async () => {
  app = await Listener.start();
});
test.afterAll(async () => {
  await app.stop();
});

test('an app asks for the e-mail address in the ID token; the consent page names it and the ID token carries it', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'clara');
  const callback = app.callback(testInfo, 'Claims');
  const name = `Claims ${testInfo.project.name} ${Date.now() % 100000}`;
  const client = registerClient(name, callback, ['--requestable-claim', 'email']);
  const rp = await RelyingParty.discover(client, callback);

  // Only `openid` as scope: the e-mail address comes from the claims parameter alone.
  const claims = JSON.stringify({ id_token: { email: { essential: true } } });
  const { url, checks } = await rp.authorizationUrl({ scope: 'openid', claims });
  await page.goto(url);
  await signInHere(page, testInfo, user);
  await expect(page.getByTestId('consent-scopes')).toContainText('Sign you in with your Portcullis account');
  await expect(page.getByTestId('consent-scopes')).not.toContainText('e-mail');
  await expect(page.getByTestId('consent-claims')).toContainText('Your e-mail address');
  await decide(page, testInfo, name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();

  const arrival = await app.arrival(callback);
  expectCode(arrival, checks);
  const { claims: idToken, userinfo } = await rp.redeem(arrival, checks);
  expect(idToken.email).toBe(`${user}@example.edu`);
  // Asked for the ID token only, and the scopes do not release it at userinfo.
  expect(userinfo.email).toBeUndefined();
});
