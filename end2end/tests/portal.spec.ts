import { expect, Page, test, TestInfo } from '@playwright/test';
import { addDeveloper, ADMIN_PASSWORD, cli, DEV_PASSWORD, goto, ready, signIn, unique } from './helpers';

// Seed 001's use cases end to end: a developer registers a client and sees its
// secret once, requests a scope, the administrator rejects with a reason, the
// developer reads it, asks again, the administrator approves and the client gets
// a token with the scope; an expiry under 30 days shows in red and an extension
// request is approved.

function setUp(testInfo: TestInfo) {
  const dev = unique(testInfo, 'dev');
  addDeveloper(dev);
  const api = `https://api.example.edu/${unique(testInfo, 'reg')}`;
  const scope = `${unique(testInfo, 'registrations')}:write`;
  cli(['api', 'add', '--name', 'Registrations', '--audience', api]);
  cli(['api', 'add-scope', '--api', api, '--name', scope, '--description', 'Update your course registrations', '--requires-approval']);
  return { dev, api, scope };
}

async function signOutAndIn(page: Page, testInfo: TestInfo, user: string, password: string) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByTestId('whoami')).toHaveCount(0);
  await signIn(page, testInfo, user, password);
}

async function requestScope(page: Page, testInfo: TestInfo, clientUrl: string, scope: string, why: string) {
  await goto(page, testInfo, clientUrl);
  await page.getByLabel(scope).check();
  await page.getByLabel('Why does the client need them?').fill(why);
  await page.getByRole('button', { name: 'Request scopes' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'sent to the administrators' })).toBeVisible();
  await ready(page, testInfo);
}

test('seed 001: register, request a scope, reject with reason, approve, token carries the scope', async ({ page, request }, testInfo) => {
  const { dev, api, scope } = setUp(testInfo);
  const name = `Sync ${testInfo.project.name} ${Date.now() % 100000}`;

  // The developer registers a service client.
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer');
  await page.getByRole('link', { name: 'Register a client' }).first().click();
  await ready(page, testInfo);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel(/^Service/).check();
  await page.getByRole('button', { name: 'Register' }).click();

  // The secret is shown once...
  await expect(page.getByTestId('client-name')).toHaveText(name);
  const secret = await page.getByTestId('secret-value').inputValue();
  expect(secret).toMatch(/^[A-Za-z0-9_-]{43,}$/);
  const clientId = (await page.getByTestId('client-id').textContent())!.trim();
  const clientUrl = new URL(page.url()).pathname;
  await expect(page.getByTestId('no-scopes')).toBeVisible(); // service clients start with none
  // ...and never again.
  await goto(page, testInfo, clientUrl);
  await expect(page.getByTestId('client-name')).toHaveText(name);
  await expect(page.getByTestId('secret-once')).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText(secret);

  await requestScope(page, testInfo, clientUrl, scope, 'Nightly registration sync');

  // The administrator rejects, with a reason (required).
  await signOutAndIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(page, testInfo, '/admin/requests');
  let item = page.getByTestId('queue-item').filter({ hasText: name });
  await expect(item).toContainText('Nightly registration sync');
  await expect(item).toContainText(dev);
  await item.getByRole('button', { name: 'Reject' }).click();
  await expect(page.getByText('Reason is required').first()).toBeVisible();
  await ready(page, testInfo);
  item = page.getByTestId('queue-item').filter({ hasText: name });
  await item.getByLabel('Reason (required, sent to the developer)').fill('Ask for read access first');
  await item.getByRole('button', { name: 'Reject' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'rejected' })).toBeVisible();
  await expect(page.getByTestId('queue-item').filter({ hasText: name })).toHaveCount(0);

  // The developer reads the reason.
  await signOutAndIn(page, testInfo, dev, DEV_PASSWORD);
  await expect(page.getByTestId('unread-count')).toBeVisible();
  await goto(page, testInfo, '/developer/requests?status=rejected');
  const rejected = page.getByTestId('request').filter({ hasText: name });
  await expect(rejected.getByTestId('request-reason')).toContainText('Ask for read access first');

  // Asks again; the administrator approves.
  await requestScope(page, testInfo, clientUrl, scope, 'Read access is not enough: we write back');
  await signOutAndIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(page, testInfo, '/admin/requests');
  item = page.getByTestId('queue-item').filter({ hasText: name });
  await expect(item.getByLabel(scope)).toBeChecked();
  await item.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'approved' })).toBeVisible();

  // The client gets a token with the scope, for its API.
  const resp = await request.post('/oauth/token', {
    form: { grant_type: 'client_credentials', scope },
    headers: { authorization: 'Basic ' + Buffer.from(`${clientId}:${secret}`).toString('base64') },
  });
  expect(resp.status()).toBe(200);
  const token = (await resp.json()).access_token as string;
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  expect(claims.scope).toBe(scope);
  expect(claims.aud).toBe(api);
  expect(claims.client_id).toBe(clientId);
});

test('seed 001: an expiry under 30 days is red and an extension is approved', async ({ page }, testInfo) => {
  const { dev } = setUp(testInfo);
  const name = `Expiring ${testInfo.project.name} ${Date.now() % 100000}`;
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer/clients/new');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://app.example.edu/callback');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('client-name')).toHaveText(name);
  const clientUrl = new URL(page.url()).pathname;

  // An administrator shortens the registration to 10 days.
  await signOutAndIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(page, testInfo, clientUrl);
  const soon = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel('Administrator: set expiry (empty = never)').fill(soon);
  await page.getByRole('button', { name: 'Set expiry' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'expiry was changed' })).toBeVisible();

  // The developer's list shows it in red.
  await signOutAndIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer');
  const row = page.getByTestId(`client-${name}`);
  const badge = row.getByTestId('expiry');
  await expect(badge).toHaveAttribute('data-expiry', 'soon');
  await expect(badge).toHaveClass(/text-red-700/);
  await expect(badge).toContainText('days left');

  // Requests an extension; the administrator approves it.
  await row.getByRole('link', { name }).click();
  await ready(page, testInfo);
  const later = new Date(Date.now() + 300 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel('Extend until').fill(later);
  await page.getByLabel('Justification').first().fill('The course runs another year');
  await page.getByRole('button', { name: 'Request an extension' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'sent to the administrators' })).toBeVisible();

  await signOutAndIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(page, testInfo, '/admin/requests?kind=extension');
  const item = page.getByTestId('queue-item').filter({ hasText: name });
  await expect(item).toContainText(later);
  await item.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'approved' })).toBeVisible();

  await signOutAndIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer');
  await expect(page.getByTestId(`client-${name}`).getByTestId('expiry')).toHaveAttribute('data-expiry', 'ok');
  await expect(page.getByTestId(`client-${name}`)).toContainText(later);
});
