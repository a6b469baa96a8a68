import { expect, test } from '@playwright/test';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import {
  cli, createUser, decide, expectCode, ISSUER, Listener, RelyingParty, signInHere,
} from './rp';

// private_key_jwt (RFC 7523, issue 18): an app registered without any secret signs
// in a signed-out person with openid-client, which authenticates at the token
// endpoint with an ES256 assertion; its public key is served from a JWKS listener.

let app: Listener;
let jwksServer: http.Server;
let jwksUrl: string;
const keys: jose.JWK[] = [];

test.beforeAll(async () => {
  app = await Listener.start();
  jwksServer = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
});
test.afterAll(async () => {
  await app.stop();
  await new Promise((resolve) => jwksServer.close(resolve));
});

test('an app with only a key pair signs a signed-out person in', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'kai');
  const callback = app.callback(testInfo, 'Keyed');
  const name = `Keyed ${testInfo.project.name} ${Date.now() % 100000}`;
  const kid = `k-${testInfo.project.name}-${Date.now()}`;
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  keys.push({ ...(await jose.exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' });

  const out = cli(['client', 'add', '--name', name, '--type', 'web', '--redirect-uri', callback,
    '--scope', 'openid', '--scope', 'profile', '--token-endpoint-auth-method', 'private_key_jwt',
    '--jwks-uri', jwksUrl]);
  expect(out).not.toContain('client_secret');
  const clientId = /^client_id: (\S+)$/m.exec(out)![1];
  const rp = await RelyingParty.discoverWithKey(clientId, callback, { key: privateKey, kid });

  const { url, checks } = await rp.authorizationUrl({ scope: 'openid profile' });
  await page.goto(url);
  await signInHere(page, testInfo, user);
  await decide(page, testInfo, name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  const arrival = await app.arrival(callback);
  expectCode(arrival, checks);
  const { claims, userinfo } = await rp.redeem(arrival, checks);
  expect(claims.iss).toBe(ISSUER);
  expect(claims.aud).toBe(clientId);
  expect(userinfo.preferred_username).toBe(user);
});

test('an app signs its authorization request (JAR): only the signed parameters count', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'jo');
  const callback = app.callback(testInfo, 'Signer');
  const name = `Signer ${testInfo.project.name} ${Date.now() % 100000}`;
  const kid = `j-${testInfo.project.name}-${Date.now()}`;
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  keys.push({ ...(await jose.exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' });
  const out = cli(['client', 'add', '--name', name, '--type', 'web', '--redirect-uri', callback,
    '--scope', 'openid', '--scope', 'profile', '--token-endpoint-auth-method', 'private_key_jwt',
    '--jwks-uri', jwksUrl]);
  const clientId = /^client_id: (\S+)$/m.exec(out)![1];
  const rp = await RelyingParty.discoverWithKey(clientId, callback, { key: privateKey, kid });

  const { url, checks } = await rp.authorizationUrl({ scope: 'openid profile' });
  const plain = new URL(url);
  const params: Record<string, string> = Object.fromEntries(plain.searchParams);
  const signed = await oidc.buildAuthorizationUrlWithJAR(rp.config, params, { key: privateKey, kid });
  expect(signed.searchParams.get('request')).toBeTruthy();
  // Something added on the way does not count: the signed redirect_uri and scope do.
  signed.searchParams.set('scope', 'openid');
  await page.goto(signed.href);
  await signInHere(page, testInfo, user);
  await expect(page.getByTestId('consent-scopes')).toContainText('See your name and username');
  await decide(page, testInfo, name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  const arrival = await app.arrival(callback);
  expectCode(arrival, checks);
  const { userinfo } = await rp.redeem(arrival, checks);
  expect(userinfo.preferred_username).toBe(user);
});
