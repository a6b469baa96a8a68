import { expect, test } from '@playwright/test';
import { addDeveloper, DEV_PASSWORD, expectAccessible, expectFitsWidth, failOnPageErrors, goto, ready, signIn, unique } from './helpers';
import { createUser, decide, expectCode, ISSUER, Listener, RelyingParty, signInHere } from './rp';

// Issue 13, "usage for developers": the client page shows who allowed the app and
// its tokens per day, from what the server keeps. A developer registers an app in
// the portal; a person is sent to it by the app (openid-client) from a signed-out
// browser and allows it; the developer's page then counts one person and one
// token today, in a chart that works without JavaScript, and the app's refused
// token requests (an old secret, a code sent twice) with what each means.

failOnPageErrors();

let app: Listener;
test.beforeAll(async () => {
  app = await Listener.start();
});
test.afterAll(async () => {
  await app.stop();
});

test('a client page shows the people who allowed the app and its tokens per day', async ({ page, browser }, testInfo) => {
  const dev = unique(testInfo, 'dev-usage');
  addDeveloper(dev);
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer/clients/new');
  const name = `Usage ${testInfo.project.name} ${Date.now() % 100000}`;
  const callback = app.callback(testInfo, 'usage');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Redirect URIs', { exact: true }).fill(callback);
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('client-name')).toHaveText(name);
  const id = (await page.getByTestId('client-id').textContent())!;
  const secret = await page.getByTestId('secret-value').inputValue();
  const clientUrl = new URL(page.url()).pathname;

  // Nothing yet: an empty state, not an empty chart.
  const usage = page.getByTestId('usage');
  await expect(usage.getByTestId('usage-people')).toHaveText('0');
  await expect(usage.getByTestId('usage-empty')).toContainText('No tokens in the last 30 days');
  await expect(usage.getByTestId('usage-chart')).toHaveCount(0);

  // A person the app sends here, signed out, allows it; the app gets its tokens.
  const person = createUser(testInfo, 'usage-person');
  const context = await browser.newContext({ javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  try {
    const visitor = await context.newPage();
    const rp = await RelyingParty.discover({ id, secret }, callback);
    const { url, checks } = await rp.authorizationUrl({ scope: 'openid' });
    await visitor.goto(url);
    await signInHere(visitor, testInfo, person);
    await decide(visitor, testInfo, name, 'Allow');
    await expect(visitor.getByRole('heading', { name: 'app callback' })).toBeVisible();
    const arrival = await app.arrival(callback);
    expectCode(arrival, checks);
    await rp.redeem(arrival, checks);
    // The app then errs twice: it sends its old secret once, and the same code again.
    const token = (auth: string, form: Record<string, string>) => fetch(new URL('/oauth/token', ISSUER), {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    expect((await token(`${id}:an-old-secret`, { grant_type: 'client_credentials' })).status).toBe(401);
    const replay = await token(`${id}:${secret}`, {
      grant_type: 'authorization_code', code: arrival.searchParams.get('code')!, redirect_uri: callback,
      code_verifier: 'a'.repeat(43),
    });
    expect(replay.status).toBe(400);
  } finally {
    await context.close();
  }

  // The developer's page now counts them: today's bar holds the one token.
  await goto(page, testInfo, clientUrl);
  await expect(usage.getByTestId('usage-people')).toHaveText('1');
  await expect(usage.getByTestId('usage-issued')).toHaveText('1');
  await expect(usage.getByTestId('usage-last')).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  // The code presented again is a replay; both refusals are listed with what they mean.
  await expect(usage.getByTestId('usage-refused')).toHaveText('1');
  await expect(usage.getByTestId('usage-failed')).toHaveText('2');
  const failures = usage.getByTestId('usage-failure');
  await expect(failures).toHaveCount(2);
  await expect(usage.locator('[data-code="invalid_client"]')).toContainText('1 × invalid_client');
  await expect(usage.locator('[data-code="invalid_client"]')).toContainText('a wrong or old secret');
  await expect(usage.locator('[data-code="invalid_grant"]')).toContainText('already used');
  const bars = usage.getByTestId('usage-bar');
  await expect(bars).toHaveCount(30);
  const today = new Date().toISOString().slice(0, 10);
  await expect(bars.last()).toHaveAttribute('data-date', today);
  await expect(bars.last()).toHaveAttribute('data-count', '1');
  await expect(usage.getByTestId('usage-chart')).toHaveAttribute('aria-label', /1 in all/);
  // The numbers behind the chart, one click away (a <details>, also without JavaScript).
  await usage.getByText('Show the numbers').click();
  await expect(usage.getByTestId('usage-table').locator('tbody tr')).toHaveCount(1);
  await expect(usage.getByTestId('usage-table')).toContainText(today);
  await ready(page, testInfo);
  await expectAccessible(page, 'the client page with usage');
  await page.setViewportSize({ width: 390, height: 844 });
  await expectFitsWidth(page, 'the client page with usage at 390 px');
});
