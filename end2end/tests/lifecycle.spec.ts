import { Browser, expect, test, TestInfo } from '@playwright/test';
import * as oidc from 'openid-client';
import { addDeveloper, ADMIN_PASSWORD, DEV_PASSWORD, expectAccessible, expectFitsWidth, failOnPageErrors, goto, ready, signIn, unique } from './helpers';
import { OwnServer } from './own_server';
import { createUser, decide, expectCode, Listener, RelyingParty, signInHere } from './rp';

// Issue 13, lifecycle states: on a new installation "new clients start in
// development" is on (the settings file's default), so a developer's new app
// admits only its team. A stranger the app sends here, signed
// out, is sent back to the app with access_denied (openid-client's strict checks
// on); the owner signs in. The developer asks for production; an administrator
// approves it in the queue; the stranger then signs in. Moved back to development
// by an administrator, the stranger's refresh token stops working. The setting is
// server-wide: this spec runs against a server of its own, with the default that
// the shared server's settings turn off.

failOnPageErrors();

const server = new OwnServer('lifecycle', OwnServer.portAt(5008));
delete server.env.PORTCULLIS_NEW_CLIENTS_IN_DEVELOPMENT;
const { env, base: ISSUER } = server;
test.use({ baseURL: ISSUER });

const DEVELOPMENT_ONLY = 'this application is still in development: only its developers can sign in to it';

let app: Listener;
test.beforeAll(async () => {
  test.setTimeout(120_000);
  await server.start();
  app = await Listener.start();
});
test.afterAll(async () => {
  await app?.stop();
  await server.stop();
});

