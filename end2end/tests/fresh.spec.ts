import { APIRequestContext, expect, Page, test, TestInfo } from '@playwright/test';
import { addDeveloper, ADMIN_PASSWORD, cli, DEV_PASSWORD, failOnPageErrors, goto, ready, signIn, unique } from './helpers';

// Issue 13, defect 3: after every action the page shows the state the server now
// has. Hydrated, pages used to keep what they showed before the action: the scope
// form its ticks, the bell and the Queue badge their counts, a `?notice=` banner
// its text across reloads and beside a new error.

failOnPageErrors();

/** A developer, two scopes that need approval, and the developer's web client. */
async function setUp(page: Page, testInfo: TestInfo, stem: string) {
  const dev = unique(testInfo, `dev-${stem}`);
  addDeveloper(dev);
  const api = `https://api.example.edu/${unique(testInfo, stem)}`;
  const scopes = [`${unique(testInfo, stem)}:read`, `${unique(testInfo, stem)}:write`];
  cli(['api', 'add', '--name', 'Fresh', '--audience', api]);
  for (const s of scopes) {
    cli(['api', 'add-scope', '--api', api, '--name', s, '--description', 'Fresh things', '--requires-approval']);
  }
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer/clients/new');
  const name = `Fresh ${stem} ${testInfo.project.name} ${Date.now() % 100000}`;
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://app.example.edu/callback');
  await page.getByRole('button', { name: 'Register' }).click();
  const clientId = (await page.getByTestId('client-id').textContent())!.trim();
  const clientUrl = new URL(page.url()).pathname;
  await ready(page, testInfo);
  return { dev, scopes, name, clientId, clientUrl };
}

async function requestScope(page: Page, testInfo: TestInfo, scope: string, why: string) {
  await page.getByLabel(scope).check();
  await page.getByLabel('Why does the client need them?').fill(why);
  await page.getByRole('button', { name: 'Request scopes' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'sent to the administrators' })).toBeVisible();
  await ready(page, testInfo);
}

async function signOutAndIn(page: Page, testInfo: TestInfo, user: string, password: string) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByTestId('whoami')).toHaveCount(0);
  await signIn(page, testInfo, user, password);
}

/** The number the server puts on the Queue badge now (a fresh page load). */
async function serverPending(request: APIRequestContext): Promise<string> {
  const html = await (await request.get('/admin')).text();
  return /data-testid="pending-count"[^>]*>(\d+)</.exec(html)?.[1] ?? '0';
}

test('after a scope request the form is empty again, so the next request is not refused', async ({ page }, testInfo) => {
  const { scopes, clientUrl } = await setUp(page, testInfo, 'ticks');
  await requestScope(page, testInfo, scopes[0], 'Reads the timetable');

  // Nothing is left ticked or typed: the page is the client as the server has it.
  await expect(page.locator('input[name="scopes[]"]:checked')).toHaveCount(0);
  await expect(page.getByLabel('Why does the client need them?')).toHaveValue('');

  // The next request asks only for what is ticked now, and is accepted.
  await requestScope(page, testInfo, scopes[1], 'Writes the timetable');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await goto(page, testInfo, clientUrl);
  const pending = page.locator('#requests').getByTestId('request');
  await expect(pending).toHaveCount(2);
  await expect(pending.filter({ hasText: scopes[0] })).toHaveCount(1);
  await expect(pending.filter({ hasText: scopes[1] })).toHaveCount(1);
});

test('the Queue badge and the bell follow a decision and "Mark all as read"', async ({ page }, testInfo) => {
  const { dev, scopes, clientId } = await setUp(page, testInfo, 'counts');
  await requestScope(page, testInfo, scopes[0], 'Reads the timetable');

  // The administrator decides; the Queue badge then shows the server's count
  // (other specs add requests meanwhile, so it is compared with a fresh load).
  await signOutAndIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(page, testInfo, `/admin/requests?client_id=${encodeURIComponent(clientId)}`);
  const badge = page.getByTestId('pending-count');
  await expect(badge).toBeVisible();
  const item = page.getByTestId('queue-item');
  await expect(item).toHaveCount(1);
  await item.getByLabel('Reason (required, sent to the developer)').fill('Ask for read access first');
  await item.getByRole('button', { name: 'Reject' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'rejected' })).toBeVisible();
  await expect(item).toHaveCount(0);
  await expect
    .poll(async () => {
      const shown = (await badge.count()) ? (await badge.textContent())!.trim() : '0';
      return shown === (await serverPending(page.request));
    })
    .toBe(true);

  // The developer has a notification; marking all as read empties the bell.
  await signOutAndIn(page, testInfo, dev, DEV_PASSWORD);
  await expect(page.getByTestId('unread-count')).toBeVisible();
  await goto(page, testInfo, '/notifications');
  await page.getByRole('button', { name: 'Mark all as read' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'marked as read' })).toBeVisible();
  await expect(page.getByTestId('unread-count')).toHaveCount(0);
  await expect(page.getByTestId('bell')).toHaveAttribute('aria-label', 'Notifications: 0 unread');
});

test('a notice is shown once, and never beside a new error', async ({ page }, testInfo) => {
  const { scopes, clientId, clientUrl } = await setUp(page, testInfo, 'notice');
  await requestScope(page, testInfo, scopes[0], 'Reads the timetable');
  await goto(page, testInfo, clientUrl);
  await requestScope(page, testInfo, scopes[1], 'Writes the timetable');

  await signOutAndIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(page, testInfo, `/admin/requests?client_id=${encodeURIComponent(clientId)}`);
  const items = page.getByTestId('queue-item');
  await expect(items).toHaveCount(2);
  await items.first().getByRole('button', { name: 'Approve' }).click();
  const approved = page.getByRole('status').filter({ hasText: 'approved' });
  await expect(approved).toBeVisible();
  await ready(page, testInfo);
  await expect(items).toHaveCount(1);

  // A failed decision shows its error alone: the confirmation of the one before
  // is gone.
  await items.first().getByRole('button', { name: 'Reject' }).click();
  await expect(page.getByText('Reason is required').first()).toBeVisible();
  await expect(approved).toHaveCount(0);
  await ready(page, testInfo);

  await items.first().getByLabel('Reason (required, sent to the developer)').fill('Read access is enough');
  await items.first().getByRole('button', { name: 'Reject' }).click();
  const rejected = page.getByRole('status').filter({ hasText: 'rejected' });
  await expect(rejected).toBeVisible();
  await expect(page.getByTestId('queue-empty')).toBeVisible();
  await expect(page.getByText('Reason is required')).toHaveCount(0);

  // A reload shows the queue, not the old confirmation: hydrated the code left
  // the address; without JavaScript the address keeps it, but the cookie that
  // vouched for it was spent by the page that showed it.
  await ready(page, testInfo);
  await page.reload();
  await ready(page, testInfo);
  await expect(page.getByTestId('queue-empty')).toBeVisible();
  await expect(rejected).toHaveCount(0);
  expect(new URL(page.url()).searchParams.get('client_id')).toBe(clientId);
});
