import { expect, Page, test, TestInfo } from '@playwright/test';
import { addDeveloper, ADMIN_PASSWORD, DEV_PASSWORD, expectAccessible, failOnPageErrors, goto, ready, signIn, unique } from './helpers';
import { createUser, expectCode, Listener, RESERVED, registerClient, RelyingParty, signInHere } from './rp';

// Issue 17: seed 001's "Pre-Authorization" and the administrators' section of the
// client edit page, hydrated and without JavaScript. A pre-authorized app signs
// people in without a consent page (their consent is recorded for them, so My apps
// lists it); only administrators see and set pre-authorization, first-party status
// and the access-token lifetime, and a refused value is shown beside its field.

failOnPageErrors();

let app: Listener;
test.beforeAll(async () => {
  app = await Listener.start();
});
test.afterAll(async () => {
  await app.stop();
});

function detail(page: Page, label: string) {
  return page.locator('dt', { hasText: label }).locator('xpath=following-sibling::dd');
}

test('a signed-out person sent by a pre-authorized app signs in and lands at the app without a consent page', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'pria');
  const callback = app.callback(testInfo, 'trusted');
  const name = `Trusted ${testInfo.project.name} ${Date.now() % 100000}`;
  const client = registerClient(name, callback, ['--pre-authorized']);
  const rp = await RelyingParty.discover(client, callback);
  const consentPages: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/oauth/consent')) consentPages.push(r.url());
  });

  const { url, checks } = await rp.authorizationUrl();
  expect(checks.state.startsWith(RESERVED)).toBe(true);
  await page.goto(url);
  await signInHere(page, testInfo, user);
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();
  const arrival = await app.arrival(callback);
  expectCode(arrival, checks);
  const { userinfo } = await rp.redeem(arrival, checks);
  expect(userinfo.preferred_username).toBe(user);
  expect(consentPages).toEqual([]);

  // The consent recorded for the person: listed under My apps, revocable.
  await goto(page, testInfo, '/apps');
  await expect(page.getByTestId('app-name')).toHaveText(name);
});

async function signOut(page: Page, testInfo: TestInfo) {
  await page.context().clearCookies();
  await goto(page, testInfo, '/');
}

test('administrators set first party, pre-authorization and the access-token lifetime on the edit page; developers do not see them', async ({ page }, testInfo) => {
  const dev = unique(testInfo, 'gov');
  addDeveloper(dev);
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer/clients/new');
  const name = `Governed ${testInfo.project.name} ${Date.now() % 100000}`;
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://app.example.edu/callback');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('client-name')).toHaveText(name);
  const clientUrl = new URL(page.url()).pathname;
  await expect(detail(page, 'Consent')).toHaveText('asked once, then remembered');
  await goto(page, testInfo, `${clientUrl}/edit`);
  await expect(page.getByLabel('Ask for consent every time')).not.toBeChecked();
  await expect(page.getByTestId('admin-settings')).toHaveCount(0);
  await expect(page.getByText('Administrator settings')).toHaveCount(0);

  await signOut(page, testInfo);
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(page, testInfo, `${clientUrl}/edit`);
  const section = page.getByTestId('admin-settings');
  await expect(section.getByRole('heading', { name: 'Administrator settings' })).toBeVisible();
  const ttl = page.getByLabel('Access-token lifetime (seconds, 60–3600; empty = server default)');
  await expect(ttl).toHaveAttribute('min', '60');
  await expect(ttl).toHaveAttribute('max', '3600');
  await expect(section).toContainText('not asked to allow it');
  await expectAccessible(page);

  // Two mistakes at once, past the browser's own bounds check: a lifetime the
  // server refuses and a blank name. Both beside their fields; what was typed stays.
  await ttl.evaluate((el) => { el.removeAttribute('min'); el.removeAttribute('max'); });
  await ttl.fill('5');
  await page.getByLabel('Name', { exact: true }).fill('   ');
  await page.getByLabel('Pre-authorized (no consent screen)').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('error-summary')).toContainText('2 fields need correcting');
  await expect(page.locator('#f-access_token_ttl_secs-error')).toContainText('60 to 3600');
  await expect(page.locator('#f-access_token_ttl_secs')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#f-name-error')).not.toBeEmpty();
  await expect(page.locator('#f-access_token_ttl_secs')).toHaveValue('5');
  await expect(page.getByLabel('Pre-authorized (no consent screen)')).toBeChecked();
  await ready(page, testInfo);
  await goto(page, testInfo, clientUrl);
  await expect(detail(page, 'Access-token lifetime')).toHaveText('server default');
  await expect(detail(page, 'Consent')).toHaveText('asked once, then remembered');

  await goto(page, testInfo, `${clientUrl}/edit`);
  await page.getByLabel('Access-token lifetime (seconds, 60–3600; empty = server default)').fill('600');
  await page.getByLabel('First party').check();
  await page.getByLabel('Pre-authorized (no consent screen)').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The client was updated.' })).toBeVisible();
  await ready(page, testInfo);
  await expect(detail(page, 'Access-token lifetime')).toHaveText('600 seconds');
  await expect(detail(page, 'First party')).toHaveText('yes');
  await expect(detail(page, 'Consent')).toHaveText('not asked: pre-authorized by an administrator');

  // Unticking applies too (the section's boxes mean "off" when unticked).
  await goto(page, testInfo, `${clientUrl}/edit`);
  await expect(page.getByLabel('First party')).toBeChecked();
  await page.getByLabel('First party').uncheck();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The client was updated.' })).toBeVisible();
  await ready(page, testInfo);
  await expect(detail(page, 'First party')).toHaveText('no');
  await expect(detail(page, 'Consent')).toHaveText('not asked: pre-authorized by an administrator');
});
