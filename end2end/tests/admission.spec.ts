import { expect, test } from '@playwright/test';
import * as oidc from 'openid-client';
import { addDeveloper, ADMIN_PASSWORD, DEV_PASSWORD, expectAccessible, goto, ready, signIn, unique } from './helpers';
import { OwnServer } from './own_server';
import { cli, createUser, decide, expectCode, Listener, RelyingParty, signInHere } from './rp';

// Issue 16, item 1: an app that registers itself (RFC 7591, through openid-client's
// own dynamic registration) is an admission request in the approval queue. Until
// an administrator admits it there, a person it sends here is told it awaits
// approval; once admitted, the person — starting signed out at the app's
// authorization URL — signs in through it. A refused app's people are told so.
// Open registration is server-wide: this spec runs against a server of its own.

const server = new OwnServer('admission', OwnServer.portAt(5002));
const { env, base: ISSUER } = server;
test.use({ baseURL: ISSUER });

let app: Listener;
test.beforeAll(async () => {
  test.setTimeout(120_000);
  await server.start();
  app = await Listener.start();
  cli(['registration', 'mode', 'open'], undefined, env);
});
test.afterAll(async () => {
  await app?.stop();
  await server.stop();
});

/** The app registers itself; openid-client keeps what the server answered. */
async function selfRegister(name: string, callback: string) {
  const config = await oidc.dynamicClientRegistration(
    new URL(ISSUER),
    {
      client_name: name,
      redirect_uris: [callback],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      software_id: 'admission-spec',
      // Free scopes come with the registration (the RP asks for these).
      scope: 'openid profile email',
    },
    undefined,
    { execute: [oidc.allowInsecureRequests] },
  );
  const meta = config.clientMetadata();
  return { id: meta.client_id, secret: String(meta.client_secret), rat: String(meta.registration_access_token) };
}

/** The administrator's own browser, with or without JavaScript as the project. */
async function adminPage(browser: import('@playwright/test').Browser, testInfo: import('@playwright/test').TestInfo) {
  const context = await browser.newContext({
    baseURL: ISSUER,
    javaScriptEnabled: testInfo.project.use.javaScriptEnabled,
  });
  const page = await context.newPage();
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  return { context, page };
}

test('a self-registered app waits in the queue; admitted there, it signs a signed-out person in', async ({ page, browser }, testInfo) => {
  const user = createUser(testInfo, 'adm', env);
  const name = `Self-registered ${testInfo.project.name} ${Date.now() % 100000}`;
  const callback = app.callback(testInfo, 'admission');
  const client = await selfRegister(name, callback);
  const rp = await RelyingParty.discover(client, callback, ISSUER);

  // Before admission: a page, never a redirect to the app.
  const first = await rp.authorizationUrl();
  await page.goto(first.url);
  await expect(page).toHaveURL(/reason=awaiting_admission/);
  await expect(page.getByTestId('oauth-error')).toContainText("awaiting an administrator's approval");
  expect(app.hitsOn(callback)).toHaveLength(0);

  // The administrator finds it in the queue: how it came, no developer.
  const admin = await adminPage(browser, testInfo);
  await goto(admin.page, testInfo, `/admin/requests?kind=admission&client_id=${encodeURIComponent(client.id)}`);
  const card = admin.page.getByTestId('queue-item').filter({ hasText: name });
  await expect(card).toHaveCount(1);
  await expect(card.getByTestId('queue-arrival')).toContainText('open dynamic registration');
  await expect(card.getByTestId('queue-arrival')).toContainText('admission-spec');
  await expect(card).toContainText('registered itself');
  await expect(card.getByTestId('queue-client-redirects')).toContainText(callback);
  await expectAccessible(admin.page, '/admin/requests (admission)');
  await ready(admin.page, testInfo);
  await card.getByRole('button', { name: 'Admit' }).click();
  await expect(admin.page.getByRole('status')).toContainText('The client was admitted');
  await expect(card).toHaveCount(0);
  await admin.context.close();

  // Now the person, still signed out, starts again at the app.
  const { url, checks } = await rp.authorizationUrl();
  await page.goto(url);
  await signInHere(page, testInfo, user);
  await decide(page, testInfo, name, 'Allow');
  const arrival = await app.arrival(callback);
  expectCode(arrival, checks, ISSUER);
  const { claims } = await rp.redeem(arrival, checks);
  expect(claims.aud).toBe(client.id);
});

