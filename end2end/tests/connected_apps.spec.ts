import { execFileSync } from 'child_process';
import * as http from 'http';
import { AddressInfo } from 'net';
import { APIRequestContext, expect, Page, test, TestInfo } from '@playwright/test';
import { serverBin, serverEnv } from '../playwright.config';
import { ADMIN_PASSWORD, goto, ready, signIn } from './helpers';

// RFC 7636 appendix B: a verifier and its S256 challenge.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

// The app's own callback: a real HTTP server on a free port.
let CALLBACK = '';
let callback: http.Server;
test.beforeAll(async () => {
  callback = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>app callback</h1>'));
  await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
  CALLBACK = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
});
test.afterAll(async () => {
  await new Promise((resolve) => callback.close(resolve));
});

function cli(args: string[]): string {
  return execFileSync(serverBin, args, { env: { ...process.env, ...serverEnv }, encoding: 'utf8' });
}

function registerClient(name: string): { id: string; secret: string } {
  const out = cli(['client', 'add', '--name', name, '--type', 'web', '--redirect-uri', CALLBACK, '--scope', 'openid', '--scope', 'profile']);
  const id = /^client_id: (\S+)$/m.exec(out)?.[1];
  const secret = /^client_secret: (\S+)$/m.exec(out)?.[1];
  if (!id || !secret) throw new Error(`no client credentials in: ${out}`);
  return { id, secret };
}

function authorizeUrl(clientId: string) {
  const q = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: CALLBACK, scope: 'openid profile',
    state: 'st-apps', code_challenge: CHALLENGE, code_challenge_method: 'S256',
  });
  return `/oauth/authorize?${q}`;
}

function basic(c: { id: string; secret: string }) {
  return { Authorization: `Basic ${Buffer.from(`${encodeURIComponent(c.id)}:${encodeURIComponent(c.secret)}`).toString('base64')}` };
}

async function tokenCall(request: APIRequestContext, c: { id: string; secret: string }, form: Record<string, string>) {
  const resp = await request.post('/oauth/token', { form, headers: basic(c) });
  return { status: resp.status(), body: await resp.json() };
}

async function introspect(request: APIRequestContext, c: { id: string; secret: string }, token: string) {
  const resp = await request.post('/oauth/introspect', { form: { token }, headers: basic(c) });
  expect(resp.status()).toBe(200);
  return resp.json();
}

/** Allows the app on the consent page and returns the code the callback got. */
async function authorize(page: Page, testInfo: TestInfo, clientId: string): Promise<string> {
  await page.goto(authorizeUrl(clientId));
  await ready(page, testInfo);
  await page.getByRole('button', { name: 'Allow' }).click();
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  const code = new URL(page.url()).searchParams.get('code');
  expect(code).toBeTruthy();
  return code!;
}

test('a user sees an app they authorised under My apps and revokes it; its tokens stop working', async ({ page, request }, testInfo) => {
  const name = `Planner ${testInfo.project.name} ${Date.now() % 100000}`;
  const client = registerClient(name);
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  const code = await authorize(page, testInfo, client.id);

  const issued = await tokenCall(request, client, {
    grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: VERIFIER,
  });
  expect(issued.status).toBe(200);
  const { access_token: access, refresh_token: refresh } = issued.body;
  expect(refresh).toBeTruthy();
  expect((await introspect(request, client, access)).active).toBe(true);

  await goto(page, testInfo, '/apps');
  const card = page.getByTestId(`app-${name}`);
  await expect(card.getByTestId('app-name')).toHaveText(name);
  await expect(card.getByTestId('app-client-id')).toHaveText(client.id);
  await expect(card.getByTestId('app-scopes')).toContainText('See your name and username');
  await expect(card.getByTestId('last-used')).not.toHaveText('Not yet');
  await expect(page.getByTestId('offline-window')).toContainText('5 minutes');

  // The confirmation is required: without it the browser does not submit.
  await card.getByRole('button', { name: 'Revoke access' }).click();
  await expect(card).toBeVisible();
  await card.getByLabel(/I understand that/).check();
  await card.getByRole('button', { name: 'Revoke access' }).click();
  await expect(page.getByRole('status')).toContainText('access was revoked');
  await expect(page.getByTestId(`app-${name}`)).toHaveCount(0);

  const refreshed = await tokenCall(request, client, { grant_type: 'refresh_token', refresh_token: refresh });
  expect(refreshed.status).toBe(400);
  expect(refreshed.body.error).toBe('invalid_grant');
  expect(await introspect(request, client, access)).toEqual({ active: false });
  const info = await request.get('/oauth/userinfo', { headers: { Authorization: `Bearer ${access}` } });
  expect(info.status()).toBe(401);

  // The administrator finds the consent, the issuance and the revocation in the
  // audit log, filtered by this client, and exports them.
  await goto(page, testInfo, '/admin/audit');
  await page.getByLabel('Client').fill(client.id);
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(new RegExp(`client=${client.id}`));
  await ready(page, testInfo);
  const events = page.getByTestId('audit-event');
  for (const type of ['grant.created', 'token.issued', 'grant.revoked']) {
    await expect(events.filter({ hasText: type }).first()).toBeVisible();
  }
  const jsonl = page.getByRole('link', { name: 'JSON Lines' });
  const exported = await page.request.get((await jsonl.getAttribute('href'))!);
  expect(exported.status()).toBe(200);
  expect(exported.headers()['content-disposition']).toContain('attachment');
  const lines = (await exported.text()).trim().split('\n').map((l) => JSON.parse(l));
  const types = lines.map((e) => e.event_type);
  expect(types).toEqual(expect.arrayContaining(['grant.created', 'token.issued', 'grant.revoked']));
  const csv = await page.request.get((await page.getByRole('link', { name: 'CSV' }).getAttribute('href'))!);
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toContain('grant.revoked');
});

async function setThirdParty(page: Page, testInfo: TestInfo, on: boolean) {
  await goto(page, testInfo, '/admin/settings');
  const box = page.getByLabel('Third-party applications may use OAuth');
  await expect(box).toBeVisible();
  await box.setChecked(on);
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('status')).toContainText('The settings were saved');
  await ready(page, testInfo);
  await expect(page.getByLabel('Third-party applications may use OAuth')).toBeChecked({ checked: on });
}

test('turning third-party apps off ends their authorization on an error page, and on again restores it', async ({ page }, testInfo) => {
  const client = registerClient(`Third party ${testInfo.project.name} ${Date.now() % 100000}`);
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  try {
    await setThirdParty(page, testInfo, false);
    await page.goto(authorizeUrl(client.id));
    await expect(page.getByTestId('oauth-error')).toContainText('Third-party applications may not use this service');
    expect(new URL(page.url()).pathname).toBe('/oauth/error');

    await setThirdParty(page, testInfo, true);
    const code = await authorize(page, testInfo, client.id);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
  } finally {
    // Never leave the switch off for the other specs.
    cli(['third-party-oauth', 'on']);
  }
});
