import { expect, Page, test } from '@playwright/test';
import { addDeveloper, DEV_PASSWORD, expectAccessible, failOnPageErrors, goto, ready, signIn, unique } from './helpers';

// Issue 17: the edit form covers seed 001's remaining WRITE fields — the maximum
// sign-in age, require auth_time and the token endpoint authentication method —
// hydrated and without JavaScript: saved values show on the client's page; a bad
// choice is shown beside its field with everything else typed kept.

failOnPageErrors();

function detail(page: Page, label: string) {
  return page.locator('dt', { hasText: label }).locator('xpath=following-sibling::dd');
}

test('the edit form sets the sign-in age, auth_time and the auth method, and shows errors beside them', async ({ page }, testInfo) => {
  const dev = unique(testInfo, 'fields');
  addDeveloper(dev);
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer/clients/new');
  const name = `Fields ${testInfo.project.name} ${Date.now() % 100000}`;
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://app.example.edu/callback');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('client-name')).toHaveText(name);
  const clientUrl = new URL(page.url()).pathname;
  await expect(detail(page, 'Maximum sign-in age')).toHaveText('no limit');

  // The bounds are in the markup.
  await goto(page, testInfo, `${clientUrl}/edit`);
  const maxAge = page.getByLabel('Maximum sign-in age (seconds; empty = no limit)');
  await expect(maxAge).toHaveAttribute('min', '60');
  await expect(maxAge).toHaveAttribute('max', '31536000');
  await expectAccessible(page);

  await maxAge.fill('3600');
  await page.getByLabel('JavaScript origins').fill('https://app.example.edu');
  await page.getByLabel('Require auth_time in ID tokens').check();
  await page.getByLabel('Token endpoint authentication').selectOption('client_secret_post');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The client was updated.' })).toBeVisible();
  await ready(page, testInfo);
  await expect(detail(page, 'Maximum sign-in age')).toHaveText('3600 seconds');
  await expect(detail(page, 'Require auth_time')).toHaveText('yes');
  await expect(detail(page, 'Token endpoint authentication')).toHaveText('client_secret_post');
  await expect(detail(page, 'JavaScript origins')).toContainText('https://app.example.edu');

  // Two mistakes at once: private_key_jwt without a JWKS URI, and a blank name.
  // Both show beside their fields; what was typed stays.
  await goto(page, testInfo, `${clientUrl}/edit`);
  await expect(maxAge).toHaveValue('3600');
  await expect(page.getByLabel('Require auth_time in ID tokens')).toBeChecked();
  await page.getByLabel('Name', { exact: true }).fill('   ');
  await maxAge.fill('7200');
  await page.getByLabel('Token endpoint authentication').selectOption('private_key_jwt');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('error-summary')).toContainText('2 fields need correcting');
  await expect(page.locator('#f-auth_method-error')).toContainText('jwks_uri');
  await expect(page.locator('#f-auth_method')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#f-name-error')).not.toBeEmpty();
  await expect(maxAge).toHaveValue('7200');
  await expect(page.getByLabel('Token endpoint authentication')).toHaveValue('private_key_jwt');
  await ready(page, testInfo);
  await goto(page, testInfo, clientUrl);
  await expect(detail(page, 'Maximum sign-in age')).toHaveText('3600 seconds');
  await expect(detail(page, 'Token endpoint authentication')).toHaveText('client_secret_post');

  // With a JWKS URI the switch applies; switching back says to rotate.
  await goto(page, testInfo, `${clientUrl}/edit`);
  await page.getByLabel('JWKS URI').fill('https://app.example.edu/jwks.json');
  await page.getByLabel('Token endpoint authentication').selectOption('private_key_jwt');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The client was updated.' })).toBeVisible();
  await ready(page, testInfo);
  await expect(detail(page, 'Token endpoint authentication')).toHaveText('private_key_jwt');
  await goto(page, testInfo, `${clientUrl}/edit`);
  await page.getByLabel('Token endpoint authentication').selectOption('client_secret_basic');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'has none yet' })).toBeVisible();
  await ready(page, testInfo);
  await expect(detail(page, 'Token endpoint authentication')).toHaveText('client_secret_basic');
});