test('a refused app gets no sign-in, and the person is told it was not admitted', async ({ page, browser }, testInfo) => {
  const name = `Refused ${testInfo.project.name} ${Date.now() % 100000}`;
  const callback = app.callback(testInfo, 'refused');
  const client = await selfRegister(name, callback);
  const rp = await RelyingParty.discover(client, callback, ISSUER);

  const admin = await adminPage(browser, testInfo);
  await goto(admin.page, testInfo, `/admin/requests?kind=admission&client_id=${encodeURIComponent(client.id)}`);
  const card = admin.page.getByTestId('queue-item').filter({ hasText: name });
  await ready(admin.page, testInfo);
  await card.getByLabel('Reason (required, kept with the decision)').fill('We do not know this vendor.');
  await card.getByRole('button', { name: 'Reject' }).click();
  await expect(admin.page.getByRole('status')).toContainText('The client was refused');
  await admin.context.close();

  const { url } = await rp.authorizationUrl();
  await page.goto(url);
  await expect(page).toHaveURL(/reason=admission_refused/);
  await expect(page.getByTestId('oauth-error')).toContainText('did not admit it');
  expect(app.hitsOn(callback)).toHaveLength(0);
});

test('a developer claims a self-registered app into the portal with its registration access token', async ({ page }, testInfo) => {
  const dev = unique(testInfo, 'claimer');
  addDeveloper(dev, env);
  const name = `Claimed ${testInfo.project.name} ${Date.now() % 100000}`;
  const client = await selfRegister(name, app.callback(testInfo, 'claimed'));
  expect(client.rat.length).toBeGreaterThan(20);

  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer/clients/new');
  const form = page.getByTestId('claim-form');
  await form.getByLabel('Client id').fill(client.id);
  await form.getByLabel('Registration access token').fill('not the token');
  await form.getByRole('button', { name: 'Claim client' }).click();
  // Refused beside the token's field; the id is kept. Without JavaScript the page
  // comes back from the server, which never sends a token back.
  await expect(page.locator('#f-registration_access_token-error')).toContainText('No client that registered itself');
  await expect(page.getByTestId('claim-form').getByLabel('Client id')).toHaveValue(client.id);
  if (!testInfo.project.use.javaScriptEnabled) {
    await expect(page.getByTestId('claim-form').getByLabel('Registration access token')).toHaveValue('');
  }
  await expectAccessible(page, '/developer/clients/new (claim refused)');

  await ready(page, testInfo);
  await page.getByTestId('claim-form').getByLabel('Registration access token').fill(client.rat);
  await page.getByTestId('claim-form').getByRole('button', { name: 'Claim client' }).click();
  await expect(page.getByRole('status')).toContainText('The client is yours now');
  await expect(page.getByRole('heading', { level: 1 })).toContainText(name);
  await goto(page, testInfo, '/developer');
  await expect(page.getByRole('link', { name })).toBeVisible();
});

test('an administrator mints an initial access token (shown once), revokes it, and trusts a document host', async ({ page }, testInfo) => {
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(page, testInfo, '/admin');
  await page.getByRole('link', { name: /Self-registration/ }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Self-registration');
  await expectAccessible(page, '/admin/registration');
  await ready(page, testInfo);

  // Registration stays open (the specs beside this one rely on it): saving the mode
  // as it is.
  await expect(page.getByLabel(/^Open/)).toBeChecked();
  await page.getByRole('button', { name: 'Save mode' }).click();
  await expect(page.getByRole('status')).toContainText('The settings were saved');
  await ready(page, testInfo);

  const label = unique(testInfo, 'pilot');
  const mint = page.getByTestId('mint-token');
  await mint.getByLabel('Label').fill(label);
  await mint.getByLabel('Registrations it allows').fill('3');
  await mint.getByLabel('Valid for (days)').fill('7');
  await mint.getByRole('button', { name: 'Mint token' }).click();
  const value = page.getByTestId('new-initial-token-value');
  await expect(value).toHaveText(/^[A-Za-z0-9_-]{43}$/);
  const row = page.getByTestId('initial-token').filter({ hasText: label });
  await expect(row).toContainText('0 of 3 used');
  await expect(row).toHaveAttribute('data-state', 'live');
  // Shown once: a new view of the page no longer has it.
  await goto(page, testInfo, '/admin/registration');
  await expect(page.getByTestId('new-initial-token')).toHaveCount(0);

  await ready(page, testInfo);
  const again = page.getByTestId('initial-token').filter({ hasText: label });
  await again.getByText('Revoke…').click();
  await again.getByLabel(/Registrations with this token stop at once/).check();
  await again.getByRole('button', { name: `Revoke the token ${label}` }).click();
  await expect(page.getByRole('status')).toContainText('The token was revoked');
  await expect(page.getByTestId('initial-token').filter({ hasText: label })).toHaveAttribute('data-state', 'revoked');

  await ready(page, testInfo);
  const docs = page.getByTestId('metadata-documents');
  const hosts = docs.getByLabel('Trusted hosts');
  const host = `${unique(testInfo, 'agents')}.example.org`;
  await hosts.fill(`${await hosts.inputValue()}\n${host}`.trim());
  await docs.getByRole('button', { name: 'Save documents settings' }).click();
  await expect(page.getByRole('status')).toContainText('The settings were saved');
  await expect(page.getByTestId('metadata-documents').getByLabel('Trusted hosts')).toHaveValue(new RegExp(host.replace(/\./g, '\\.')));
});
