import { expect, Page, test, TestInfo } from '@playwright/test';
import {
  addDeveloper, ADMIN_PASSWORD, cli, DEV_PASSWORD, expectAccessible, expectFitsWidth, failOnPageErrors, goto,
  ready, signIn, unique,
} from './helpers';
import { createUser, decide, Listener, registerClient, RelyingParty, signInHere } from './rp';

// Issue 13, defects 11 and 7: a walk through every page of the portal as an end
// user, a developer and an administrator, with data on each page (a client, a
// pending request, a rule, audit events, notifications), plus the sign-in, consent
// and error pages. On each page axe-core (WCAG 2.2 AA) finds nothing serious or
// critical; at 390×844 no page scrolls sideways.

failOnPageErrors();

let app: Listener;
test.beforeAll(async () => {
  app = await Listener.start();
});
test.afterAll(async () => {
  await app.stop();
});

type Check = (page: Page) => Promise<void>;

/**
 * docs/PORTAL.md's pictures: with PORTAL_SCREENSHOTS set to a folder, the hydrated
 * walk saves each page it checks at 1280 px there, named after its path (a client's
 * id becomes `client`; a second visit of a path gets `-2`, and so on).
 */
const shots = process.env.PORTAL_SCREENSHOTS;
const taken = new Map<string, number>();
async function screenshot(page: Page) {
  if (!shots) return;
  const path = new URL(page.url()).pathname;
  const base = path.replace(/\/clients\/[A-Za-z0-9_-]{22}(?=\/|$)/, '/clients/client').replace(/^\//, '').replace(/\//g, '-') || 'home';
  const n = (taken.get(base) ?? 0) + 1;
  taken.set(base, n);
  await page.screenshot({ path: `${shots}/${n === 1 ? base : `${base}-${n}`}.png` });
}

/** One section of a page (below the fold in the page's picture), as `name`.png. */
async function sectionShot(page: Page, testId: string, name: string) {
  if (!shots) return;
  const was = page.viewportSize();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByTestId(testId).screenshot({ path: `${shots}/${name}.png` });
  if (was) await page.setViewportSize(was);
}

/** Opens the header's menu when it is folded (phone width), then signs out. */
async function signOut(page: Page) {
  const menu = page.locator('summary', { hasText: 'Menu' });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByTestId('whoami')).toHaveCount(0);
}

