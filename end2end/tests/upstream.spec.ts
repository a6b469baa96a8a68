import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { expect, Page, test, TestInfo } from '@playwright/test';
import { BAD_PORTS, serverBin, serverEnv } from '../playwright.config';
import { ADMIN_PASSWORD, expectAccessible, failOnPageErrors, goto, ready, unique } from './helpers';
import {
  cli, decide, expectCode, Listener, registerClient, RelyingParty, signInHere, USER_PASSWORD,
} from './rp';

// Issue 15 (seeds 002 and 004): people sign in here through the campus's OpenID
// provider, "Campus IdM". The spec starts its own pair of servers (an
// `[[upstream]]` section is settings-file only): the provider, a second Portcullis
// on `localhost`, and the server people sign in to on `127.0.0.1` — two hosts, so
// each keeps its own cookies. Every flow starts in a signed-out browser and goes
// through both sites' real pages, hydrated and without JavaScript.

const PROVIDER_CLIENT = 'Portcullis downstream';
let dir: string;
let up: string; // the provider's issuer, http://localhost:U
let down: string; // the issuer people sign in to, http://127.0.0.1:D
let upEnv: Record<string, string>;
let downEnv: Record<string, string>;
const servers: ChildProcess[] = [];
let app: Listener;
failOnPageErrors();

/** A free port of this machine that browsers and fetch accept. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    if (!BAD_PORTS.has(port)) return port;
  }
}

/** The shared settings for a server of its own: no directory, no mail server (mail stays in the outbox). */
function ownEnv(issuer: string, port: number, db: string): Record<string, string> {
  const env = Object.fromEntries(Object.entries(serverEnv)
    .filter(([k]) => !k.startsWith('PORTCULLIS_LDAP__') && !k.startsWith('PORTCULLIS_SMTP__')));
  return {
    ...env,
    PORTCULLIS_ISSUER: issuer,
    PORTCULLIS_BIND: `127.0.0.1:${port}`,
    PORTCULLIS_DATABASE_URL: `sqlite://${path.join(dir, db)}`,
  };
}

async function serve(name: string, env: Record<string, string>) {
  // Nothing of the test server's own settings leaks in from this process.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTCULLIS_')));
  const log = fs.openSync(path.join(dir, `${name}.log`), 'w');
  const child = spawn(serverBin, ['serve'], { env: { ...base, ...env }, stdio: ['ignore', 'ignore', log] });
  servers.push(child);
  const readyz = `http://${env.PORTCULLIS_BIND}/readyz`;
  for (const until = Date.now() + 90_000; ;) {
    if ((await fetch(readyz).catch(() => undefined))?.status === 200) return;
    if (child.exitCode !== null || Date.now() > until) {
      throw new Error(`${name} is not ready at ${readyz}: ${fs.readFileSync(path.join(dir, `${name}.log`), 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A person of the campus, at the provider (made by its operator: the address counts as verified). */
function campusPerson(testInfo: TestInfo, stem: string, display: string): string {
  const name = unique(testInfo, stem);
  cli(['user', 'add', '--username', name, '--email', `${name}@campus.example`, '--display-name', display],
    USER_PASSWORD, upEnv);
  return name;
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-fed-'));
  const [u, d] = [await freePort(), await freePort()];
  up = `http://localhost:${u}`;
  down = `http://127.0.0.1:${d}`;
  upEnv = ownEnv(up, u, 'up.db');
  // The provider knows this server as a confidential web client (docs/IDENTITY.md).
  const client = registerClient(PROVIDER_CLIENT, `${down}/api/upstream_callback`, [], upEnv);
  const config = path.join(dir, 'downstream.toml');
  fs.writeFileSync(config, [
    '[[upstream]]', 'id = "campus"', 'name = "Campus IdM"', `issuer = "${up}"`,
    `client_id = "${client.id}"`, `client_secret = "${client.secret}"`, 'domains = ["campus.example"]', '',
  ].join('\n'));
  downEnv = { ...ownEnv(down, d, 'down.db'), PORTCULLIS_CONFIG: config };
  await Promise.all([serve('upstream', upEnv), serve('downstream', downEnv)]);
  app = await Listener.start();
});

test.afterAll(async () => {
  await app?.stop();
  await Promise.all(servers.map((s) => new Promise((exited) => {
    if (s.exitCode !== null) return exited(s.exitCode);
    s.once('exit', exited);
    s.kill();
  })));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});
process.on('exit', () => servers.forEach((s) => s.kill()));

/** At the provider's sign-in page (not ours): signs `person` in and allows this server. */
async function atProvider(
  page: Page, testInfo: TestInfo, person: string, decision: 'Allow' | 'Deny' = 'Allow', password = USER_PASSWORD,
) {
  await expect(page).toHaveURL(new RegExp(`^${up}/login\\?`));
  await signInHere(page, testInfo, person, password);
  await decide(page, testInfo, PROVIDER_CLIENT, decision);
}

async function continueWithCampus(page: Page, testInfo: TestInfo) {
  await ready(page, testInfo);
  await expect(page.getByTestId('upstream')).toContainText('Or sign in with an account you already have');
  await page.getByRole('button', { name: 'Continue with Campus IdM' }).click();
}

test('an app sends a signed-out person here; they continue with Campus IdM and the app signs them in', async ({ page }, testInfo) => {
  const person = campusPerson(testInfo, 'ada', 'Ada Lovelace');
  const callback = app.callback(testInfo, 'fed');
  const name = `Library ${testInfo.project.name} ${Date.now() % 100000}`;
  const rp = await RelyingParty.discover(registerClient(name, callback, [], downEnv), callback, down);

  const { url, checks } = await rp.authorizationUrl();
  await page.goto(url);
  await expect(page).toHaveURL(new RegExp(`^${down}/login\\?return_to=`));
  await continueWithCampus(page, testInfo);
  await atProvider(page, testInfo, person);
  // Back here, signed in: this server asks for the app as ever.
  await expect(page).toHaveURL(new RegExp(`^${down}/oauth/consent\\?`));
  await decide(page, testInfo, name, 'Allow');
  await expect(page.getByRole('heading', { name: 'app callback' })).toBeVisible();

  const arrival = await app.arrival(callback);
  expectCode(arrival, checks, down);
  const { claims, userinfo } = await rp.redeem(arrival, checks);
  expect(claims.iss).toBe(down);
  expect(claims.amr).toEqual(['fed']);
  // The account made from the provider's claims.
  expect(userinfo.preferred_username).toBe(person);
  expect(userinfo.email).toBe(`${person}@campus.example`);
  expect(userinfo.email_verified).toBe(true);
  expect(userinfo.name).toBe('Ada Lovelace');
});

test('a work address goes straight to its organisation\'s sign-in page, told the address', async ({ page }, testInfo) => {
  const person = campusPerson(testInfo, 'hedy', `Hedy ${testInfo.project.name}`);
  await goto(page, testInfo, `${down}/login`);
  // An address of a domain no provider serves stays here, with a reason.
  await page.getByLabel('Work or school e-mail').fill('someone@elsewhere.example');
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(page.getByText('No organisation signs in people of elsewhere.example here.')).toBeVisible();
  expect(new URL(page.url()).origin).toBe(down);

  await ready(page, testInfo);
  await page.getByLabel('Work or school e-mail').fill(`${person}@campus.example`);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`^${up}/login\\?.*login_hint`));
  const request = new URL(new URL(page.url()).searchParams.get('return_to')!, up);
  expect(request.searchParams.get('login_hint')).toBe(`${person}@campus.example`);
  await atProvider(page, testInfo, person);
  // Signed in here, under the name the provider gave.
  await expect(page).toHaveURL(`${down}/`);
  await expect(page.getByTestId('whoami')).toContainText(`Hedy ${testInfo.project.name}`);
});

