import { expect, test, TestInfo } from '@playwright/test';
import * as oidc from 'openid-client';
import {
  createUser, decide, expectCode, Listener, registerClient, RelyingParty, signInHere,
} from './rp';

// DPoP (RFC 9449, issue 18): the app (openid-client, with its own DPoP handle and
// key) binds its tokens to a key of its own; a stolen token is useless without it.
// Signed-out browser, reserved characters in state, the app's real listener.

let app: Listener;
test.beforeAll(async () => {
  app = await Listener.start();
});
test.afterAll(async () => {
  await app.stop();
});

async function signInThroughTheApp(page: import('@playwright/test').Page, testInfo: TestInfo, stem: string, extra: string[] = []) {
  const user = createUser(testInfo, stem.toLowerCase());
  const callback = app.callback(testInfo, stem);
  const name = `${stem} ${testInfo.project.name} ${Date.now() % 100000}`;
  const rp = await RelyingParty.discover(registerClient(name, callback, extra), callback);
  const { url, checks } = await rp.authorizationUrl();
  await page.goto(url);
  await signInHere(page, testInfo, user);
  await decide(page, testInfo, name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  const arrival = await app.arrival(callback);
  expectCode(arrival, checks);
  return { user, rp, arrival, checks };
}

test('an app binds its tokens to its key: userinfo takes them only with a proof', async ({ page }, testInfo) => {
  const { user, rp, arrival, checks } = await signInThroughTheApp(page, testInfo, 'Bound');
  const dpop = oidc.getDPoPHandle(rp.config, await oidc.randomDPoPKeyPair('ES256'));
  const tokens = await oidc.authorizationCodeGrant(rp.config, arrival, {
    pkceCodeVerifier: checks.verifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: true,
  }, undefined, { DPoP: dpop });
  expect(tokens.token_type).toBe('dpop');
  const claims = tokens.claims()!;
  const info = await oidc.fetchUserInfo(rp.config, tokens.access_token, claims.sub, { DPoP: dpop });
  expect(info.preferred_username).toBe(user);

  // The same token as a bearer token, or with another key's proofs: refused.
  await expect(oidc.fetchUserInfo(rp.config, tokens.access_token, claims.sub)).rejects.toMatchObject({ status: 401 });
  const thief = oidc.getDPoPHandle(rp.config, await oidc.randomDPoPKeyPair('ES256'));
  await expect(oidc.fetchUserInfo(rp.config, tokens.access_token, claims.sub, { DPoP: thief }))
    .rejects.toMatchObject({ status: 401 });

  // Refreshing with the key keeps the binding.
  const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!, undefined, { DPoP: dpop });
  expect(refreshed.token_type).toBe('dpop');
  const again = await oidc.fetchUserInfo(rp.config, refreshed.access_token, claims.sub, { DPoP: dpop });
  expect(again.sub).toBe(claims.sub);
});

test('an app registered for DPoP is refused without a proof, and its code survives the refusal', async ({ page }, testInfo) => {
  const { rp, arrival, checks } = await signInThroughTheApp(page, testInfo, 'Strict', ['--dpop-bound-access-tokens']);
  const grant = (options?: oidc.DPoPOptions) => oidc.authorizationCodeGrant(rp.config, arrival, {
    pkceCodeVerifier: checks.verifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: true,
  }, undefined, options);
  await expect(grant()).rejects.toMatchObject({ error: 'invalid_dpop_proof' });
  const dpop = oidc.getDPoPHandle(rp.config, await oidc.randomDPoPKeyPair('ES256'));
  const tokens = await grant({ DPoP: dpop });
  expect(tokens.token_type).toBe('dpop');
});
