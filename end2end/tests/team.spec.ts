import { expect, Page, test, TestInfo } from '@playwright/test';
import { addDeveloper, DEV_PASSWORD, expectAccessible, expectFitsWidth, failOnPageErrors, goto, signIn, unique } from './helpers';

// Issue 13, teams: a client belongs to a team, not one person. Its owner adds a
// co-owner, who then finds the client among their own and manages it but cannot
// delete it or change the team; the owner hands the client over, and it becomes
// the other developer's only when they accept, the former owner staying on as a
// co-owner. Hydrated and with JavaScript off.

failOnPageErrors();

async function register(page: Page, testInfo: TestInfo, name: string): Promise<string> {
  await goto(page, testInfo, '/developer/clients/new');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://team.example.edu/callback');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('client-name')).toHaveText(name);
  return new URL(page.url()).pathname;
}

test('an owner adds a co-owner and hands the client over; the other developer accepts', async ({ page, browser }, testInfo) => {
  const owner = unique(testInfo, 'team-owner');
  const other = unique(testInfo, 'team-other');
  addDeveloper(owner);
  addDeveloper(other);
  await signIn(page, testInfo, owner, DEV_PASSWORD);
  const name = `Team ${testInfo.project.name} ${Date.now() % 100000}`;
  const clientUrl = await register(page, testInfo, name);

  // Alone at first: the owner, and a form to add someone.
  const team = page.locator('#team');
  await expect(team.getByTestId('member')).toHaveCount(1);
  await expect(team.getByTestId('member').first()).toHaveAttribute('data-role', 'owner');

  // Nobody by that name: said beside the field, nothing added, the text kept.
  await team.getByLabel("A developer's username or e-mail address").fill('nobody-by-this-name');
  await team.getByRole('button', { name: 'Add co-owner' }).click();
  await expect(team.getByRole('alert').filter({ hasText: 'no developer has that username or e-mail address' })).toBeVisible();
  await expect(team.getByTestId('member')).toHaveCount(1);

  // By e-mail address.
  await team.getByLabel("A developer's username or e-mail address").fill(`${other}@example.edu`);
  await team.getByRole('button', { name: 'Add co-owner' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'co-owner was added' })).toBeVisible();
  await expect(team.getByTestId('member')).toHaveCount(2);
  await expect(team.getByTestId('member').nth(1)).toHaveAttribute('data-role', 'co_owner');
  await expect(team.getByTestId('member').nth(1)).toContainText(`@${other}`);
  await expectAccessible(page);

  // The co-owner finds the client among theirs and may change it, not end it.
  const context = await browser.newContext({ javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  try {
    const them = await context.newPage();
    await signIn(them, testInfo, other, DEV_PASSWORD);
    await goto(them, testInfo, '/developer');
    await them.getByRole('link', { name }).click();
    await expect(them.getByTestId('client-name')).toHaveText(name);
    await expect(them.getByRole('button', { name: 'Rotate secret' })).toBeVisible();
    await expect(them.getByRole('button', { name: 'Delete client permanently' })).toHaveCount(0);
    await expect(them.getByRole('button', { name: 'Add co-owner' })).toHaveCount(0);
    await expect(them.getByText("Only the client's owner can hand it over or delete it.")).toBeVisible();
    await expectAccessible(them);
    await them.setViewportSize({ width: 390, height: 844 });
    await expectFitsWidth(them);
    await them.setViewportSize({ width: 1280, height: 800 });

    // The owner offers the client; it stays theirs until the other accepts.
    await goto(page, testInfo, clientUrl);
    await page.getByLabel("New owner's username or e-mail address").fill(other);
    await page.getByLabel('I understand that the client becomes theirs once they accept.').check();
    await page.getByRole('button', { name: 'Offer the client' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'The offer was sent' })).toBeVisible();
    await expect(page.getByTestId('offer-waiting')).toContainText('Offered to');
    await expect(team.getByTestId('member').first()).toContainText(`@${owner}`);

    // The other developer accepts it from their list.
    await goto(them, testInfo, '/developer');
    const offer = them.getByTestId('offer').filter({ hasText: name });
    await expect(offer).toHaveCount(1);
    await expectAccessible(them);
    await offer.getByRole('button', { name: `Accept ${name}` }).click();
    await expect(them.getByRole('status').filter({ hasText: 'The client is yours now' })).toBeVisible();
    await expect(them.getByTestId('client-name')).toHaveText(name);
    const theirTeam = them.locator('#team');
    await expect(theirTeam.getByTestId('member').first()).toHaveAttribute('data-role', 'owner');
    await expect(theirTeam.getByTestId('member').first()).toContainText(`@${other}`);
    await expect(theirTeam.getByTestId('member').nth(1)).toContainText(`@${owner}`);
    await expect(them.getByRole('button', { name: 'Delete client permanently' })).toBeVisible();
    await goto(them, testInfo, '/developer');
    await expect(them.getByTestId('offer')).toHaveCount(0);

    // The former owner is a co-owner now: told, and no longer able to delete it.
    await goto(page, testInfo, clientUrl);
    await expect(page.getByRole('button', { name: 'Delete client permanently' })).toHaveCount(0);
    await expect(team.getByTestId('member').nth(1)).toContainText(`@${owner}`);
    await goto(page, testInfo, '/notifications');
    await expect(page.getByText(`owns "${name}" now`)).toBeVisible();

    // The new owner removes them (confirmed); the client leaves their list.
    await goto(them, testInfo, clientUrl);
    const row = theirTeam.getByTestId('member').nth(1);
    await row.getByLabel('They can no longer manage it').check();
    await row.getByRole('button', { name: /^Remove / }).click();
    await expect(them.getByRole('status').filter({ hasText: 'co-owner was removed' })).toBeVisible();
    await expect(theirTeam.getByTestId('member')).toHaveCount(1);
    await goto(page, testInfo, '/developer');
    await expect(page.getByRole('link', { name })).toHaveCount(0);
  } finally {
    await context.close();
  }
});
