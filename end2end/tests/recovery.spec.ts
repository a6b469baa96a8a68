// Issue 15: recovery and verification in the browser, hydrated and without
// JavaScript. Mail reaches a real SMTP listener (tests/smtp_sink.cjs, started
// beside the server by playwright.config.ts); the spec reads it and follows the
// link as the person would.
import { expect, test } from '@playwright/test';
import { mailSink } from '../playwright.config';
import { cli, failOnPageErrors, goto, ready, signIn, submitSignIn, unique } from './helpers';

failOnPageErrors();

/** The `n`th message (from 1) delivered to `address`, as a mail client shows it. */
async function mailTo(address: string, n: number): Promise<string> {
  let got: { data: string }[] = [];
  await expect
    .poll(async () => {
      got = await (await fetch(`${mailSink}/mails?to=${encodeURIComponent(address)}`)).json();
      return got.length;
    }, { timeout: 20_000 })
    .toBeGreaterThanOrEqual(n);
  const data = got[n - 1].data;
  if (!/content-transfer-encoding: quoted-printable/i.test(data)) return data;
  return data
    .replace(/=\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** The path and query of the link to `path` in a mail. */
function linkIn(mail: string, path: string): string {
  const m = mail.match(new RegExp(`https?://\\S*${path}\\?token=[A-Za-z0-9_-]+`));
  expect(m, mail).not.toBeNull();
  const url = new URL(m![0]);
  return url.pathname + url.search;
}

test('a signed-out person resets a forgotten password through the mailed link', async ({ page }, testInfo) => {
  const name = unique(testInfo, 'forgetful');
  const old = 'the original long password 1';
  cli(['user', 'add', '--username', name, '--email', `${name}@example.edu`], old);

  await goto(page, testInfo, '/login');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await ready(page, testInfo);
  await page.getByLabel('Username or e-mail address').fill(`${name}@example.edu`);
  await page.getByRole('button', { name: 'Send me a link' }).click();
  await expect(page.getByRole('status')).toContainText('a link to choose a new password is on its way');

  const link = linkIn(await mailTo(`${name}@example.edu`, 1), '/reset-password');
  await goto(page, testInfo, link);
  await expect(page.getByTestId('reset-username')).toHaveText(name);
  // A guessable password is refused, saying why; the link still works after.
  await page.getByLabel('New password', { exact: true }).fill('password1234');
  await page.getByLabel('Repeat the new password').fill('password1234');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await expect(page.locator('#f-password-error')).toContainText('too easy to guess');
  await ready(page, testInfo);
  const fresh = 'marmalade compass tundra 5';
  await page.getByLabel('New password', { exact: true }).fill(fresh);
  await page.getByLabel('Repeat the new password').fill(fresh);
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await expect(page.getByRole('status')).toContainText('Your password was changed');

  // The old password fails; the new one signs in.
  await submitSignIn(page, testInfo, name, old);
  await expect(page.getByTestId('form-error')).toHaveText('Incorrect username or password.');
  await signIn(page, testInfo, name, fresh);

  // The link worked once.
  await goto(page, testInfo, link);
  await expect(page.getByTestId('link-error')).toContainText('invalid or has expired');
});

test('a new account confirms its e-mail address through the mailed link', async ({ page }, testInfo) => {
  const name = unique(testInfo, 'newbie');
  const password = 'orchard velvet kettle 9';
  await goto(page, testInfo, '/signup');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('E-mail').fill(`${name}@example.edu`);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/login/);
  await signIn(page, testInfo, name, password);
  await expect(page.getByTestId('unverified-banner')).toContainText(`${name}@example.edu`);

  const link = linkIn(await mailTo(`${name}@example.edu`, 1), '/verify-email');
  await goto(page, testInfo, link);
  await page.getByRole('button', { name: 'Confirm my address' }).click();
  await expect(page.getByRole('status')).toContainText('your e-mail address is verified');
  await expect(page.getByTestId('unverified-banner')).toHaveCount(0);
  await goto(page, testInfo, '/');
  await expect(page.getByTestId('unverified-banner')).toHaveCount(0);
});
