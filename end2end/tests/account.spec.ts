// Issue 15, the account page: a signed-in person changes their own password and
// signs out their other sessions, hydrated and without JavaScript.
import { expect, test } from '@playwright/test';
import { cli, failOnPageErrors, goto, ready, signIn, submitSignIn, unique } from './helpers';

failOnPageErrors();

test('a person changes their password on the account page; the old one stops working', async ({ page }, testInfo) => {
  const name = unique(testInfo, 'changer');
  const old = 'the first long password 3';
  const fresh = 'saffron glacier piano 8';
  cli(['user', 'add', '--username', name, '--email', `${name}@example.edu`], old);
  await signIn(page, testInfo, name, old);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await ready(page, testInfo);
  await expect(page.getByTestId('account-username')).toHaveText(name);

  const form = page.getByTestId('password');
  // A guessable new password is refused beside its field, saying why.
  await form.getByLabel('Current password').fill(old);
  await form.getByLabel('New password', { exact: true }).fill('password1234');
  await form.getByLabel('Repeat the new password').fill('password1234');
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(page.locator('#f-new_password-error')).toContainText('too easy to guess');
  await ready(page, testInfo);

  await form.getByLabel('Current password').fill(old);
  await form.getByLabel('New password', { exact: true }).fill(fresh);
  await form.getByLabel('Repeat the new password').fill(fresh);
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('status')).toContainText('Your password was changed');
  await expect(page.getByTestId('whoami')).toBeAttached();

  // Sign out (the header's button), then the old password fails and the new one works.
  await goto(page, testInfo, '/');
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByTestId('whoami')).toHaveCount(0);
  await submitSignIn(page, testInfo, name, old);
  await expect(page.getByTestId('form-error')).toHaveText('Incorrect username or password.');
  await signIn(page, testInfo, name, fresh);
});

test('"Sign out everywhere else" signs the other browser out and keeps this one', async ({ page, browser }, testInfo) => {
  const name = unique(testInfo, 'roamer');
  const password = 'lagoon thimble cedar 4';
  cli(['user', 'add', '--username', name, '--email', `${name}@example.edu`], password);
  const context = await browser.newContext({ javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  const other = await context.newPage();
  await signIn(other, testInfo, name, password);
  await signIn(page, testInfo, name, password);

  await goto(page, testInfo, '/account');
  const sessions = page.getByTestId('sessions');
  await expect(sessions.getByTestId('session-current')).toHaveCount(1);
  await expect(sessions.getByTestId('session')).toHaveCount(1);
  // Asked first: the confirmation box is required.
  await sessions.getByLabel(/sign me out of my 1 other session/).check();
  await sessions.getByRole('button', { name: 'Sign out everywhere else' }).click();
  await expect(page.getByRole('status')).toContainText('You were signed out everywhere else.');
  await expect(page.getByTestId('sessions').getByTestId('session')).toHaveCount(0);
  await expect(page.getByTestId('whoami')).toBeAttached();

  await goto(other, testInfo, '/');
  await expect(other.getByTestId('whoami')).toHaveCount(0);
  await context.close();
});

test('a person gives their given and family names on the account page; they stay', async ({ page }, testInfo) => {
  const name = unique(testInfo, 'namer');
  const password = 'the first long password 3';
  cli(['user', 'add', '--username', name, '--email', `${name}@example.edu`], password);
  await signIn(page, testInfo, name, password);
  await goto(page, testInfo, '/account');
  const form = page.getByTestId('profile');
  await expect(form.getByLabel('Given name')).toHaveValue('');
  await form.getByLabel('Given name').fill('Grace');
  await form.getByLabel('Family name').fill('Hopper');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Your profile was saved');
  await goto(page, testInfo, '/account');
  await expect(form.getByLabel('Given name')).toHaveValue('Grace');
  await expect(form.getByLabel('Family name')).toHaveValue('Hopper');
  // A display name is still required: the error is beside it, what was typed kept.
  await form.getByLabel('Display name').fill(' ');
  await form.getByLabel('Given name').fill('Amazing Grace');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('#f-display_name-error')).not.toBeEmpty();
  await expect(form.getByLabel('Given name')).toHaveValue('Amazing Grace');
});
