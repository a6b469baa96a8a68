import { expect, test } from '@playwright/test';
import { addDeveloper, DEV_PASSWORD, expectAccessible, failOnPageErrors, goto, ready, signIn, unique } from './helpers';

// Issue 13, defect 4: a form with several mistakes shows all of them at once,
// each beside its field and in a summary at the top that links to the fields;
// hydrated, focus moves to the first field in error; without JavaScript the form
// comes back with what the person typed, not empty.

failOnPageErrors();

test('the register form shows every error at once and keeps what was typed', async ({ page }, testInfo) => {
  const dev = unique(testInfo, 'formdev');
  addDeveloper(dev);
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer/clients/new');

  // The bounds are in the markup.
  await expect(page.locator('#f-name')).toHaveAttribute('required', '');
  await expect(page.locator('#f-name')).toHaveAttribute('maxlength', /^\d+$/);
  await expect(page.locator('#f-redirect_uris')).toHaveAttribute('maxlength', /^\d+$/);

  // Four mistakes the browser cannot see (it checks only required and URL syntax).
  await page.getByLabel('Name', { exact: true }).fill('   ');
  await page.getByLabel('Description').fill('Keeps this text');
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://*.example.com/cb');
  await page.getByLabel('Client credentials (web clients)').check();
  await page.getByLabel('Logo URI').fill('http://insecure.example.com/logo.png');
  await page.getByLabel('Contacts').fill('nobody');
  await page.getByRole('button', { name: 'Register' }).click();

  const summary = page.getByTestId('error-summary');
  await expect(summary).toBeVisible();
  await expect(summary).toHaveAttribute('role', 'alert');
  await expect(summary).toContainText('4 fields need correcting');
  await ready(page, testInfo);
  const links = summary.getByRole('link');
  await expect(links).toHaveCount(4);
  expect(await links.evaluateAll((as) => as.map((a) => a.getAttribute('href'))))
    .toEqual(['#f-name', '#f-redirect_uris', '#f-logo_uri', '#f-contacts']);
  for (const id of ['name', 'redirect_uris', 'logo_uri', 'contacts']) {
    await expect(page.locator(`#f-${id}`)).toHaveAttribute('aria-invalid', 'true');
    await expect(page.locator(`#f-${id}-error`)).not.toBeEmpty();
  }
  await expect(page.locator('#f-redirect_uris-error')).toContainText('wildcard');
  await expect(page.locator('#f-name-error')).toContainText('Name must be');
  await expect(page.locator('#f-description')).not.toHaveAttribute('aria-invalid', 'true');
  if (testInfo.project.use.javaScriptEnabled !== false) {
    await expect(page.locator('#f-name')).toBeFocused();
  }

  // What was typed is still there, with and without JavaScript.
  await expect(page.getByLabel('Description')).toHaveValue('Keeps this text');
  await expect(page.getByLabel('Redirect URIs', { exact: true })).toHaveValue('https://*.example.com/cb');
  await expect(page.getByLabel('Client credentials (web clients)')).toBeChecked();
  await expect(page.getByLabel('Contacts')).toHaveValue('nobody');
  await expectAccessible(page);

  // Corrected, it registers.
  const name = `Forms ${testInfo.project.name} ${Date.now() % 100000}`;
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://app.example.edu/callback');
  await page.getByLabel('Logo URI').fill('https://app.example.edu/logo.png');
  await page.getByLabel('Contacts').fill(`${dev}@example.edu`);
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('client-name')).toHaveText(name);
  await ready(page, testInfo);

  // The edit form too: two mistakes at once, what was typed kept.
  const clientUrl = new URL(page.url()).pathname;
  await goto(page, testInfo, `${clientUrl}/edit`);
  await page.getByLabel('Name', { exact: true }).fill('   ');
  await page.getByLabel('Description').fill('Edited text');
  await page.getByLabel('Home page URI').fill('http://insecure.example.com/');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('error-summary')).toContainText('2 fields need correcting');
  await expect(page.locator('#f-client_uri-error')).not.toBeEmpty();
  await expect(page.getByLabel('Description')).toHaveValue('Edited text');
  await expect(page.getByLabel('Home page URI')).toHaveValue('http://insecure.example.com/');
});

test('a refused sign-up keeps the name and address typed, never the passwords', async ({ page }, testInfo) => {
  await goto(page, testInfo, '/signup');
  const user = unique(testInfo, 'keep');
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('E-mail').fill(`${user}@example.edu`);
  await page.getByLabel('Display name').fill('Kept Name');
  await page.getByLabel('Password', { exact: true }).fill('a long new password');
  await page.getByLabel('Repeat the password').fill('another long password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#f-password_confirm-error')).toContainText('do not match');
  await ready(page, testInfo);
  await expect(page.getByLabel('Username')).toHaveValue(user);
  await expect(page.getByLabel('E-mail')).toHaveValue(`${user}@example.edu`);
  await expect(page.getByLabel('Display name')).toHaveValue('Kept Name');
  if (testInfo.project.use.javaScriptEnabled === false) {
    // A new page: the passwords never travel back (it/accounts.rs checks the reply).
    await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
  }
  await expectAccessible(page, 'sign-up with an error');
});
