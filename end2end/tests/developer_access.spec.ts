import { expect, test } from '@playwright/test';
import { ADMIN_PASSWORD, cli, DEV_PASSWORD, expectAccessible, failOnPageErrors, goto, ready, signIn, unique } from './helpers';

// Issue 13: an end user at /developer is told how to become a developer and asks
// the administrators from there; the request waits in the approval queue, where
// it is rejected with a reason the person reads, asked again, and approved —
// after which the same page lists their apps.

failOnPageErrors();

test('a person asks for developer access from /developer and an administrator decides it', async ({ page, browser }, testInfo) => {
  test.setTimeout(120_000);
  const name = unique(testInfo, 'hopeful');
  cli(['user', 'add', '--username', name, '--email', `${name}@example.edu`, '--role', 'user'], DEV_PASSWORD);

  // Signed out, the page asks to sign in and comes back.
  await goto(page, testInfo, '/developer');
  await page.locator('main').getByRole('link', { name: 'Sign in', exact: true }).click();
  await ready(page, testInfo);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(DEV_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/developer$/);
  await ready(page, testInfo);
  const panel = page.getByTestId('become-developer');
  await expect(panel).toContainText('not a developer account yet');
  await expectAccessible(page);

  const plan = `A lab notebook (${name}) that signs students in.`;
  await panel.getByLabel('What will you build?').fill(plan);
  await panel.getByRole('button', { name: 'Ask for developer access' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'sent to the administrators' })).toBeVisible();
  await expect(page.getByTestId('developer-access-waiting')).toContainText(plan);
  // What the server has, after a reload too; no second form to send.
  await goto(page, testInfo, '/developer');
  await expect(page.getByTestId('developer-access-waiting')).toContainText(plan);
  await expect(page.getByRole('button', { name: 'Ask for developer access' })).toHaveCount(0);

  // An administrator rejects it with a reason.
  const context = await browser.newContext({ javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  const admin = await context.newPage();
  await signIn(admin, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(admin, testInfo, '/admin/requests');
  const card = admin.getByTestId('developer-request').filter({ hasText: name });
  await expect(card).toHaveCount(1);
  await expect(card.getByTestId('developer-plan')).toHaveText(plan);
  await expect(card).toContainText(`${name}@example.edu`);
  const because = 'Tell us which course it is for.';
  await card.getByLabel('Reason (required, sent to them)').fill(because);
  await card.getByRole('button', { name: 'Reject' }).click();
  await expect(admin.getByRole('status').filter({ hasText: 'rejected' })).toBeVisible();
  await expect(card).toHaveCount(0);

  // The person reads why and asks again.
  await goto(page, testInfo, '/developer');
  await expect(page.getByTestId('developer-access-declined')).toContainText(because);
  await page.getByLabel('What will you build?').fill(`${plan} For Physics 101.`);
  await page.getByRole('button', { name: 'Ask for developer access' }).click();
  await expect(page.getByTestId('developer-access-waiting')).toContainText('Physics 101');

  // Approved: the same page now lists their apps, and they register one.
  await goto(admin, testInfo, '/admin/requests');
  await expect(card).toHaveCount(1);
  await card.getByRole('button', { name: 'Approve' }).click();
  await expect(admin.getByRole('status').filter({ hasText: 'can register apps now' })).toBeVisible();
  await expect(card).toHaveCount(0);
  await context.close();

  await goto(page, testInfo, '/developer');
  await expect(page.getByRole('heading', { name: 'My clients' })).toBeVisible();
  await expect(page.getByTestId('become-developer')).toHaveCount(0);
  await page.getByTestId('empty-clients').getByRole('link', { name: 'Register a client' }).click();
  await ready(page, testInfo);
  await page.getByLabel('Name', { exact: true }).fill(`Notebook ${name}`);
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://notebook.example.edu/callback');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('client-id')).toBeVisible();
});
