import { expect, test } from '@playwright/test';
import { addDeveloper, ADMIN_PASSWORD, cli, DEV_PASSWORD, failOnPageErrors, goto, ready, signIn, unique } from './helpers';

// Issue 13, defect 5: disabling a client, or an administrator disabling an
// account, stops it at once. It is never one plain click: it sits in the danger
// zone (for a client), says what happens, and wants a ticked box (a check the
// browser makes without JavaScript; the server checks it too). And (issue 15) an
// administrator's change of a person's address leaves it unverified.

failOnPageErrors();

test('disabling a client is confirmed in the danger zone, and says what happens', async ({ page }, testInfo) => {
  const dev = unique(testInfo, 'dev-disable');
  addDeveloper(dev);
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer/clients/new');
  await page.getByLabel('Name', { exact: true }).fill(`Disable ${testInfo.project.name} ${Date.now() % 100000}`);
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://app.example.edu/callback');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('client-id')).toBeVisible();
  const clientUrl = new URL(page.url()).pathname;
  await ready(page, testInfo);

  // The only way to disable it is in the danger zone, which says what happens.
  await expect(page.getByRole('button', { name: 'Disable client' })).toHaveCount(1);
  const danger = page.getByRole('region', { name: 'Danger zone' });
  const disable = danger.getByRole('button', { name: 'Disable client' });
  await expect(disable).toBeVisible();
  await expect(danger.getByTestId('disable-effects')).toContainText('refresh tokens stop working at once');
  await expect(danger.getByTestId('disable-effects')).toContainText("Enabling it again needs an administrator's approval");

  // One click does nothing: the box is not ticked.
  const confirm = danger.getByLabel('I understand that the client stops working at once.');
  await expect(confirm).not.toBeChecked();
  await disable.click();
  expect(await confirm.evaluate((e) => (e as HTMLInputElement).validity.valueMissing)).toBe(true);
  await goto(page, testInfo, clientUrl);
  await expect(page.getByTestId('client-status')).toHaveText('Active');

  // Ticked, it is disabled; enabling it again is a request, outside the danger zone.
  await confirm.check();
  await disable.click();
  await expect(page.getByRole('status').filter({ hasText: 'The client was disabled.' })).toBeVisible();
  await expect(page.getByTestId('client-status')).toHaveText('Disabled');
  await ready(page, testInfo);
  await expect(danger.getByRole('button', { name: 'Disable client' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Enable client' })).toBeVisible();
  await expect(danger.getByRole('button', { name: 'Enable client' })).toHaveCount(0);
});

test('an administrator disabling an account confirms it first', async ({ page }, testInfo) => {
  const user = unique(testInfo, 'user-disable');
  cli(['user', 'add', '--username', user, '--email', `${user}@example.edu`, '--role', 'user'], DEV_PASSWORD);
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  const list = `/admin/users?search=${encodeURIComponent(user)}`;
  await goto(page, testInfo, list);
  const row = page.getByTestId(`user-${user}`);
  await expect(row).toContainText('Active');

  // The button opens the confirmation; it says what happens.
  await expect(row.getByRole('button', { name: 'Disable account' })).toBeHidden();
  await row.getByText('Disable…').click();
  await expect(row.getByRole('button', { name: 'Disable account' })).toBeVisible();
  await expect(row).toContainText('out everywhere at once');

  // Unticked, nothing happens.
  const confirm = row.getByLabel(`I understand that ${user} loses access at once.`);
  await row.getByRole('button', { name: 'Disable account' }).click();
  expect(await confirm.evaluate((e) => (e as HTMLInputElement).validity.valueMissing)).toBe(true);
  await goto(page, testInfo, list);
  await expect(row).toContainText('Active');

  // Ticked, the account is disabled; enabling it again is one click.
  await row.getByText('Disable…').click();
  await confirm.check();
  await row.getByRole('button', { name: 'Disable account' }).click();
  await expect(row).toContainText('Disabled');
  await ready(page, testInfo);
  await expect(row.getByRole('button', { name: `Enable ${user}` })).toBeVisible();
});

test("an administrator changes a person's e-mail address, which stays unverified until its link is opened", async ({ page }, testInfo) => {
  const person = unique(testInfo, 'moved');
  addDeveloper(person);
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(page, testInfo, `/admin/users?search=${person}`);
  const row = page.getByTestId(`user-${person}`);
  await expect(row).toContainText(`${person}@example.edu`);
  await row.getByTestId('change-email').getByText('Change…').click();
  const newAddress = `${person}@new.example.org`;
  await row.getByLabel(`New e-mail address of ${person}`).fill(newAddress);
  await row.getByRole('button', { name: 'Change address' }).click();
  await expect(page.getByTestId(`user-${person}`)).toContainText(newAddress);
  await expect(page.getByTestId(`user-${person}`).getByTestId('email-verified')).toHaveText('not verified');
});
