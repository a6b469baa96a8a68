import { expect, test } from '@playwright/test';
import { addDeveloper, DEV_PASSWORD, expectAccessible, goto, signIn, unique } from './helpers';

// Issue 15: a developer makes a personal access token in the browser, copies it
// once, uses it from a script (here Playwright's request context, with no cookie)
// against the REST API, sees its last use, and revokes it — hydrated and with
// JavaScript off.

test('a developer makes a personal access token, a script uses it, and revoking it stops the script', async ({ page, playwright }, testInfo) => {
  const dev = unique(testInfo, 'pat');
  addDeveloper(dev);
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/account');
  await page.getByRole('link', { name: /Personal access tokens/ }).click();
  await expect(page).toHaveURL(/\/account\/tokens$/);
  await expect(page.getByTestId('no-personal-tokens')).toBeVisible();
  await expectAccessible(page, '/account/tokens empty');

  // Past the administrators' cap: the field's bound (max) stops it in the browser,
  // with or without JavaScript, and what was typed stays.
  const form = page.getByTestId('make-personal-token');
  await form.getByLabel('Name (what will use it)').fill('Deploy script');
  await form.getByLabel(/Expires after/).fill('400');
  await form.getByRole('button', { name: 'Make token' }).click();
  await expect(page.getByTestId('no-personal-tokens')).toBeVisible();
  await expect(form.getByLabel('Name (what will use it)')).toHaveValue('Deploy script');
  await form.getByLabel(/Expires after/).fill('7');
  await form.getByLabel('Only read (portal:read)').check();
  await form.getByRole('button', { name: 'Make token' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'copy it now' })).toBeVisible();
  const token = (await page.getByTestId('new-personal-token-value').textContent())!.trim();
  expect(token).toMatch(/^pcp_[A-Za-z0-9_-]{43}$/);
  const row = page.getByTestId('personal-token').filter({ hasText: 'Deploy script' });
  await expect(row).toContainText('read only');
  await expect(row).toContainText('never used');
  await expectAccessible(page, '/account/tokens with a token');

  // A script, with no browser session: reading works, writing is refused.
  const script = await playwright.request.newContext({ baseURL: page.url() });
  const headers = { authorization: `Bearer ${token}` };
  expect((await script.get('/api/v1/clients', { headers })).status()).toBe(200);
  const write = await script.post('/api/v1/clients', { headers, data: { name: 'From a script', application_type: 'service' } });
  expect(write.status()).toBe(403);
  expect((await write.json()).error).toBe('insufficient_scope');

  // Shown once: a reload no longer shows it; the row shows its use.
  await goto(page, testInfo, '/account/tokens');
  await expect(page.getByTestId('new-personal-token')).toHaveCount(0);
  await expect(page.getByTestId('personal-token').filter({ hasText: 'Deploy script' })).toContainText('last used');

  // Revoked, after confirming: the script is refused at once.
  const again = page.getByTestId('personal-token').filter({ hasText: 'Deploy script' });
  await again.getByText('Revoke…').click();
  await again.getByLabel(/whatever uses this token stops working/).check();
  await again.getByRole('button', { name: 'Revoke the token Deploy script' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The token was revoked' })).toBeVisible();
  await expect(page.getByTestId('no-personal-tokens')).toBeVisible();
  expect((await script.get('/api/v1/clients', { headers })).status()).toBe(401);
  await script.dispose();
});