async function walk(page: Page, testInfo: TestInfo, check: Check) {
  const visit = async (url: string) => {
    await goto(page, testInfo, url);
    await check(page);
  };
  const dev = unique(testInfo, 'walkdev');
  addDeveloper(dev);
  const api = `https://api.example.edu/${unique(testInfo, 'walk')}`;
  const scope = `${unique(testInfo, 'walk')}:write`;
  cli(['api', 'add', '--name', 'Walk', '--audience', api]);
  cli(['api', 'add-scope', '--api', api, '--name', scope, '--description', 'Write walk things', '--requires-approval']);

  // Signed out: home, sign-in, sign-up, recovery, an OAuth error, a page that does not exist.
  await visit('/');
  await visit('/login');
  await visit('/signup');
  await visit('/forgot-password');
  await visit('/reset-password?token=not-a-token');
  await visit('/verify-email?token=not-a-token');
  await visit('/oauth/authorize?client_id=no-such-client&response_type=code');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await check(page);
  await visit('/no-such-page');

  // An end user sent by an app: sign-in, consent, then their pages.
  const user = createUser(testInfo, 'walker');
  const callback = app.callback(testInfo, 'walk');
  const appName = `Walk app ${testInfo.project.name} ${Date.now() % 100000}`;
  const rp = await RelyingParty.discover(registerClient(appName, callback), callback);
  await page.goto((await rp.authorizationUrl()).url);
  await ready(page, testInfo);
  await check(page);
  await signInHere(page, testInfo, user);
  await expect(page.getByTestId('consent-client')).toHaveText(appName);
  await ready(page, testInfo);
  await check(page);
  await decide(page, testInfo, appName, 'Allow');
  await app.arrival(callback);
  for (const url of [
    '/', '/apps', '/account', '/account/two-factor', '/account/passkeys', '/account/providers', '/account/tokens',
    '/notifications', '/developer',
  ]) await visit(url);
  // An end user at /developer is told how to become a developer, not shown an error.
  await expect(page.getByTestId('become-developer')).toContainText('Developer');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await signOut(page);

  // A developer registers a client, asks for a scope and an extension.
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await visit('/developer/clients/new');
  const name = `Walk ${testInfo.project.name} ${Date.now() % 100000}`;
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://app.example.edu/callback');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('client-name')).toHaveText(name);
  await ready(page, testInfo);
  await check(page); // the secret shown once
  const clientUrl = new URL(page.url()).pathname;
  await page.getByLabel(scope).check();
  await page.getByLabel('Why does the client need them?').fill('Writes walk things back');
  await page.getByRole('button', { name: 'Request scopes' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'sent to the administrators' })).toBeVisible();
  await goto(page, testInfo, clientUrl);
  const later = new Date(Date.now() + 400 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel('Extend until').fill(later);
  await page.getByLabel('Justification').first().fill('Another year of walks');
  await page.getByRole('button', { name: 'Request an extension' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'sent to the administrators' })).toBeVisible();
  await signOut(page);

  // The administrator approves the extension (the developer gets a notification),
  // leaves the scope request waiting, saves a rule, and visits every page.
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await visit(`/admin/requests?kind=extension`);
  await page.getByTestId('queue-item').filter({ hasText: name }).getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'approved' })).toBeVisible();
  await visit('/admin/rules');
  await page.getByLabel(scope, { exact: true }).check();
  await page.getByLabel('Approve if').fill('developer.email.endsWith("@example.org")');
  await page.getByRole('button', { name: 'Test against recent requests' }).click();
  await expect(page.getByTestId('rule-trials')).toBeVisible();
  await ready(page, testInfo);
  await check(page); // the rule's trial against the waiting request
  await page.getByRole('button', { name: 'Save rule' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The rule was saved' })).toBeVisible();
  for (const url of [
    '/admin', '/admin/users', '/admin/requests', '/admin/rules', '/admin/clients', '/admin/outbox',
    '/admin/settings', '/admin/registration', '/admin/apis', '/admin/sign-in-providers',
    '/admin/sign-in-providers/new', '/admin/audit', '/notifications', clientUrl, '/apps',
  ]) {
    await visit(url);
  }
  // The administrator moves the client to development (one client, not the
  // server's setting): its page then says what that means, to both of them.
  await goto(page, testInfo, clientUrl);
  await ready(page, testInfo);
  await page.getByTestId('stage').getByLabel('Only its team can sign in to it from now on').check();
  await page.getByRole('button', { name: 'Move back to development' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'back in development' })).toBeVisible();
  await expect(page.getByTestId('client-stage')).toHaveText('In development');
  await ready(page, testInfo);
  await check(page);
  await signOut(page);

  // The developer's pages, with an unread notification in the header.
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await expect(page.getByTestId('unread-count')).toBeAttached();
  for (const url of ['/developer', clientUrl, `${clientUrl}/edit`, '/developer/requests', '/notifications', '/apps']) {
    await visit(url);
    if (url === clientUrl) {
      await expect(page.getByRole('button', { name: 'Request production review' })).toBeVisible();
      if (testInfo.project.use.javaScriptEnabled !== false) await sectionShot(page, 'stage', 'developer-clients-client-stage');
    }
  }
}

// One walk per project, at phone width (where the actions happen). Hydrated, each
// page must fit 390 px and pass axe-core there and at 1280 px, in the light theme.
// With JavaScript off the walk runs in the dark theme (the system setting, which
// the stylesheet follows): each page must fit 390 px and pass axe-core there, so
// every page's contrast is checked in both themes. Both projects render the same
// server HTML and axe runs on a JavaScript copy of it either way. One walk instead
// of one per width halves the sign-ins, clients and requests it makes (CI time).
test('every page fits a 390 px phone and passes axe-core (WCAG 2.2 AA) in both themes', async ({ page }, testInfo) => {
  test.setTimeout(600_000);
  const narrow = { width: 390, height: 844 };
  await page.setViewportSize(narrow);
  const hydrated = testInfo.project.use.javaScriptEnabled !== false;
  if (!hydrated) await page.emulateMedia({ colorScheme: 'dark' });
  await walk(page, testInfo, async (p) => {
    await expectFitsWidth(p);
    await expectAccessible(p, `${new URL(p.url()).pathname} (${hydrated ? 'light' : 'dark'})`);
    if (hydrated) {
      await p.setViewportSize({ width: 1280, height: 800 });
      await expectAccessible(p, `${new URL(p.url()).pathname} at 1280 px`);
      await screenshot(p);
      await p.setViewportSize(narrow);
    }
  });
});
