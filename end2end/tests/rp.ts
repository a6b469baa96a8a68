// A relying party as apps build them: panva's certified `openid-client` (v6) with its
// strict checks (discovery, PKCE, state, nonce, the RFC 9207 `iss` check, the ID
// token's claims and signature, userinfo), and a real redirect listener on
// 127.0.0.1, port 0. Specs start where users start: a signed-out browser opened at the
// app's authorization URL.
import { execFileSync } from 'child_process';
import * as http from 'http';
import { AddressInfo } from 'net';
import { expect, Page, TestInfo } from '@playwright/test';
import * as oidc from 'openid-client';
import { serverBin, serverEnv } from '../playwright.config';
import { ready, unique } from './helpers';

export const ISSUER = serverEnv.PORTCULLIS_ISSUER;
export const USER_PASSWORD = 'relying party user password';
/** Every reserved character an app may put in `state`; it must come back exactly (RFC 6749 §4.1.2). */
export const RESERVED = 'st-a +/=?&%~.:';

/** Runs the CLI against the test server's database, or another server's (`env`). */
export function cli(args: string[], input?: string, env: Record<string, string> = serverEnv): string {
  return execFileSync(serverBin, args, { env: { ...process.env, ...env }, encoding: 'utf8', input });
}

/** A new end user (unique to this test and project), signing in with USER_PASSWORD. */
export function createUser(testInfo: TestInfo, stem: string, env: Record<string, string> = serverEnv): string {
  const name = unique(testInfo, stem);
  cli(['user', 'add', '--username', name, '--email', `${name}@example.edu`, '--display-name', `${stem} person`], USER_PASSWORD, env);
  return name;
}

export type Client = { id: string; secret: string };

export function registerClient(name: string, redirectUri: string, extra: string[] = [], env = serverEnv): Client {
  const out = cli(['client', 'add', '--name', name, '--type', 'web', '--redirect-uri', redirectUri,
    '--scope', 'openid', '--scope', 'profile', '--scope', 'email', ...extra], undefined, env);
  const id = /^client_id: (\S+)$/m.exec(out)?.[1];
  const secret = /^client_secret: (\S+)$/m.exec(out)?.[1];
  if (!id || !secret) throw new Error(`no client credentials in: ${out}`);
  return { id, secret };
}

/** The app's redirect listener: records every request it gets (and the bodies of
 * posts: back-channel logout tokens), answers a page. */
/** An app's JWKS at a URL of its own: `keys` is served as it is at each fetch. */
export class JwksListener {
  readonly keys: object[] = [];
  private constructor(private server: http.Server, readonly url: string) {}

