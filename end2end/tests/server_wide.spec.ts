import { expect, Page, test, TestInfo } from '@playwright/test';
import {
  addDeveloper, ADMIN_PASSWORD, base32Decode, DEV_PASSWORD, expectAccessible, goto, ready, signIn, totp, unique,
} from './helpers';
import { OwnServer } from './own_server';
import { cli, decide, expectCode, Listener, registerClient, RelyingParty, signInHere } from './rp';

// Specs that change server-wide settings: a switch turned off here would break the
// flows of specs running beside them, so they run against a server of their own
// (beside the other specs, not after them).
const server = new OwnServer('server-wide', OwnServer.portAt(5000));
const { env, base } = server;
test.use({ baseURL: base });

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

test('turning third-party apps off ends their authorization on an error page, and on again restores it', async ({ page, browser }, testInfo) => {
  const name = `Third party ${testInfo.project.name} ${Date.now() % 100000}`;
  const callback = app.callback(testInfo, 'third');
  const client = registerClient(name, callback, [], env);
  const rp = await RelyingParty.discover(client, callback, base);
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  // The app's user starts signed out, in a browser of their own.
  const context = await browser.newContext({ javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  const visitor = await context.newPage();
  try {
    await setThirdParty(page, testInfo, false);
    const refused = await rp.authorizationUrl();
    const resp = await visitor.goto(refused.url);
    expect(resp?.status()).toBe(403);
    await expect(visitor.getByTestId('oauth-error')).toContainText('Third-party applications may not use this service');
    expect(new URL(visitor.url()).pathname).toBe('/oauth/error');
    expect(app.hitsOn(callback)).toHaveLength(0);

    await setThirdParty(page, testInfo, true);
    const { url, checks } = await rp.authorizationUrl();
    await visitor.goto(url);
    await signInHere(visitor, testInfo, 'admin', ADMIN_PASSWORD);
    await decide(visitor, testInfo, name, 'Allow');
    const arrival = await app.arrival(callback);
    expectCode(arrival, checks, base);
    await rp.redeem(arrival, checks);
  } finally {
    // Never leave the switch off for the other specs.
    cli(['third-party-oauth', 'on'], undefined, env);
    await context.close();
  }
});

async function gateProfile(page: Page, testInfo: TestInfo, on: boolean) {
  await goto(page, testInfo, '/admin/apis');
  const row = page.getByTestId('scope-profile');
  await row.getByLabel('Needs approval').setChecked(on);
  await row.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The scope was updated' })).toBeVisible();
  await ready(page, testInfo);
  await expect(page.getByTestId('scope-profile').getByLabel('Needs approval')).toBeChecked({ checked: on });
}

// Issue 17 (seed 001: a developer asks for `profile`): an administrator makes
// `profile` need approval and writes one rule for it and an API scope; the
// developer's request for `profile` is then decided by that rule.
test('an administrator gates profile and one rule decides it and an API scope', async ({ page, browser }, testInfo) => {
  const api = `https://api.example.edu/${unique(testInfo, 'gate')}`;
  const scope = `${unique(testInfo, 'gate')}:write`;
  cli(['api', 'add', '--name', 'Gate', '--audience', api], undefined, env);
  cli(['api', 'add-scope', '--api', api, '--name', scope, '--description', 'Write gated things', '--requires-approval'], undefined, env);
  const dev = unique(testInfo, 'dev-gate');
  addDeveloper(dev, env);
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  const context = await browser.newContext({ javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  const devPage = await context.newPage();
  try {
    await gateProfile(page, testInfo, true);
    await expect(page.getByTestId('scope-openid')).toContainText('never needs approval');

    // One rule for both scopes.
    await goto(page, testInfo, '/admin/rules');
    await page.getByLabel('profile', { exact: true }).check();
    await page.getByLabel(scope, { exact: true }).check();
    const rule = 'request.scope == "profile" && developer.email.endsWith("@example.edu")';
    await page.getByLabel('Approve if').fill(rule);
    await page.getByRole('button', { name: 'Save rule' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'The rule was saved' })).toBeVisible();
    const row = page.locator(`[data-testid="rule"][data-scopes~="profile"]`);
    await expect(row).toHaveCount(1);
    await expect(row).toContainText(scope);
    await expect(row).toContainText(rule);
    await ready(page, testInfo);

    // The developer's request for profile (it says it needs approval now) is
    // approved by the rule; the API scope asked with it waits for a person.
    await signIn(devPage, testInfo, dev, DEV_PASSWORD);
    await goto(devPage, testInfo, '/developer/clients/new');
    const name = `Gated ${testInfo.project.name} ${Date.now() % 100000}`;
    await devPage.getByLabel('Name', { exact: true }).fill(name);
    await devPage.getByLabel('Redirect URIs', { exact: true }).fill('https://app.example.edu/callback');
    await devPage.getByRole('button', { name: 'Register' }).click();
    await expect(devPage.getByTestId('client-name')).toHaveText(name);
    await ready(devPage, testInfo);
    const profile = devPage.getByRole('checkbox', { name: /^profile —/ });
    await expect(profile).toHaveAccessibleName(/needs approval/);
    await profile.check();
    await devPage.getByLabel('Why does the client need them?').fill('Greet people by name');
    await devPage.getByRole('button', { name: 'Add or request scopes' }).click();
    await expect(devPage.getByRole('status').filter({ hasText: 'approved at once' })).toBeVisible();
    await expect(devPage.getByTestId('client-scopes')).toContainText('profile');
    await ready(devPage, testInfo);
    await devPage.getByRole('checkbox', { name: new RegExp(`^${scope} —`) }).check();
    await devPage.getByLabel('Why does the client need them?').fill('We write things');
    await devPage.getByRole('button', { name: 'Add or request scopes' }).click();
    await expect(devPage.getByRole('status').filter({ hasText: 'sent to the administrators' })).toBeVisible();
    await expect(devPage.getByTestId('client-scopes')).not.toContainText(scope);

    // Deleting the rule frees both scopes of it.
    await goto(page, testInfo, '/admin/rules');
    await row.getByText('Delete…').click();
    await row.getByLabel(/will wait for a person again/).check();
    await row.getByRole('button', { name: /^Delete the rule for / }).click();
    await expect(page.getByRole('status').filter({ hasText: 'The rule was deleted' })).toBeVisible();
    await expect(page.locator(`[data-testid="rule"][data-scopes~="profile"]`)).toHaveCount(0);
    await ready(page, testInfo);
  } finally {
    // Never leave profile gated for the next run of this spec.
    await gateProfile(page, testInfo, false);
    await context.close();
  }
});

async function requireForDevelopers(page: Page, testInfo: TestInfo, on: boolean) {
  await goto(page, testInfo, '/admin/settings');
  const box = page.getByRole('group', { name: 'Two-step sign-in' }).getByLabel('Developers');
  await box.setChecked(on);
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('status')).toContainText('The settings were saved');
  await ready(page, testInfo);
  await expect(page.getByRole('group', { name: 'Two-step sign-in' }).getByLabel('Developers')).toBeChecked({ checked: on });
}

test('an administrator requires two-step sign-in of developers: one without it sets it up on the way to an app, and a lost phone is reset', async ({ page, browser }, testInfo) => {
  const dev = unique(testInfo, 'dev-2fa');
  addDeveloper(dev, env);
  const name = `Required 2FA ${testInfo.project.name} ${Date.now() % 100000}`;
  const callback = app.callback(testInfo, 'required2fa');
  const rp = await RelyingParty.discover(registerClient(name, callback, [], env), callback, base);
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  const context = await browser.newContext({ javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  const visitor = await context.newPage();
  try {
    await requireForDevelopers(page, testInfo, true);
    await expectAccessible(page, 'settings with two-step sign-in');

    // Signed out, at the app's authorization URL: password, then the set-up.
    const { url, checks } = await rp.authorizationUrl();
    await visitor.goto(url);
    await signInHere(visitor, testInfo, dev, DEV_PASSWORD);
    await expect(visitor).toHaveURL(/\/login\/set-up-second-factor\?return_to=/);
    const setUp = visitor.getByTestId('set-up-second-factor');
    await expect(setUp).toContainText('An administrator requires two-step sign-in for developers');
    await expect(visitor.getByRole('img', { name: 'QR code of the setup link' }).locator('svg')).toBeVisible();
    await ready(visitor, testInfo);
    await expectAccessible(visitor, 'set up a required second factor');
    const secret = base32Decode((await visitor.getByTestId('totp-secret').innerText()).trim());
    await visitor.getByLabel('Code from your app').fill('000000');
    await visitor.getByRole('button', { name: 'Turn on and continue' }).click();
    await expect(visitor.locator('#f-code-error')).toContainText('not right');
    await ready(visitor, testInfo);
    await visitor.getByLabel('Code from your app').fill(totp(secret));
    await visitor.getByRole('button', { name: 'Turn on and continue' }).click();

    await expect(visitor).toHaveURL(/\/login\/recovery-codes\?return_to=/);
    await expect(visitor.getByTestId('recovery-codes').getByRole('listitem')).toHaveCount(10);
    await ready(visitor, testInfo);
    await expectAccessible(visitor, 'recovery codes after set-up');
    await visitor.getByRole('link', { name: 'I saved them — continue' }).click();
    await decide(visitor, testInfo, name, 'Allow');
    await expect(visitor.getByRole('heading', { name: 'app callback' })).toBeVisible();
    const arrival = await app.arrival(callback);
    expectCode(arrival, checks, base);
    const { claims } = await rp.redeem(arrival, checks);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);

    // The developer lost the phone: the administrator resets it, confirmed.
    const id = cli(['user', 'list', '--search', dev], undefined, env).split('\n').find((l) => l.startsWith(`${dev} `))!.trim().split(/\s+/).pop()!;
    await goto(page, testInfo, `/admin/users/${id}/apps`);
    const card = page.getByTestId('user-second-factor');
    await expect(card).toContainText('On: signing in asks');
    await card.getByText('Reset…').click();
    await card.getByLabel(/signs in with their password alone/).check();
    await card.getByRole('button', { name: 'Reset two-step sign-in' }).click();
    await expect(page.getByRole('status')).toContainText('Two-step sign-in was reset');
    await expect(page.getByTestId('second-factor-off')).toBeVisible();
    await ready(page, testInfo);

    // Their next sign-in sets up a new app before anything else.
    await context.clearCookies();
    await visitor.goto('/login?return_to=%2Fdeveloper');
    await signInHere(visitor, testInfo, dev, DEV_PASSWORD);
    await expect(visitor).toHaveURL(/\/login\/set-up-second-factor\?return_to=%2Fdeveloper/);
    await expect(visitor.getByTestId('totp-secret')).not.toHaveText(/^\s*$/);
  } finally {
    // Never leave the requirement on for the specs that follow.
    await requireForDevelopers(page, testInfo, false);
    await context.close();
  }
});

const TERMS = 'https://example.edu/terms-of-use';

async function setTerms(page: Page, testInfo: TestInfo, url: string, version: string) {
  await goto(page, testInfo, '/admin/settings');
  await page.getByLabel('Address of the terms (https://…)').fill(url);
  await page.getByLabel('Version', { exact: true }).fill(version);
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('status')).toContainText('The settings were saved');
  await ready(page, testInfo);
  await expect(page.getByLabel('Version', { exact: true })).toHaveValue(version);
}

test('with terms of use, a newcomer from an app accepts them to sign up, and a new version is accepted at the next sign-in on the way back', async ({ page, browser }, testInfo) => {
  const name = `Terms ${testInfo.project.name} ${Date.now() % 100000}`;
  const callback = app.callback(testInfo, 'terms');
  const rp = await RelyingParty.discover(registerClient(name, callback, [], env), callback, base);
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  const context = await browser.newContext({ javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  const visitor = await context.newPage();
  const password = 'a long new password';
  try {
    await setTerms(page, testInfo, TERMS, unique(testInfo, 'v1'));
    await expectAccessible(page, 'settings with terms of use');

    // Signed out, at the app's authorization URL: sign-up needs the box ticked.
    const first = await rp.authorizationUrl();
    await visitor.goto(first.url);
    await expect(visitor).toHaveURL(/\/login\?return_to=/);
    await ready(visitor, testInfo);
    await visitor.getByRole('link', { name: 'Create one' }).click();
    await expect(visitor).toHaveURL(/\/signup\?return_to=/);
    await ready(visitor, testInfo);
    const user = unique(testInfo, 'terms');
    await visitor.getByLabel('Username').fill(user);
    await visitor.getByLabel('E-mail').fill(`${user}@example.edu`);
    await visitor.getByLabel('Password', { exact: true }).fill(password);
    await visitor.getByLabel('Repeat the password').fill(password);
    const box = visitor.getByLabel(/I have read and accept the terms of use/);
    await expect(box).not.toBeChecked();
    await expect(visitor.getByRole('link', { name: 'terms of use' })).toHaveAttribute('href', TERMS);
    await expectAccessible(visitor, 'sign-up with terms of use');
    await box.check();
    await visitor.getByRole('button', { name: 'Create account' }).click();
    await expect(visitor.getByRole('status')).toContainText(/account/i);
    await signInHere(visitor, testInfo, user, password);
    await decide(visitor, testInfo, name, 'Allow');
    await expect(visitor.getByRole('heading', { name: 'app callback' })).toBeVisible();
    const arrival = await app.arrival(callback);
    expectCode(arrival, first.checks, base);
    const { userinfo } = await rp.redeem(arrival, first.checks);
    expect(userinfo.preferred_username).toBe(user);

    // A new version: the next sign-in asks for it before going back to the app.
    const v2 = unique(testInfo, 'v2');
    await setTerms(page, testInfo, TERMS, v2);
    await context.clearCookies();
    const second = await rp.authorizationUrl();
    await visitor.goto(second.url);
    await signInHere(visitor, testInfo, user, password);
    await expect(visitor).toHaveURL(/\/login\/terms\?return_to=/);
    await ready(visitor, testInfo);
    await expect(visitor.getByText(`(version ${v2})`)).toBeVisible();
    await expectAccessible(visitor, 'terms of use at sign-in');
    await visitor.getByLabel(/I have read and accept the terms of use/).check();
    await visitor.getByRole('button', { name: 'Continue' }).click();
    const consent = visitor.getByTestId('consent-client');
    const done = visitor.getByRole('heading', { name: 'app callback' });
    await expect(consent.or(done)).toBeVisible();
    if (await consent.isVisible()) await decide(visitor, testInfo, name, 'Allow');
    await expect(done).toBeVisible();
    const back = await app.arrival(callback, 1);
    expectCode(back, second.checks, base);
    const { userinfo: again } = await rp.redeem(back, second.checks);
    expect(again.preferred_username).toBe(user);
  } finally {
    // Never leave terms in force for the specs that follow.
    await setTerms(page, testInfo, '', '');
    await context.close();
  }
});
