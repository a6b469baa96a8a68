import { APIRequestContext, expect, test } from '@playwright/test';
import { ADMIN_PASSWORD, goto, ready } from './helpers';
import { Client, decide, expectCode, Listener, registerClient, RelyingParty, signInHere } from './rp';

// The app's redirect listener: a real HTTP server on a free port.
let app: Listener;
test.beforeAll(async () => {
  app = await Listener.start();
});
test.afterAll(async () => {
  await app.stop();
});

function basic(c: Client) {
  return { Authorization: `Basic ${Buffer.from(`${encodeURIComponent(c.id)}:${encodeURIComponent(c.secret)}`).toString('base64')}` };
}

async function tokenCall(request: APIRequestContext, c: Client, form: Record<string, string>) {
  const resp = await request.post('/oauth/token', { form, headers: basic(c) });
  return { status: resp.status(), body: await resp.json() };
}

async function introspect(request: APIRequestContext, c: Client, token: string) {
  const resp = await request.post('/oauth/introspect', { form: { token }, headers: basic(c) });
  expect(resp.status()).toBe(200);
  return resp.json();
}

test('a user sees an app they authorised under My apps and revokes it; its tokens stop working', async ({ page, request }, testInfo) => {
  const name = `Planner ${testInfo.project.name} ${Date.now() % 100000}`;
  const callback = app.callback(testInfo, 'planner');
  const client = registerClient(name, callback);
  const rp = await RelyingParty.discover(client, callback);
  // The administrator comes from the app signed out, signs in and allows it.
  const { url, checks } = await rp.authorizationUrl();
  await page.goto(url);
  await signInHere(page, testInfo, 'admin', ADMIN_PASSWORD);
  await decide(page, testInfo, name, 'Allow');
  const arrival = await app.arrival(callback);
  expectCode(arrival, checks);
  const { tokens } = await rp.redeem(arrival, checks);
  const { access_token: access, refresh_token: refresh } = tokens;
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

  const refreshed = await tokenCall(request, client, { grant_type: 'refresh_token', refresh_token: refresh! });
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
