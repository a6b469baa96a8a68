import { expect, test } from '@playwright/test';
import { addDeveloper, DEV_PASSWORD, goto, ready, signIn, unique } from './helpers';

// Issue 11, M4: the edit form carries the version of the client it was rendered
// with. Saved after someone else changed the client, it is refused with a clear
// message instead of writing the old values back — hydrated and without JavaScript.

test('an edit form opened before someone else saved is refused, not applied', async ({ page }, testInfo) => {
  const dev = unique(testInfo, 'editor');
  addDeveloper(dev);
  const name = `Stale ${testInfo.project.name} ${Date.now() % 100000}`;
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer/clients/new');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://app.example.edu/callback');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('client-name')).toHaveText(name);
  const clientUrl = new URL(page.url()).pathname;

  // This form is rendered now…
  await goto(page, testInfo, `${clientUrl}/edit`);
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(name);

  // …then the client changes in another tab.
  const other = await page.context().newPage();
  await goto(other, testInfo, `${clientUrl}/edit`);
  await other.getByLabel('Description', { exact: true }).fill('Changed in another tab');
  await other.getByRole('button', { name: 'Save' }).click();
  await expect(other.getByRole('status').filter({ hasText: 'The client was updated.' })).toBeVisible();
  await other.close();

  // Saving the first form is refused with a message, and changes nothing.
  await page.getByLabel('Name', { exact: true }).fill(`${name} renamed`);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('form-error')).toContainText('changed by someone else');
  await ready(page, testInfo);
  await goto(page, testInfo, clientUrl);
  await expect(page.getByTestId('client-name')).toHaveText(name);
  await expect(page.getByText('Changed in another tab')).toBeVisible();
});