test('saying no at the provider ends on the sign-in page here, told so, signed out', async ({ page }, testInfo) => {
  const person = campusPerson(testInfo, 'nora', 'Nora No');
  await goto(page, testInfo, `${down}/login`);
  await continueWithCampus(page, testInfo);
  await atProvider(page, testInfo, person, 'Deny');
  await expect(page).toHaveURL(`${down}/login?upstream_error=cancelled`);
  await ready(page, testInfo);
  const alert = page.getByTestId('upstream-error');
  await expect(alert).toHaveAttribute('role', 'alert');
  await expect(alert).toContainText('You cancelled the sign-in at your provider');
  await expect(page.getByTestId('whoami')).toHaveCount(0);
});

test('an account here with the same address is linked by its holder, then the link is removed', async ({ page }, testInfo) => {
  const person = campusPerson(testInfo, 'lin', 'Lin Campus');
  // The same person already has an account here, with the address the provider gives.
  const local = `${person}-here`;
  cli(['user', 'add', '--username', local, '--email', `${person}@campus.example`, '--display-name', 'Lin Here'],
    USER_PASSWORD, downEnv);

  await goto(page, testInfo, `${down}/login`);
  await continueWithCampus(page, testInfo);
  await atProvider(page, testInfo, person);
  // Offered, not linked: no session until the holder proves the account is theirs.
  await expect(page).toHaveURL(`${down}/login/link`);
  await expect(page.getByText(`An account here, ${local}, has that address.`)).toBeVisible();
  await expect(page.getByTestId('whoami')).toHaveCount(0);
  await ready(page, testInfo);
  await page.getByRole('link', { name: `Sign in as ${local}` }).click();
  await expect(page).toHaveURL(`${down}/login?return_to=%2Flogin%2Flink`);
  await signInHere(page, testInfo, local);

  await expect(page).toHaveURL(`${down}/login/link`);
  await expect(page.getByText('Link Campus IdM to this account?')).toBeVisible();
  await ready(page, testInfo);
  await page.getByRole('button', { name: 'Link Campus IdM' }).click();

  await expect(page).toHaveURL(new RegExp(`^${down}/account/providers`));
  const links = page.getByTestId('links');
  await expect(links).toContainText('Campus IdM');
  await expect(links).toContainText(`${person}@campus.example`);
  await expect(page.getByRole('button', { name: 'Link Campus IdM' })).toHaveCount(0);

  await ready(page, testInfo);
  await page.locator('summary', { hasText: 'Remove Campus IdM…' }).click();
  await page.getByRole('button', { name: 'Remove the link to Campus IdM' }).click();
  await expect(page.getByTestId('no-links')).toHaveText('No provider is linked to your account.');
  await expect(page.getByTestId('links')).toHaveCount(0);
  // It can be linked again from here.
  await expect(page.getByRole('button', { name: 'Link Campus IdM' })).toBeVisible();
});

