import { APIRequestContext, expect, test } from '@playwright/test';
import * as oidc from 'openid-client';
import { ADMIN_PASSWORD, expectAccessible, goto, ready, unique } from './helpers';
import { cli, Client, decide, expectCode, Listener, registerClient, RelyingParty, signInHere } from './rp';

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

test('an agent acting through an app is listed under it and stopped on its own; the app keeps its access', async ({ page, request }, testInfo) => {
  // An API, the app a person allows for it, and an agent (the API's resource
  // server) that trades the app's token in to act further (RFC 8693).
  const stem = unique(testInfo, 'plans');
  const api = `https://${stem}.example.edu/api`;
  const scope = `${stem}:read`;
  cli(['api', 'add', '--name', `Plans ${stem}`, '--audience', api]);
  cli(['api', 'add-scope', '--api', api, '--name', scope, '--description', 'See your plans']);
  const name = `Diary ${testInfo.project.name} ${Date.now() % 100000}`;
  const callback = app.callback(testInfo, 'diary');
  const client = registerClient(name, callback, ['--scope', scope]);
  const agentName = `Scheduler ${testInfo.project.name} ${Date.now() % 100000}`;
  const out = cli(['client', 'add', '--name', agentName, '--type', 'service', '--grant', 'client_credentials',
    '--grant', 'urn:ietf:params:oauth:grant-type:token-exchange', '--scope', scope]);
  const agent = { id: /^client_id: (\S+)$/m.exec(out)![1], secret: /^client_secret: (\S+)$/m.exec(out)![1] };
  cli(['api', 'set-introspectors', '--api', api, agent.id]);

  const rp = await RelyingParty.discover(client, callback);
  const { url, checks } = await rp.authorizationUrl({ scope: `openid ${scope}` });
  await page.goto(url);
  await signInHere(page, testInfo, 'admin', ADMIN_PASSWORD);
  await decide(page, testInfo, name, 'Allow');
  const arrival = await app.arrival(callback);
  expectCode(arrival, checks);
  const tokens = await oidc.authorizationCodeGrant(rp.config, arrival, {
    pkceCodeVerifier: checks.verifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: true,
  });
  const exchanged = await tokenCall(request, agent, {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: tokens.access_token,
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
  });
  expect(exchanged.status).toBe(200);
  const derived = exchanged.body.access_token as string;
  expect((await introspect(request, agent, derived)).act.act.client_id).toBe(client.id);

  await goto(page, testInfo, '/apps');
  const card = page.getByTestId(`app-${name}`);
  await expect(card.getByTestId('app-agents')).toContainText(`Acting for you through ${name}`);
  const row = card.getByTestId(`agent-${agentName}`);
  await expect(row.getByTestId('agent-name')).toHaveText(agentName);
  await expect(row).toContainText('directly');
  await expect(row).toContainText('1 live token');
  await expectAccessible(page, '/apps with an agent');

  // Confirmed first (the browser does not submit without the box).
  await row.getByRole('button', { name: 'Stop this agent' }).click();
  await expect(row).toBeVisible();
  await row.getByLabel(/stops acting for me/).check();
  await row.getByRole('button', { name: 'Stop this agent' }).click();
  await expect(page.getByRole('status')).toContainText('The agent was stopped');
  await expect(page.getByTestId(`app-${name}`).getByTestId('app-agents')).toHaveCount(0);
  await expect(page.getByTestId(`app-${name}`)).toBeVisible();

  expect(await introspect(request, agent, derived)).toEqual({ active: false });
  expect((await introspect(request, client, tokens.access_token)).active).toBe(true);
});

