import { expect, Page, TestInfo } from '@playwright/test';

export const ADMIN_PASSWORD = 'e2e admin password 42';

/** Waits until the page is interactive: hydrated with JS, loaded without. */
export async function ready(page: Page, testInfo: TestInfo) {
  if (testInfo.project.use.javaScriptEnabled !== false) {
    await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
  }
}

export async function goto(page: Page, testInfo: TestInfo, url: string) {
  await page.goto(url);
  await ready(page, testInfo);
}

export async function submitSignIn(page: Page, testInfo: TestInfo, username: string, password: string) {
  await goto(page, testInfo, '/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs in and waits until the header shows the signed-in user. */
export async function signIn(page: Page, testInfo: TestInfo, username: string, password: string) {
  await submitSignIn(page, testInfo, username, password);
  await expect(page.getByTestId('whoami')).toBeVisible();
  await ready(page, testInfo);
}

/** A name unique to this project and run, so the two projects never collide. */
export function unique(testInfo: TestInfo, stem: string) {
  return `${stem}-${testInfo.project.name}-${Date.now() % 100000}`.toLowerCase();
}