test('an administrator adds a provider on the page; a signed-out person continues with it', async ({ page }, testInfo) => {
  // The provider knows this server under a second client (the staff directory).
  const staff = registerClient('Portcullis for staff', `${down}/api/upstream_callback`, [], upEnv);
  const person = campusPerson(testInfo, 'sam', 'Sam Staff');

  await goto(page, testInfo, `${down}/login`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByTestId('whoami')).toBeAttached();
  await goto(page, testInfo, `${down}/admin`);
  await page.getByRole('link', { name: /Sign-in providers/ }).click();
  await expect(page).toHaveURL(`${down}/admin/sign-in-providers`);
  await expect(page.getByTestId('redirect-uri')).toHaveText(`${down}/api/upstream_callback`);
  const fixed = page.getByTestId('providers').getByRole('listitem').filter({ hasText: 'Campus IdM' });
  await expect(fixed).toContainText('From the settings file: change it there.');
  await ready(page, testInfo);
  await expectAccessible(page, 'sign-in providers');
  await page.getByRole('link', { name: 'Add a provider' }).click();
  await expect(page).toHaveURL(`${down}/admin/sign-in-providers/new`);
  await ready(page, testInfo);

  // A form with problems comes back with all of them, and with what was typed.
  await page.getByLabel('Id', { exact: true }).fill('staff');
  await page.getByLabel('Issuer', { exact: true }).fill('http://idp.campus.example');
  await page.getByLabel('Name', { exact: true }).fill('Campus staff');
  await page.getByRole('button', { name: 'Add the provider' }).click();
  const summary = page.getByTestId('error-summary');
  await expect(summary).toContainText('https');
  await expect(summary).toContainText('the client id the provider gave this server');
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Campus staff');
  await expect(page.locator('#f-issuer')).toHaveAttribute('aria-invalid', 'true');
  await ready(page, testInfo);
  await expectAccessible(page, 'a refused provider form');

  await page.getByLabel('Issuer', { exact: true }).fill(up);
  await page.getByLabel('Client id').fill(staff.id);
  await page.getByLabel('Client secret', { exact: true }).fill(staff.secret);
  await page.getByLabel('E-mail domains').fill('staff.campus.example');
  await page.getByRole('button', { name: 'Add the provider' }).click();
  await expect(page).toHaveURL(new RegExp(`^${down}/admin/sign-in-providers(\\?|$)`));
  await expect.soft(page.getByRole('status')).toContainText('The provider was added');
  const added = page.getByTestId('providers').getByRole('listitem').filter({ hasText: 'Campus staff' });
  await expect(added).toContainText(staff.id);
  await expect(added).toContainText('staff.campus.example');
  await expect(page.getByText(staff.secret)).toHaveCount(0);

  // Signed out, the sign-in page offers it; the person signs in through it.
  await page.context().clearCookies();
  await goto(page, testInfo, `${down}/login`);
  await page.getByRole('button', { name: 'Continue with Campus staff' }).click();
  await expect(page).toHaveURL(new RegExp(`^${up}/login\\?`));
  await signInHere(page, testInfo, person);
  await decide(page, testInfo, 'Portcullis for staff', 'Allow');
  await expect(page).toHaveURL(`${down}/`);
  await expect(page.getByTestId('whoami')).toContainText('Sam Staff');
});

test('an address the provider has not verified never links to the account here that has it', async ({ page }, testInfo) => {
  // Someone signs up at the provider with an address an account here holds: the
  // provider has not verified it, so it proves nothing about that account.
  const name = unique(testInfo, 'mallory');
  const holder = unique(testInfo, 'holder');
  const taken = `${holder}@campus.example`;
  cli(['user', 'add', '--username', holder, '--email', taken, '--display-name', 'The holder'],
    USER_PASSWORD, downEnv);
  const password = 'orchard velvet kettle 9';
  await goto(page, testInfo, `${up}/signup`);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('E-mail').fill(taken);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(new RegExp(`^${up}/login`));

  await goto(page, testInfo, `${down}/login`);
  await continueWithCampus(page, testInfo);
  await atProvider(page, testInfo, name, 'Allow', password);
  await expect(page).toHaveURL(`${down}/login?upstream_error=unverified`);
  await expect(page.getByTestId('upstream-error')).toContainText('the provider has not verified it, so the two cannot be linked');
  await expect(page.getByTestId('whoami')).toHaveCount(0);
});
