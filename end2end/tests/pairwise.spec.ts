import { expect, test } from '@playwright/test';
import {
  createUser, decide, expectCode, Listener, registerClient, RelyingParty, signInHere,
} from './rp';

// Pairwise subject identifiers (OpenID Connect Core §8.1, issue 17): one person signs
// in to two pairwise apps on different sectors — the app's listener reached as
// 127.0.0.1 and as localhost, two hosts — starting signed out at each app's
// authorization URL (state full of reserved characters). The relying party
// (openid-client, strict checks: the ID token's signature and claims, userinfo's `sub`
// equal to the ID token's) sees a different `sub` in each sector, and the same one
// again after signing out and in.

let app: Listener;
test.beforeAll(async () => {
  app = await Listener.start();
});
test.afterAll(async () => {
  await app.stop();
});

test('two pairwise apps on different sectors see two different stable subs', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'pia');
  const stamp = `${testInfo.project.name} ${Date.now() % 100000}`;
  const callbackA = app.callback(testInfo, 'SectorA');
  // The same listener under another host: another sector.
  const callbackB = app.callback(testInfo, 'SectorB').replace('127.0.0.1', 'localhost');
  const nameA = `Sector A ${stamp}`;
  const nameB = `Sector B ${stamp}`;
  const rpA = await RelyingParty.discover(registerClient(nameA, callbackA, ['--subject-type', 'pairwise']), callbackA);
  const rpB = await RelyingParty.discover(registerClient(nameB, callbackB, ['--subject-type', 'pairwise']), callbackB);

  /** One authorization at `rp` ending at its listener; the `sub` the RP verified. */
  const signIn = async (rp: RelyingParty, callback: string, name: string, steps: { signIn: boolean; consent: boolean }) => {
    const seen = app.hitsOn(callback).length;
    const { url, checks } = await rp.authorizationUrl();
    await page.goto(url);
    if (steps.signIn) await signInHere(page, testInfo, user);
    if (steps.consent) await decide(page, testInfo, name, 'Allow');
    await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
    const got = await app.arrival(callback, seen);
    // The listener records its own origin; the app's redirect URI is `callback`.
    const arrival = new URL(`${got.pathname}${got.search}`, callback);
    expectCode(arrival, checks);
    const { claims, userinfo } = await rp.redeem(arrival, checks);
    expect(userinfo.sub).toBe(claims.sub);
    expect(claims.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    return claims.sub;
  };

  const subA = await signIn(rpA, callbackA, nameA, { signIn: true, consent: true });
  const subB = await signIn(rpB, callbackB, nameB, { signIn: false, consent: true });
  expect(subB).not.toBe(subA);

  // Signed out, then in again (the consents are remembered): each sector's sub is
  // the same as before.
  await page.context().clearCookies();
  expect(await signIn(rpA, callbackA, nameA, { signIn: true, consent: false })).toBe(subA);
  expect(await signIn(rpB, callbackB, nameB, { signIn: false, consent: false })).toBe(subB);
});