  static async start(): Promise<JwksListener> {
    let listener: JwksListener | undefined;
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: listener!.keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    listener = new JwksListener(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`);
    return listener;
  }

  async stop() {
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export class Listener {
  readonly hits: URL[] = [];
  readonly posts: { url: URL; body: string }[] = [];
  private constructor(private server: http.Server, readonly origin: string) {}

  static async start(): Promise<Listener> {
    let listener: Listener | undefined;
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', listener!.origin);
      listener?.hits.push(url);
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        if (req.method === 'POST') listener?.posts.push({ url, body });
        res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>app callback</h1>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    listener = new Listener(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return listener;
  }

  async stop() {
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** A callback address of its own for one test. */
  callback(testInfo: TestInfo, stem: string): string {
    return `${this.origin}/cb/${unique(testInfo, stem)}`;
  }

  /** The requests that reached `callback` (path only, any query). */
  hitsOn(callback: string): URL[] {
    const path = new URL(callback).pathname;
    return this.hits.filter((u) => u.pathname === path);
  }

  /** The bodies posted to `address` (path only). */
  postsOn(address: string): string[] {
    const path = new URL(address).pathname;
    return this.posts.filter((p) => p.url.pathname === path).map((p) => p.body);
  }

  /** Waits for the next request on `callback` after the first `seen` ones. */
  async arrival(callback: string, seen = 0): Promise<URL> {
    await expect.poll(() => this.hitsOn(callback).length).toBeGreaterThan(seen);
    return this.hitsOn(callback)[seen];
  }
}

/** One authorization request's secrets, kept by the app. */
export type Checks = { verifier: string; state: string; nonce: string };

export class RelyingParty {
  private constructor(readonly config: oidc.Configuration, readonly redirectUri: string) {}

  /** Discovery from the issuer (the test server's unless given); plain http on
   * loopback is allowed for the tests only. */
  static async discover(client: Client, redirectUri: string, issuer = ISSUER): Promise<RelyingParty> {
    const config = await oidc.discovery(new URL(issuer), client.id, client.secret, undefined, {
      // Tests only: the issuer is http://127.0.0.1:port. Non-repudiation: verify the
      // ID token's signature against the JWKS too, not only its claims.
      execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
    });
    return new RelyingParty(config, redirectUri);
  }

  /** A key-only client (private_key_jwt, RFC 7523): the library signs an assertion
   * with `key` whenever it authenticates. */
  static async discoverWithKey(clientId: string, redirectUri: string, key: { key: CryptoKey; kid: string }): Promise<RelyingParty> {
    const config = await oidc.discovery(new URL(ISSUER), clientId, undefined, oidc.PrivateKeyJwt(key), {
      execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
    });
    return new RelyingParty(config, redirectUri);
  }

  /** The authorization URL (PKCE S256, state with every reserved character, nonce). */
  async authorizationUrl(extra: Record<string, string> = {}): Promise<{ url: string; checks: Checks }> {
    const verifier = oidc.randomPKCECodeVerifier();
    const checks = { verifier, state: `${RESERVED}${oidc.randomState()}`, nonce: oidc.randomNonce() };
    const url = oidc.buildAuthorizationUrl(this.config, {
      redirect_uri: this.redirectUri,
      scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
      ...extra,
    });
    return { url: url.href, checks };
  }

  /** The same request pushed first (RFC 9126): the URL carries only client_id and request_uri. */
  async pushedAuthorizationUrl(extra: Record<string, string> = {}): Promise<{ url: string; checks: Checks }> {
    const verifier = oidc.randomPKCECodeVerifier();
    const checks = { verifier, state: `${RESERVED}${oidc.randomState()}`, nonce: oidc.randomNonce() };
    const url = await oidc.buildAuthorizationUrlWithPAR(this.config, {
      redirect_uri: this.redirectUri,
      scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
      ...extra,
    });
    return { url: url.href, checks };
  }

  /** The library's own checks of the response, the code exchange, the ID token and userinfo. */
  async redeem(arrival: URL, checks: Checks, maxAge?: number) {
    const tokens = await oidc.authorizationCodeGrant(this.config, arrival, {
      pkceCodeVerifier: checks.verifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
      maxAge,
    });
    const claims = tokens.claims()!;
    const userinfo = await oidc.fetchUserInfo(this.config, tokens.access_token, claims.sub);
    return { tokens, claims, userinfo };
  }
}

/** What the app's listener got, checked by hand too: code, state exactly, iss. */
export function expectCode(arrival: URL, checks: Checks, issuer = ISSUER) {
  expect(arrival.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(arrival.searchParams.get('state')).toBe(checks.state);
  expect(arrival.searchParams.get('iss')).toBe(issuer);
}

/** Fills in the sign-in form the browser was sent to. */
export async function signInHere(page: Page, testInfo: TestInfo, username: string, password = USER_PASSWORD) {
  await expect(page).toHaveURL(/\/login\?/);
  await ready(page, testInfo);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Answers the consent page. */
export async function decide(page: Page, testInfo: TestInfo, clientName: string, decision: 'Allow' | 'Deny') {
  await expect(page.getByTestId('consent-client')).toHaveText(clientName);
  await ready(page, testInfo);
  await page.getByRole('button', { name: decision }).click();
}
