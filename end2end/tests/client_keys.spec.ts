import { expect, test } from '@playwright/test';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import {
  cli, createUser, decide, expectCode, ISSUER, JwksListener, Listener, RelyingParty, signInHere,
} from './rp';

// private_key_jwt (RFC 7523, issue 18): an app registered without any secret signs
// in a signed-out person with openid-client, which authenticates at the token
// endpoint with an ES256 assertion; its public key is served from a JWKS listener.

let app: Listener;
let jwks: JwksListener;
let jwksUrl: string;
let keys: jose.JWK[];

test.beforeAll(async () => {
  app = await Listener.start();
  jwks = await JwksListener.start();
  jwksUrl = jwks.url;
  keys = jwks.keys as jose.JWK[];
});
test.afterAll(async () => {
  await app.stop();
  await jwks.stop();
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

test('an app signs and encrypts its request object to the server\'s key (RFC 9101 §6.1)', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'eve');
  const callback = app.callback(testInfo, 'Sealer');
  const name = `Sealer ${testInfo.project.name} ${Date.now() % 100000}`;
  const kid = `e-${testInfo.project.name}-${Date.now()}`;
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  keys.push({ ...(await jose.exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' });
  const out = cli(['client', 'add', '--name', name, '--type', 'web', '--redirect-uri', callback,
    '--scope', 'openid', '--scope', 'profile', '--token-endpoint-auth-method', 'private_key_jwt',
    '--jwks-uri', jwksUrl]);
  const clientId = /^client_id: (\S+)$/m.exec(out)![1];
  const rp = await RelyingParty.discoverWithKey(clientId, callback, { key: privateKey, kid });
  const meta = rp.config.serverMetadata();
  expect(meta.request_object_encryption_alg_values_supported).toContain('RSA-OAEP-256');

  // The server's encryption key, from its JWKS, as any app would find it.
  const jwks = await (await fetch(meta.jwks_uri!)).json() as { keys: jose.JWK[] };
  const encJwk = jwks.keys.find((k) => k.use === 'enc' && k.alg === 'RSA-OAEP-256')!;
  expect(encJwk).toBeTruthy();
  const serverKey = await jose.importJWK(encJwk, 'RSA-OAEP-256');

  const { url, checks } = await rp.authorizationUrl({ scope: 'openid profile' });
  const params = Object.fromEntries(new URL(url).searchParams);
  const signed = await new jose.SignJWT({ ...params, client_id: clientId })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'oauth-authz-req+jwt' })
    .setIssuer(clientId).setAudience(ISSUER).setIssuedAt().setExpirationTime('5m').setJti(crypto.randomUUID())
    .sign(privateKey);
  const sealed = await new jose.CompactEncrypt(new TextEncoder().encode(signed))
    .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: encJwk.kid, cty: 'JWT' })
    .encrypt(serverKey);
  const request = new URL(meta.authorization_endpoint!);
  request.searchParams.set('client_id', clientId);
  request.searchParams.set('request', sealed);

  // Tampered in transit: refused, and nothing happens.
  const parts = sealed.split('.');
  parts[3] = parts[3].slice(0, -4) + (parts[3].endsWith('AAAA') ? 'BBBB' : 'AAAA');
  const tampered = new URL(request);
  tampered.searchParams.set('request', parts.join('.'));
  await page.goto(tampered.href);
  await expect(page.getByTestId('oauth-error')).toBeVisible();

  await page.goto(request.href);
  await signInHere(page, testInfo, user);
  await expect(page.getByTestId('consent-scopes')).toContainText('See your name and username');
  await decide(page, testInfo, name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  const arrival = await app.arrival(callback);
  expectCode(arrival, checks);
  const { userinfo } = await rp.redeem(arrival, checks);
  expect(userinfo.preferred_username).toBe(user);
});