/** A browser of its own, signed out, with or without JavaScript as the project. */
async function freshPage(browser: Browser, testInfo: TestInfo) {
  const context = await browser.newContext({ baseURL: ISSUER, javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  return { context, page: await context.newPage() };
}


test('a client in development admits its team alone until its promotion is approved', async ({ page, browser }, testInfo) => {
  test.setTimeout(120_000);
  const admin = await freshPage(browser, testInfo);
  await signIn(admin.page, testInfo, 'admin', ADMIN_PASSWORD);
  // Nobody turned it on: a new installation starts that way.
  await goto(admin.page, testInfo, '/admin/settings');
  await expect(admin.page.getByLabel('New clients start in development')).toBeChecked();
  await expectAccessible(admin.page, '/admin/settings (stages)');

  // The developer registers an app: it starts in development, and says what that means.
  const dev = unique(testInfo, 'dev-stage');
  addDeveloper(dev, env);
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer/clients/new');
  const name = `Staged ${testInfo.project.name} ${Date.now() % 100000}`;
  const callback = app.callback(testInfo, 'stage');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Redirect URIs', { exact: true }).fill(callback);
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('client-name')).toHaveText(name);
  const id = (await page.getByTestId('client-id').textContent())!;
  const secret = await page.getByTestId('secret-value').inputValue();
  const clientPath = new URL(page.url()).pathname;
  await expect(page.getByTestId('client-stage')).toHaveText('In development');
  const stage = page.getByTestId('stage');
  await expect(stage).toContainText('Only this client\'s team');
  await expectAccessible(page, '/developer/clients/:id (in development)');
  await expectFitsWidth(page, '/developer/clients/:id (in development)');
  const rp = await RelyingParty.discover({ id, secret }, callback, ISSUER);

  // A stranger the app sends here, signed out, is sent back with access_denied.
  const stranger = createUser(testInfo, 'stranger', env);
  const outside = await freshPage(browser, testInfo);
  {
    const { url, checks } = await rp.authorizationUrl({ scope: 'openid' });
    await outside.page.goto(url);
    await signInHere(outside.page, testInfo, stranger);
    // Told why here: nobody reviewed the app's redirect URI yet, so the person
    // chooses to go back to it (issue 11).
    await expect(outside.page.getByRole('alert')).toContainText('This application is still in development: only its developers can sign in to it.');
    await expectAccessible(outside.page, '/authorize (in development, refused)');
    await outside.page.getByRole('link', { name: /^Return to/ }).click();
    await expect(outside.page.getByRole('heading', { name: 'app callback' })).toBeVisible();
    const arrival = await app.arrival(callback);
    expect(arrival.searchParams.get('error')).toBe('access_denied');
    expect(arrival.searchParams.get('error_description')).toBe(DEVELOPMENT_ONLY);
    expect(arrival.searchParams.get('code')).toBeNull();
    expect(arrival.searchParams.get('state')).toBe(checks.state);
    expect(arrival.searchParams.get('iss')).toBe(ISSUER);
    await expect(rp.redeem(arrival, checks)).rejects.toMatchObject({ error: 'access_denied' });
  }

  // Its owner, on the team, signs in through the app.
  {
    const { url, checks } = await rp.authorizationUrl({ scope: 'openid' });
    await page.goto(url);
    // The consent page tells the developer why they, and only they, are let in.
    await expect(page.getByTestId('consent-in-development')).toContainText('Only its developers can sign in');
    await decide(page, testInfo, name, 'Allow');
    const arrival = await app.arrival(callback, 1);
    expectCode(arrival, checks, ISSUER);
    await rp.redeem(arrival, checks);
  }

  // The developer asks for production; the page says it waits.
  await goto(page, testInfo, clientPath);
  await page.getByLabel('What does the app do, and who will use it?').fill('The notebook for the spring pilot, for every staff member.');
  await page.getByRole('button', { name: 'Request production review' }).click();
  await expect(page.getByRole('status')).toContainText('promote the client to production was sent');
  await expect(page.getByTestId('promotion-pending')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Request production review' })).toHaveCount(0);

  // The administrator approves it in the queue.
  await goto(admin.page, testInfo, `/admin/requests?client_id=${encodeURIComponent(id)}`);
  const card = admin.page.getByTestId('queue-item').filter({ hasText: 'promotion to production' });
  await expect(card).toHaveCount(1);
  await expect(card).toContainText('The notebook for the spring pilot');
  await ready(admin.page, testInfo);
  await card.getByRole('button', { name: 'Approve' }).click();
  await expect(admin.page.getByRole('status')).toContainText('The request was approved');

  // In production: the badge is gone, and the stranger signs in from the app.
  await goto(page, testInfo, clientPath);
  await expect(page.getByTestId('client-name')).toHaveText(name);
  await expect(page.getByTestId('client-stage')).toHaveCount(0);
  let refresh: string;
  {
    const { url, checks } = await rp.authorizationUrl({ scope: 'openid' });
    await outside.page.goto(url);
    await expect(outside.page.getByTestId('consent-client')).toHaveText(name);
    await expect(outside.page.getByTestId('consent-in-development')).toHaveCount(0);
    await decide(outside.page, testInfo, name, 'Allow');
    const arrival = await app.arrival(callback, 2);
    expectCode(arrival, checks, ISSUER);
    const { tokens, claims } = await rp.redeem(arrival, checks);
    expect(claims.aud).toBe(id);
    refresh = tokens.refresh_token!;
    expect(refresh).toBeTruthy();
  }
  await outside.context.close();

  // The administrator moves it back to development (a box to tick): the
  // stranger's refresh token stops working; the team is told.
  await goto(admin.page, testInfo, clientPath);
  await ready(admin.page, testInfo);
  const adminStage = admin.page.getByTestId('stage');
  await expect(adminStage).toContainText('In production');
  await adminStage.getByLabel('Only its team can sign in to it from now on').check();
  await adminStage.getByRole('button', { name: 'Move back to development' }).click();
  await expect(admin.page.getByRole('status')).toContainText('back in development');
  await expect(admin.page.getByTestId('client-stage')).toHaveText('In development');
  await expect(oidc.refreshTokenGrant(rp.config, refresh)).rejects.toMatchObject({ error: 'invalid_grant' });
  await admin.context.close();
});
