import { execFileSync } from 'child_process';
import * as http from 'http';
import { AddressInfo } from 'net';
import { expect, test } from '@playwright/test';
import { serverBin, serverEnv } from '../playwright.config';
import { ADMIN_PASSWORD, ready, signIn } from './helpers';

// RFC 7636 appendix B: a verifier and its S256 challenge.
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

// A stand-in for the app's own callback: a real HTTP server on a free port.
let CALLBACK = '';
let app: http.Server;
test.beforeAll(async () => {
  app = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>app callback</h1>'));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  CALLBACK = `http://127.0.0.1:${(app.address() as AddressInfo).port}/callback`;
});
test.afterAll(async () => {
  await new Promise((resolve) => app.close(resolve));
});

function registerClient(name: string): string {
  const out = execFileSync(
    serverBin,
    ['client', 'add', '--name', name, '--type', 'web', '--redirect-uri', CALLBACK, '--scope', 'openid', '--scope', 'profile'],
    { env: { ...process.env, ...serverEnv }, encoding: 'utf8' },
  );
  const id = /^client_id: (\S+)$/m.exec(out)?.[1];
  if (!id) throw new Error(`no client_id in: ${out}`);
  return id;
}

function authorizeUrl(clientId: string, extra = '') {
  const q = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: CALLBACK, scope: 'openid profile',
    state: 'st-123', code_challenge: CHALLENGE, code_challenge_method: 'S256',
  });
  return `/oauth/authorize?${q}${extra}`;
}

test('a user allows an app on the consent page and is not asked again', async ({ page }, testInfo) => {
  const clientId = registerClient(`Notebook ${testInfo.project.name}`);
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);

  await page.goto(authorizeUrl(clientId));
  await ready(page, testInfo);
  await expect(page.getByTestId('consent-client')).toHaveText(`Notebook ${testInfo.project.name}`);
  const scopes = page.getByTestId('consent-scopes');
  await expect(scopes).toContainText('Sign you in with your Portcullis account');
  await expect(scopes).toContainText('See your name and username');
  await page.getByRole('button', { name: 'Allow' }).click();

  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  const back = new URL(page.url());
  expect(back.origin + back.pathname).toBe(CALLBACK);
  expect(back.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(back.searchParams.get('state')).toBe('st-123');
  expect(back.searchParams.get('iss')).toBe(serverEnv.PORTCULLIS_ISSUER);

  // Remembered: straight back to the app, no consent page.
  await page.goto(authorizeUrl(clientId));
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
});

test('denying on the consent page sends access_denied back to the app', async ({ page }, testInfo) => {
  const clientId = registerClient(`Deny ${testInfo.project.name}`);
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await page.goto(authorizeUrl(clientId));
  await ready(page, testInfo);
  await page.getByRole('button', { name: 'Deny' }).click();
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');
});

test('a request with an unregistered redirect address stays on an error page', async ({ page }, testInfo) => {
  const clientId = registerClient(`Evil ${testInfo.project.name}`);
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await page.goto(authorizeUrl(clientId).replace(encodeURIComponent(CALLBACK), encodeURIComponent('https://evil.example/cb')));
  await expect(page.getByTestId('oauth-error')).toContainText('has not registered');
  expect(new URL(page.url()).host).toBe(new URL(serverEnv.PORTCULLIS_ISSUER).host);
});

test('the consent page refuses to be framed', async ({ request }) => {
  const resp = await request.get('/oauth/consent');
  expect(resp.headers()['content-security-policy']).toBe("frame-ancestors 'none'");
  expect(resp.headers()['x-frame-options']).toBe('DENY');
});
