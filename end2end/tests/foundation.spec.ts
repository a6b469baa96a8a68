import { expect, test } from '@playwright/test';
import { ADMIN_PASSWORD, goto, ready, signIn, submitSignIn, unique } from './helpers';

test('an administrator signs in, sees the admin navigation and signs out', async ({ page }, testInfo) => {
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await expect(page.getByTestId('whoami')).toContainText('Administrator');
  await expect(page.getByRole('heading', { name: 'Welcome, Administrator' })).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Admin' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Developer' })).toBeVisible();

  await nav.getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('link', { name: /Users/ }).click();
  await expect(page.getByTestId('user-admin')).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('status')).toHaveText('You have been signed out.');
  await expect(page.getByTestId('whoami')).toHaveCount(0);
});

test('a wrong password shows a clear error and does not sign in', async ({ page }, testInfo) => {
  await submitSignIn(page, testInfo, 'admin', 'definitely not it');
  await expect(page.getByTestId('form-error')).toHaveText('Incorrect username or password.');
  await expect(page.getByTestId('whoami')).toHaveCount(0);
  await expect(page).toHaveURL(/\/login/);
});

test('an administrator creates a developer, who then sees the developer navigation only', async ({ page, browser }, testInfo) => {
  const name = unique(testInfo, 'dev');
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(page, testInfo, '/admin/users');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('E-mail', { exact: true }).fill(`${name}@example.edu`);
  await page.getByLabel('Display name').fill('Dana Developer');
  await page.getByLabel('Initial password').fill('a long initial password');
  await page.getByLabel('Role', { exact: true }).selectOption('user');
  await page.getByRole('button', { name: 'Create user' }).click();
  const row = page.getByTestId(`user-${name}`);
  await expect(row).toBeVisible();

  // Promote to developer from the list.
  await ready(page, testInfo);
  await row.getByLabel(`Role of ${name}`).selectOption('developer');
  await row.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId(`user-${name}`).getByLabel(`Role of ${name}`)).toHaveValue('developer');

  const context = await browser.newContext({ javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  const other = await context.newPage();
  await signIn(other, testInfo, name, 'a long initial password');
  await expect(other.getByTestId('whoami')).toContainText('Dana Developer');
  const nav = other.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Developer' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await context.close();
});

test('a user form with bad input shows the reason next to the field', async ({ page }, testInfo) => {
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(page, testInfo, '/admin/users');
  await page.getByLabel('Username').fill(unique(testInfo, 'shorty'));
  await page.getByLabel('E-mail', { exact: true }).fill('shorty@example.edu');
  await page.getByLabel('Initial password').fill('short');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.locator('#f-password-error')).toHaveText('Password must be at least 10 characters long.');
});

test('an unknown address shows the not-found page', async ({ page }, testInfo) => {
  const resp = await page.goto('/no/such/page');
  expect(resp?.status()).toBe(404);
  await ready(page, testInfo);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

test('pages that need an account ask to sign in', async ({ page }, testInfo) => {
  await goto(page, testInfo, '/admin/users');
  await expect(page.getByRole('alert')).toContainText('Please sign in to continue.');
  await goto(page, testInfo, '/apps');
  await page.getByRole('link', { name: 'Sign in', exact: true }).last().click();
  await expect(page).toHaveURL(/\/login\?return_to=\/apps/);
});