test('a person says on the consent page that no agent may act, then allows one agent under My apps', async ({ page, request }, testInfo) => {
  const stem = unique(testInfo, 'maps');
  const api = `https://${stem}.example.edu/api`;
  const scope = `${stem}:read`;
  cli(['api', 'add', '--name', `Maps ${stem}`, '--audience', api]);
  cli(['api', 'add-scope', '--api', api, '--name', scope, '--description', 'See your saved places']);
  const name = `Atlas ${testInfo.project.name} ${Date.now() % 100000}`;
  const callback = app.callback(testInfo, 'atlas');
  const client = registerClient(name, callback, ['--scope', scope]);
  const agents = ['Courier', 'Butler'].map((n) => {
    const agentName = `${n} ${testInfo.project.name} ${Date.now() % 100000}`;
    const out = cli(['client', 'add', '--name', agentName, '--type', 'service', '--grant', 'client_credentials',
      '--grant', 'urn:ietf:params:oauth:grant-type:token-exchange', '--scope', scope]);
    return { name: agentName, id: /^client_id: (\S+)$/m.exec(out)![1], secret: /^client_secret: (\S+)$/m.exec(out)![1] };
  });
  cli(['api', 'set-introspectors', '--api', api, ...agents.map((a) => a.id)]);
  const trade = (agent: Client, subject: string) =>
    tokenCall(request, agent, {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: subject,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    });

  // Signed out, at the app's authorization URL: the consent page asks.
  const rp = await RelyingParty.discover(client, callback);
  const { url, checks } = await rp.authorizationUrl({ scope: `openid ${scope}` });
  await page.goto(url);
  await signInHere(page, testInfo, 'admin', ADMIN_PASSWORD);
  const ask = page.getByTestId('consent-agents');
  await expect(ask).toContainText('Agents acting for you');
  await expect(ask.getByLabel('Allow the agents they choose')).toBeChecked();
  await ask.getByLabel(`No agents: only ${name} itself`).check();
  await decide(page, testInfo, name, 'Allow');
  const arrival = await app.arrival(callback);
  expectCode(arrival, checks);
  const tokens = await oidc.authorizationCodeGrant(rp.config, arrival, {
    pkceCodeVerifier: checks.verifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: true,
  });
  const refused = await trade(agents[0], tokens.access_token);
  expect(refused.status).toBe(400);
  expect(refused.body.error).toBe('invalid_request');
  expect(refused.body.error_description).toContain('has not allowed this client to act for them');

  // My apps says so; the person lets agents act again, and both do.
  await goto(page, testInfo, '/apps');
  let form = page.getByTestId(`app-${name}`).getByTestId('app-may-act');
  await expect(form.getByLabel(`No agents: only ${name} itself`)).toBeChecked();
  await expect(form).toContainText('No agent has acted for you through it yet.');
  await expectAccessible(page, '/apps with who may act');
  await form.getByLabel(`Any agent ${name} or its services hand my access to`).check();
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved who may act for you');
  const derived = [];
  for (const a of agents) {
    const r = await trade(a, tokens.access_token);
    expect(r.status).toBe(200);
    derived.push(r.body.access_token as string);
  }

  // Only the courier: the butler's token stops at once, the courier's lives.
  await goto(page, testInfo, '/apps');
  form = page.getByTestId(`app-${name}`).getByTestId('app-may-act');
  await form.getByLabel('Only the agents I tick below').check();
  await expect(form.getByLabel(agents[1].name)).toBeChecked();
  await form.getByLabel(agents[1].name).uncheck();
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved who may act for you');
  form = page.getByTestId(`app-${name}`).getByTestId('app-may-act');
  await expect(form.getByLabel('Only the agents I tick below')).toBeChecked();
  await expect(form.getByLabel(agents[0].name)).toBeChecked();
  await expect(form.getByLabel(agents[1].name)).not.toBeChecked();
  expect(await introspect(request, agents[1], derived[1])).toEqual({ active: false });
  expect((await introspect(request, agents[0], derived[0])).active).toBe(true);
  expect((await trade(agents[1], tokens.access_token)).status).toBe(400);
  expect((await introspect(request, client, tokens.access_token)).active).toBe(true);
});
