import { execFileSync } from 'child_process';
import { createHmac } from 'crypto';
import AxeBuilder from '@axe-core/playwright';
import { expect, Page, test, TestInfo } from '@playwright/test';
import { serverBin, serverEnv } from '../playwright.config';

export const ADMIN_PASSWORD = 'e2e admin password 42';
export const DEV_PASSWORD = 'developer password 42';

/** Runs the `portcullis` CLI against the test server's database (or another's settings). */
export function cli(args: string[], input?: string, env: Record<string, string> = serverEnv): string {
  return execFileSync(serverBin, args, { env: { ...process.env, ...env }, encoding: 'utf8', input });
}

/** Adds a developer account (password DEV_PASSWORD) through the CLI. */
export function addDeveloper(username: string, env: Record<string, string> = serverEnv) {
  cli(['user', 'add', '--username', username, '--email', `${username}@example.edu`, '--role', 'developer'], DEV_PASSWORD, env);
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

/**
 * Signs in and waits until the header has the signed-in user (in the folded menu
 * at phone width, so attached rather than visible).
 */
export async function signIn(page: Page, testInfo: TestInfo, username: string, password: string) {
  await submitSignIn(page, testInfo, username, password);
  await expect(page.getByTestId('whoami')).toBeAttached();
  await ready(page, testInfo);
}

/** A name unique to this project and run, so the two projects never collide. */
export function unique(testInfo: TestInfo, stem: string) {
  return `${stem}-${testInfo.project.name}-${Date.now() % 100000}`.toLowerCase();
}

/** The WCAG 2.2 AA rule sets of axe-core (issue 13, defect 11). */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * Runs axe-core (WCAG 2.2 AA) on the page as it is now and fails (softly: a walk
 * goes on and reports every page) on any serious or critical violation, listing
 * each rule with the elements that break it.
 *
 * axe needs JavaScript, so with JavaScript off it checks a copy: the page's HTML
 * as the browser has it, without its scripts, served at the same address (so its
 * styles load) in a context of its own with JavaScript on.
 */
export async function expectAccessible(page: Page, what = new URL(page.url()).pathname) {
  let results;
  if (test.info().project.use.javaScriptEnabled === false) {
    const url = page.url();
    const html = (await page.content()).replace(/<script\b[\s\S]*?<\/script>/gi, '');
    const dark = await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches);
    // Explicitly on: Playwright Test gives new contexts the project's options.
    const context = await page.context().browser()!.newContext({
      javaScriptEnabled: true, viewport: page.viewportSize(), colorScheme: dark ? 'dark' : 'light',
    });
    try {
      const copy = await context.newPage();
      await copy.route((u) => u.href === url, (route) =>
        route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
      await copy.goto(url);
      results = await new AxeBuilder({ page: copy }).withTags(WCAG_TAGS).analyze();
    } finally {
      await context.close();
    }
  } else {
    results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  }
  const found = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => [
      `${v.impact} ${v.id}: ${v.help} (${v.helpUrl})`,
      ...v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`),
    ].join('\n'));
  expect.soft(found, `accessibility violations on ${what}:\n${found.join('\n')}`).toEqual([]);
}

/** Fails (softly) when the page scrolls sideways at the current viewport (WCAG 1.4.10 reflow). */
export async function expectFitsWidth(page: Page, what = new URL(page.url()).pathname) {
  const { scroll, inner, wide } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    inner: window.innerWidth,
    // The widest elements past the right edge, to say what sticks out.
    wide: [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${[...e.classList].slice(0, 4).join('.')}`),
  }));
  expect.soft(scroll, `${what} is ${scroll} px wide at ${inner} px; past the edge: ${wide.join(', ')}`).toBeLessThanOrEqual(inner);
}

/** An authenticator app's key as the setup page shows it (RFC 4648 base32). */
export function base32Decode(s: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out: number[] = [];
  for (const c of s) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 (SHA-1, 6 digits, 30 s) at `unixSeconds` (default: now), as an authenticator app computes it. */
export function totp(secret: Buffer, unixSeconds = Date.now() / 1000): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const h = createHmac('sha1', secret).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}
