import { expect, test } from '@playwright/test';
import { addDeveloper, cli, DEV_PASSWORD, goto, ready, signIn, unique } from './helpers';

// Issue 13, defect 2: a scope that needs no approval is the developer's to add, at
// once and without a justification; asked together with a gated scope it is added
// all the same, and only the gated one waits (and needs a justification).

test('free scopes are added at once; only gated ones wait and need a justification', async ({ page }, testInfo) => {
  const dev = unique(testInfo, 'dev-free');
  addDeveloper(dev);
  const api = `https://api.example.edu/${unique(testInfo, 'free')}`;
  const gated = `${unique(testInfo, 'free')}:write`;
  cli(['api', 'add', '--name', 'Free', '--audience', api]);
  cli(['api', 'add-scope', '--api', api, '--name', gated, '--description', 'Write things', '--requires-approval']);

  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer/clients/new');
  const name = `Free ${testInfo.project.name} ${Date.now() % 100000}`;
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://app.example.edu/callback');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('client-name')).toHaveText(name);
  await ready(page, testInfo);
  const scopes = page.getByTestId('client-scopes');

  // The form says when the justification is needed.
  await expect(page.getByTestId('justification-hint')).toContainText('Required only for scopes that need approval');

  // `profile` needs no approval: no justification, added at once.
  await page.getByRole('checkbox', { name: /^profile —/ }).check();
  await page.getByRole('button', { name: 'Add or request scopes' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The scopes were added' })).toBeVisible();
  await expect(scopes).toContainText('profile');
  await ready(page, testInfo);

  // A free scope with a gated one and no justification: refused beside the field,
  // nothing added.
  await page.getByRole('checkbox', { name: /^email —/ }).check();
  await page.getByRole('checkbox', { name: new RegExp(`^${gated} —`) }).check();
  await page.getByRole('button', { name: 'Add or request scopes' }).click();
  await expect(page.getByText(`explain what the client needs ${gated} for`).first()).toBeVisible();
  await ready(page, testInfo);
  await expect(scopes).not.toContainText('email');

  // With one: the free scope is added, the gated one waits for an administrator.
  await page.getByRole('checkbox', { name: /^email —/ }).check();
  await page.getByRole('checkbox', { name: new RegExp(`^${gated} —`) }).check();
  await page.getByLabel('Why does the client need them?').fill('We write grades back');
  await page.getByRole('button', { name: 'Add or request scopes' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'the others were sent to the administrators' })).toBeVisible();
  await expect(scopes).toContainText('email');
  await expect(scopes).not.toContainText(gated);
  const pending = page.getByTestId('request').and(page.locator('[data-status="pending"]'));
  await expect(pending).toHaveCount(1);
  await expect(pending).toContainText(gated);
  await expect(pending).not.toContainText('email');
});
