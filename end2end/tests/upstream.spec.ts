import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { expect, Page, test, TestInfo } from '@playwright/test';
import { BAD_PORTS, serverBin, serverEnv } from '../playwright.config';
import { failOnPageErrors, goto, ready, unique } from './helpers';
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
async function atProvider(page: Page, testInfo: TestInfo, person: string, decision: 'Allow' | 'Deny' = 'Allow') {
  await expect(page).toHaveURL(new RegExp(`^${up}/login\\?`));
  await signInHere(page, testInfo, person);
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
