import { expect, Page, test } from '@playwright/test';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import {
  createUser, decide, expectCode, ISSUER, JwksListener, Listener, registerClient, RelyingParty, signInHere,
} from './rp';
import { addDeveloper, DEV_PASSWORD, goto, ready, signIn, unique } from './helpers';

// Encrypted ID tokens and userinfo responses (OpenID Connect Core §10.2,
// Registration §2; issue 17). An app registered with its encryption key at its
// jwks_uri signs a signed-out person in; openid-client, strict checks on, opens the
// ID token at the token endpoint and the userinfo response with the app's private
// key and verifies the signed JWT inside. And a developer sets encryption on the
// edit form, hydrated and without JavaScript.

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

test('an app that registered encryption gets its ID token and userinfo encrypted to its key', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'june');
  const callback = app.callback(testInfo, 'Sealed');
  const name = `Sealed ${testInfo.project.name} ${Date.now() % 100000}`;
  const kid = `x-${testInfo.project.name}-${Date.now()}`;
  const alg = 'ECDH-ES+A128KW';
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { crv: 'P-256', extractable: true });
  keys.push({ ...(await jose.exportJWK(publicKey)), kid, use: 'enc' });
  const client = registerClient(name, callback, [
    '--jwks-uri', jwksUrl,
    '--id-token-encrypted-response-alg', alg, '--id-token-encrypted-response-enc', 'A256GCM',
    '--userinfo-encrypted-response-alg', alg,
  ]);
  const rp = await RelyingParty.discover(client, callback);
  const meta = rp.config.serverMetadata();
  expect(meta.id_token_encryption_alg_values_supported).toContain(alg);
  expect(meta.userinfo_encryption_enc_values_supported).toContain('A128CBC-HS256');
  // The app's decryption key, and the content encryptions it accepts.
  oidc.enableDecryptingResponses(rp.config, ['A256GCM', 'A128CBC-HS256'], { key: privateKey, alg, kid });

  const { url, checks } = await rp.authorizationUrl({ scope: 'openid profile' });
  await page.goto(url);
  await signInHere(page, testInfo, user);
  await decide(page, testInfo, name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  const arrival = await app.arrival(callback);
  expectCode(arrival, checks);
  const { tokens, claims, userinfo } = await rp.redeem(arrival, checks);
  // What came over the wire was a JWE, opened by the library with the app's key.
  expect(tokens.id_token!.split('.')).toHaveLength(5);
  expect(claims.iss).toBe(ISSUER);
  expect(claims.aud).toBe(client.id);
  expect(claims.nonce).toBe(checks.nonce);
  expect(userinfo.preferred_username).toBe(user);
  expect(userinfo.sub).toBe(claims.sub);

  const raw = await fetch(meta.userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  expect(raw.headers.get('content-type')).toBe('application/jwt');
  const jwe = await raw.text();
  const header = jose.decodeProtectedHeader(jwe);
  expect(header).toMatchObject({ alg, enc: 'A128CBC-HS256', kid, cty: 'JWT' });
});

function detail(page: Page, label: string) {
  return page.locator('dt', { hasText: label }).locator('xpath=following-sibling::dd');
}

test('a developer turns on ID-token encryption on the edit form; without a key it says why', async ({ page }, testInfo) => {
  const dev = unique(testInfo, 'sealer');
  addDeveloper(dev);
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer/clients/new');
  const name = `Sealer ${testInfo.project.name} ${Date.now() % 100000}`;
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://app.example.edu/callback');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('client-name')).toHaveText(name);
  const clientUrl = new URL(page.url()).pathname;
  await expect(detail(page, 'ID token encryption')).toHaveText('not encrypted');

  // No key to encrypt to: refused beside the field, what was chosen kept.
  await goto(page, testInfo, `${clientUrl}/edit`);
  await page.getByLabel('ID tokens: key management').selectOption('RSA-OAEP-256');
  await page.getByLabel('ID tokens: content encryption').selectOption('A256GCM');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('#f-id_token_encrypted_response_alg-error')).toContainText('jwks');
  await expect(page.locator('#f-id_token_encrypted_response_alg')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('ID tokens: key management')).toHaveValue('RSA-OAEP-256');
  await expect(page.getByLabel('ID tokens: content encryption')).toHaveValue('A256GCM');
  await ready(page, testInfo);
  await goto(page, testInfo, clientUrl);
  await expect(detail(page, 'ID token encryption')).toHaveText('not encrypted');

  // With the app's public key inline, it applies; the content encryption left at
  // its default is the specification's default.
  const { publicKey } = await jose.generateKeyPair('RSA-OAEP-256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'enc-1', use: 'enc' };
  await goto(page, testInfo, `${clientUrl}/edit`);
  await page.getByLabel('JWKS (inline)').fill(JSON.stringify({ keys: [jwk] }));
  await page.getByLabel('ID tokens: key management').selectOption('RSA-OAEP-256');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The client was updated.' })).toBeVisible();
  await ready(page, testInfo);
  await expect(detail(page, 'ID token encryption')).toHaveText('RSA-OAEP-256 with A128CBC-HS256');
  await expect(detail(page, 'Userinfo encryption')).toHaveText('not encrypted');
});
