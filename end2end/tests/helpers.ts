import { execFileSync } from 'child_process';
import { expect, Page, test, TestInfo } from '@playwright/test';
import { serverBin, serverEnv } from '../playwright.config';

export const ADMIN_PASSWORD = 'e2e admin password 42';
export const DEV_PASSWORD = 'developer password 42';

/** Runs the `portcullis` CLI against the test server's database. */
export function cli(args: string[], input?: string): string {
  return execFileSync(serverBin, args, { env: { ...process.env, ...serverEnv }, encoding: 'utf8', input });
}

/** Adds a developer account (password DEV_PASSWORD) through the CLI. */
export function addDeveloper(username: string) {
  cli(['user', 'add', '--username', username, '--email', `${username}@example.edu`, '--role', 'developer'], DEV_PASSWORD);
}

/**
 * Fails every test of the calling spec file on an error in the browser: a panic in
 * the browser bundle (e.g. a page rebuilt while it was still loading) stops every
 * later click from working.
 */
export function failOnPageErrors() {
  const pageErrors: string[] = [];
  test.beforeEach(({ page }) => {
    pageErrors.length = 0;
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  test.afterEach(() => {
    expect(pageErrors).toEqual([]);
  });
}

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
