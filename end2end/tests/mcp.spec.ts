import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import { AddressInfo } from 'net';
import * as path from 'path';
import { expect, test } from '@playwright/test';
import { auth, extractWWWAuthenticateParams, OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { serverBin, tls } from '../playwright.config';
import { OwnServer } from './own_server';
import { cli, createUser, decide, Listener, RESERVED, signInHere } from './rp';

// Issue 16: an AI agent arrives the way the Model Context Protocol's authorization
// spec says. The official MCP TypeScript SDK (not ours) meets the example API's 401,
// follows its RFC 9728 `resource_metadata` to Portcullis, registers itself (RFC
// 7591), and builds the authorization request (PKCE S256, RFC 8707 `resource`).
// Until an administrator admits the self-registered client, the person sees it is
// awaiting approval; then a signed-out person signs in and allows it in Chromium,
// the browser lands on the agent's loopback listener, the SDK redeems the code, and
// the API answers the agent with the person's identity.
//
// A second agent names itself by its client ID metadata document instead, served
// over https on 127.0.0.1 with the run's certificate (playwright.config.ts).
//
// It turns open registration on for the whole server, so it runs against a server
// of its own (beside the other specs), with the example API beside it.

test.describe.configure({ mode: 'serial' });

const server = new OwnServer('mcp', OwnServer.portAt(5004));
const { env, base: ISSUER } = server;
test.use({ baseURL: ISSUER });
/** The example API's port, one per server. */
const API_PORT = OwnServer.portAt(5006);
const API = `http://127.0.0.1:${API_PORT}`;
let api: ChildProcess | undefined;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  await server.start();
  // The catalogue entry for the example API.
  for (const args of [
    ['api', 'add', '--name', 'Course registrations (MCP)', '--audience', API],
    ['api', 'add-scope', '--api', API, '--name', 'registrations:read', '--description', 'See your course registrations'],
    ['api', 'add-scope', '--api', API, '--name', 'registrations:write', '--description', 'Change your course registrations'],
  ]) {
    cli(args, undefined, env);
  }
  cli(['registration', 'mode', 'open'], undefined, env);
  api = spawn(path.join(path.dirname(serverBin), 'registrations'), ['--issuer', ISSUER, '--bind', `127.0.0.1:${API_PORT}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  await expect
    .poll(async () => (await fetch(`${API}/.well-known/oauth-protected-resource`).catch(() => undefined))?.status, { timeout: 20_000 })
    .toBe(200);
});

test.afterAll(async () => {
  api?.kill();
  await server.stop();
});

/** What the agent keeps: the SDK's storage interface, in memory. */
class Agent implements OAuthClientProvider {
  info?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  sentTo?: URL;
  constructor(readonly callback: string, readonly name: string, readonly stateValue: string) {}
  get redirectUrl() {
    return this.callback;
  }
  get clientMetadata(): OAuthClientMetadata {
    // A public native client (no secret), as desktop agents register.
    return {
      client_name: this.name,
      redirect_uris: [this.callback],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    } as OAuthClientMetadata;
  }
  state() {
    return this.stateValue;
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.sentTo = url;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

test('the MCP SDK registers itself, waits for admission, and a signed-out person lets it call the API', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'mona', env);
  const listener = await Listener.start();
  try {
    const callback = listener.callback(testInfo, 'mcp');
    const name = `Course agent ${testInfo.project.name} ${Date.now() % 100000}`;
    const agent = new Agent(callback, name, RESERVED);

    // The API refuses the agent and says where to learn about it.
    const refused = await fetch(`${API}/me`);
    expect(refused.status).toBe(401);
    const { resourceMetadataUrl } = extractWWWAuthenticateParams(refused);
    expect(resourceMetadataUrl?.href).toBe(`${API}/.well-known/oauth-protected-resource`);

    // The SDK discovers Portcullis, registers, and builds the authorization request.
    expect(await auth(agent, { serverUrl: API, resourceMetadataUrl })).toBe('REDIRECT');
    const clientId = agent.info!.client_id;
    const request = agent.sentTo!;
    expect(request.origin + request.pathname).toBe(`${ISSUER}/oauth/authorize`);
    expect(request.searchParams.get('code_challenge_method')).toBe('S256');
    expect(request.searchParams.get('resource')).toBe(API);
    expect(request.searchParams.get('state')).toBe(RESERVED);

    // Not admitted yet: the person is told, and the agent's listener hears nothing.
    await page.goto(request.href);
    await expect(page.getByText("awaiting an administrator's approval")).toBeVisible();
    expect(listener.hitsOn(callback)).toHaveLength(0);

    // An administrator admits it; the person (signed out) signs in and allows it.
    cli(['client', 'enable', clientId], undefined, env);
    await page.goto(request.href);
    await signInHere(page, testInfo, user);
    await decide(page, testInfo, name, 'Allow');
    const arrival = await listener.arrival(callback);
    expect(arrival.searchParams.get('state')).toBe(RESERVED);
    expect(arrival.searchParams.get('iss')).toBe(ISSUER);

    // The SDK redeems the code (PKCE, the same resource) and calls the API.
    const code = arrival.searchParams.get('code')!;
    expect(await auth(agent, { serverUrl: API, resourceMetadataUrl, authorizationCode: code })).toBe('AUTHORIZED');
    expect(agent.saved?.refresh_token).toBeTruthy();
    const me = await fetch(`${API}/me`, { headers: { authorization: `Bearer ${agent.saved!.access_token}` } });
    expect(me.status).toBe(200);
    const caller = await me.json();
    expect(caller.client_id).toBe(clientId);
    expect(caller.user).toBeTruthy();
    expect(caller.scopes).toEqual(expect.arrayContaining(['registrations:read', 'registrations:write']));
    expect(caller.acting).toEqual([]);

    // Later, the SDK refreshes on its own (a public client: the refresh token rotates).
    const old = agent.saved!;
    expect(await auth(agent, { serverUrl: API, resourceMetadataUrl })).toBe('AUTHORIZED');
    expect(agent.saved!.access_token).not.toBe(old.access_token);
    expect(agent.saved!.refresh_token).not.toBe(old.refresh_token);
  } finally {
    await listener.stop();
  }
});

/** An agent whose client_id is the https URL of its metadata document. */
class DocumentAgent extends Agent {
  constructor(callback: string, name: string, stateValue: string, readonly documentUrl: string) {
    super(callback, name, stateValue);
  }
  get clientMetadataUrl() {
    return this.documentUrl;
  }
}

test('the MCP SDK names itself by its metadata document, served over https, and a signed-out person lets it call the API', async ({ page }, testInfo) => {
  const user = createUser(testInfo, 'nico', env);
  const listener = await Listener.start();
  // The agent's document host: https on 127.0.0.1 with the run's certificate,
  // which the server trusts (playwright.config.ts: outbound.root_certificates).
  const documents = new Map<string, object>();
  const host = https.createServer({ key: fs.readFileSync(tls.key), cert: fs.readFileSync(tls.cert) }, (req, res) => {
    const doc = documents.get(req.url ?? '');
    if (!doc) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  });
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  try {
    cli(['registration', 'documents', 'on'], undefined, env);
    cli(['registration', 'trust-host', '127.0.0.1'], undefined, env);
    const callback = listener.callback(testInfo, 'mcp-doc');
    const name = `Document agent ${testInfo.project.name} ${Date.now() % 100000}`;
    const docPath = `/agents/${testInfo.project.name}-${Date.now() % 100000}.json`;
    const clientId = `https://127.0.0.1:${(host.address() as AddressInfo).port}${docPath}`;
    documents.set(docPath, {
      client_id: clientId,
      client_name: name,
      redirect_uris: [callback],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'registrations:read registrations:write',
    });
    const agent = new DocumentAgent(callback, name, RESERVED, clientId);

    const refused = await fetch(`${API}/me`);
    expect(refused.status).toBe(401);
    const { resourceMetadataUrl } = extractWWWAuthenticateParams(refused);
    // The SDK sees client_id_metadata_document_supported and registers nothing:
    // its client_id is the document's URL (the CLI's change reaches the server
    // through its settings cache).
    await expect
      .poll(async () => {
        agent.info = undefined;
        await auth(agent, { serverUrl: API, resourceMetadataUrl });
        return agent.info?.client_id;
      })
      .toBe(clientId);
    const request = agent.sentTo!;
    expect(request.searchParams.get('client_id')).toBe(clientId);
    expect(request.searchParams.get('code_challenge_method')).toBe('S256');
    expect(request.searchParams.get('resource')).toBe(API);
    expect(request.searchParams.get('state')).toBe(RESERVED);

    // A signed-out person signs in; the consent card leads with the document's host.
    await page.goto(request.href);
    await signInHere(page, testInfo, user);
    await expect(page.getByTestId('consent-document-host')).toContainText(`127.0.0.1 says it is ${name}`);
    await decide(page, testInfo, name, 'Allow');
    const arrival = await listener.arrival(callback);
    expect(arrival.searchParams.get('state')).toBe(RESERVED);
    expect(arrival.searchParams.get('iss')).toBe(ISSUER);

    const code = arrival.searchParams.get('code')!;
    expect(await auth(agent, { serverUrl: API, resourceMetadataUrl, authorizationCode: code })).toBe('AUTHORIZED');
    const me = await fetch(`${API}/me`, { headers: { authorization: `Bearer ${agent.saved!.access_token}` } });
    expect(me.status).toBe(200);
    const caller = await me.json();
    expect(caller.client_id).toBe(clientId);
    expect(caller.scopes).toEqual(expect.arrayContaining(['registrations:read']));
  } finally {
    await listener.stop();
    await new Promise((resolve) => host.close(resolve));
  }
});

