import * as http from 'http';
import { AddressInfo } from 'net';
import { expect, test } from '@playwright/test';
import * as oidc from 'openid-client';
import { cli, createUser, decide, ISSUER, Listener, signInHere } from './rp';

// Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): the
// app registers nothing; its client_id is the URL of a JSON document it serves (here
// on 127.0.0.1, which the e2e server may reach: outbound.allow_private_addresses).
// openid-client drives the protocol; a signed-out person in Chromium signs in and
// sees, first on the consent card, which host the app's document came from.

const served = new Map<string, object>();
let documents: http.Server;
let documentsOrigin = '';
let app: Listener;

test.beforeAll(async () => {
  documents = http.createServer((req, res) => {
    const doc = served.get(req.url ?? '');
    if (!doc) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  });
  await new Promise<void>((resolve) => documents.listen(0, '127.0.0.1', resolve));
  documentsOrigin = `http://127.0.0.1:${(documents.address() as AddressInfo).port}`;
  app = await Listener.start();
  cli(['registration', 'documents', 'on']);
  cli(['registration', 'trust-host', '127.0.0.1']);
});

test.afterAll(async () => {
  await app.stop();
  await new Promise((resolve) => documents.close(resolve));
});

test('an app whose client_id is its metadata document signs a person in; consent names the document host', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'cimd');
  const stem = `${testInfo.project.name}-${Date.now() % 100000}`;
  const name = `Document agent ${stem}`;
  const path = `/${stem}/client.json`;
  const clientId = `${documentsOrigin}${path}`;
  const callback = app.callback(testInfo, 'cimd');
  served.set(path, {
    client_id: clientId,
    client_name: name,
    redirect_uris: [callback],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  });
  const discover = () =>
    oidc.discovery(new URL(ISSUER), clientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
    });
  // The CLI's change reaches the running server through its settings cache.
  await expect
    .poll(async () => (await discover()).serverMetadata().client_id_metadata_document_supported)
    .toBe(true);
  const config = await discover();

  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: callback,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  await page.goto(url.href);
  await signInHere(page, testInfo, user);
  await expect(page.getByTestId('consent-document-host')).toContainText(`127.0.0.1 says it is ${name}`);
  await decide(page, testInfo, name, 'Allow');

  const arrival = await app.arrival(callback);
  expect(arrival.searchParams.get('iss')).toBe(ISSUER);
  const tokens = await oidc.authorizationCodeGrant(config, arrival, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  expect(tokens.claims()!.aud).toBe(clientId);
  expect(tokens.refresh_token).toBeTruthy();
});

test('a document naming another client_id is refused on a page, never redirected', async ({ page }, testInfo) => {
  const stem = `${testInfo.project.name}-${Date.now() % 100000}`;
  const path = `/${stem}/wrong.json`;
  const clientId = `${documentsOrigin}${path}`;
  const callback = app.callback(testInfo, 'wrong');
  served.set(path, { client_id: `${clientId}/`, client_name: 'Wrong', redirect_uris: [callback] });
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: callback,
    scope: 'openid',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  });
  await expect
    .poll(async () => {
      await page.goto(`${ISSUER}/oauth/authorize?${query}`);
      return new URL(page.url()).search;
    })
    .toBe('?reason=document_client_id_mismatch');
  await expect(page.getByTestId('oauth-error')).toContainText('names a different application');
  expect(app.hitsOn(callback)).toHaveLength(0);
});
