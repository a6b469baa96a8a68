import { expect, Page, test, TestInfo } from '@playwright/test';
import { ADMIN_PASSWORD, goto, ready, signIn } from './helpers';
import { cli, decide, expectCode, Listener, registerClient, RelyingParty, signInHere } from './rp';

// Specs that change server-wide settings. They run on their own, after every other
// spec (projects "…-alone" in playwright.config.ts): a switch turned off here would
// break the flows of specs running beside them.

let app: Listener;
test.beforeAll(async () => {
  app = await Listener.start();
});
test.afterAll(async () => {
  await app.stop();
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
  const client = registerClient(name, callback);
  const rp = await RelyingParty.discover(client, callback);
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
    expectCode(arrival, checks);
    await rp.redeem(arrival, checks);
  } finally {
    // Never leave the switch off for the other specs.
    cli(['third-party-oauth', 'on']);
    await context.close();
  }
});
