import { expect, test } from '@playwright/test';
import { addDeveloper, DEV_PASSWORD, failOnPageErrors, goto, ready, signIn, unique } from './helpers';

// Issue 13, defect 9: after a rotation the client page lists the secrets that
// still work — created, when each stops working, when each was last used — and
// revokes the old one early, confirmed. The only working secret has no revoke button.

failOnPageErrors();

test('after a rotation both secrets are listed and the old one is revoked when confirmed', async ({ page }, testInfo) => {
  const dev = unique(testInfo, 'dev-secrets');
  addDeveloper(dev);
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer/clients/new');
  await page.getByLabel('Name', { exact: true }).fill(`Secrets ${testInfo.project.name} ${Date.now() % 100000}`);
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://app.example.edu/callback');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('client-id')).toBeVisible();
  const clientUrl = new URL(page.url()).pathname;
  await ready(page, testInfo);

  // One secret: nothing to revoke, it works until rotated.
  const list = page.getByTestId('secrets');
  await expect(list.getByTestId('secret')).toHaveCount(1);
  await expect(list.getByTestId('secret-expires')).toHaveText('When rotated');
  await expect(list.getByTestId('secret-last-used')).toHaveText('Never');
  await expect(page.getByRole('button', { name: 'Revoke this secret' })).toHaveCount(0);

  // Rotate with a day's overlap: two secrets, the previous one ends in a day.
  await page.getByLabel('The old secret keeps working for').selectOption('24h');
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await expect(page.getByTestId('secret-once')).toBeVisible();
  await ready(page, testInfo);
  await expect(list.getByTestId('secret')).toHaveCount(2);
  const previous = list.getByTestId('secret').filter({ hasText: 'Previous secret' });
  await expect(previous.getByTestId('secret-expires')).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  await expect(list.getByTestId('secret').filter({ hasText: 'Newest secret' }).getByTestId('secret-expires')).toHaveText('When rotated');

  // Unticked, the browser refuses to send the form; nothing changes.
  const revoke = previous.getByRole('button', { name: 'Revoke this secret' });
  const confirm = previous.getByLabel('It stops working at once');
  await revoke.click();
  expect(await confirm.evaluate((e) => (e as HTMLInputElement).validity.valueMissing)).toBe(true);
  await goto(page, testInfo, clientUrl);
  await expect(list.getByTestId('secret')).toHaveCount(2);

  // Ticked: revoked at once, and the page shows what the server now has.
  await confirm.check();
  await revoke.click();
  await expect(page.getByRole('status').filter({ hasText: 'The secret was revoked' })).toBeVisible();
  await expect(list.getByTestId('secret')).toHaveCount(1);
  await expect(list.getByTestId('secret')).toContainText('Newest secret');
  await expect(page.getByRole('button', { name: 'Revoke this secret' })).toHaveCount(0);
});
