import { defineConfig } from '@playwright/test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as selfsigned from 'selfsigned';

// One server for the run, on a fresh SQLite file, with a known first administrator.
const root = path.resolve(__dirname, '..');
// Ports that browsers and fetch refuse to use (the Fetch standard's "bad ports"):
// the server's port, the mail sink's (+2000), the LDAP directory's readiness (+4001)
// and the own servers of specs that change server-wide settings (own_server.ts:
// +5000 server-wide, +5002 admission, +5004 MCP, +5006 the MCP spec's example API,
// +5008 lifecycle;
// each plus the worker's index, 0 or 1) must avoid them, or a run that drew one
// fails at its first request (3659 did).
export const BAD_PORTS = new Set([3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697]);
const OWN = [5000, 5001, 5002, 5003, 5004, 5005, 5006, 5007, 5008, 5009];
const usable = (p: number) => ![p, p + 2000, p + 4001, ...OWN.map((o) => p + o)].some((q) => BAD_PORTS.has(q));
if (!process.env.E2E_PORT) {
  let p = 3100 + Math.floor(Math.random() * 800);
  while (!usable(p)) p = 3100 + Math.floor(Math.random() * 800);
  process.env.E2E_PORT = String(p);
}
process.env.E2E_DB ??= path.join(os.tmpdir(), `portcullis-e2e-${process.pid}-${Date.now()}.db`);
export const ADMIN_PASSWORD = 'e2e admin password 42';
const port = process.env.E2E_PORT;
// The SMTP sink the server mails to (tests/smtp_sink.cjs), and where specs read it.
process.env.E2E_SMTP_PORT ??= String(Number(port) + 1000);
process.env.E2E_SMTP_HTTP_PORT ??= String(Number(port) + 2000);
export const mailSink = `http://127.0.0.1:${process.env.E2E_SMTP_HTTP_PORT}`;
// The LDAP directory (tests/ldap_directory.cjs) whose people sign in too.
process.env.E2E_LDAP_PORT ??= String(Number(port) + 4000);
process.env.E2E_LDAP_HTTP_PORT ??= String(Number(port) + 4001);
const base = `http://127.0.0.1:${port}`;
// A certificate for https on 127.0.0.1, made once per run (this file is read again
// by every worker, which finds it made): the MCP spec serves an agent's metadata
// document with it, and the server trusts it (outbound.root_certificates), as an
// operator trusts a company CA.
process.env.E2E_TLS_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-tls-'));
export const tls = {
  cert: path.join(process.env.E2E_TLS_DIR, 'cert.pem'),
  key: path.join(process.env.E2E_TLS_DIR, 'key.pem'),
};
if (!fs.existsSync(tls.cert)) {
  const made = selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    days: 7,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  fs.writeFileSync(tls.key, made.private);
  fs.writeFileSync(tls.cert, made.cert);
}
const bin = process.env.E2E_SERVER_BIN ?? path.join(os.homedir(), '.cache/portcullis/target/debug/portcullis');

/** The server's settings, shared with specs that run the CLI against the same database. */
export const serverEnv: Record<string, string> = {
  PORTCULLIS_ISSUER: base,
  PORTCULLIS_BIND: `127.0.0.1:${port}`,
  PORTCULLIS_DATABASE_URL: `sqlite://${process.env.E2E_DB}`,
  PORTCULLIS_SESSION_SECRET: 'e2e-session-secret-0123456789abcdefghijkl',
  PORTCULLIS_KEY_ENCRYPTION_KEY: 'e2e-key-encryption-key-0123456789abcdefg',
  PORTCULLIS_ADMIN_PASSWORD: ADMIN_PASSWORD,
  PORTCULLIS_SITE_ROOT: process.env.E2E_SITE_ROOT ?? path.join(root, 'target/site'),
  PORTCULLIS_LOG__LEVEL: 'warn',
  // The sign-up-from-an-app spec needs it (docs/SETTINGS.md: allow_self_signup).
  PORTCULLIS_ALLOW_SELF_SIGNUP: 'true',
  // Developers' apps admit anyone at once, as the specs before lifecycle stages
  // expect; lifecycle.spec.ts runs a server with the default (on).
  PORTCULLIS_NEW_CLIENTS_IN_DEVELOPMENT: 'false',
  // The apps of the logout and key specs listen on 127.0.0.1 (docs/SETTINGS.md:
  // outbound.allow_private_addresses).
  PORTCULLIS_OUTBOUND__ALLOW_PRIVATE_ADDRESSES: 'true',
  PORTCULLIS_OUTBOUND__ROOT_CERTIFICATES: tls.cert,
  PORTCULLIS_LOGOUT__POLL_MS: '200',
  // Reset and verification mail goes to the sink (recovery.spec.ts).
  PORTCULLIS_SMTP__HOST: '127.0.0.1',
  PORTCULLIS_SMTP__PORT: process.env.E2E_SMTP_PORT!,
  PORTCULLIS_SMTP__FROM: 'Portcullis <portcullis@example.edu>',
  PORTCULLIS_SMTP__TLS: 'none',
  PORTCULLIS_SMTP__POLL_INTERVAL_MS: '200',
  // People of the directory sign in with its passwords (directory.spec.ts).
  PORTCULLIS_LDAP__URL: `ldap://127.0.0.1:${process.env.E2E_LDAP_PORT}`,
  PORTCULLIS_LDAP__BIND_DN: 'cn=portcullis,ou=services,dc=campus,dc=example',
  PORTCULLIS_LDAP__BIND_PASSWORD: 'e2e service account secret',
  PORTCULLIS_LDAP__BASE_DN: 'ou=people,dc=campus,dc=example',
  PORTCULLIS_LDAP__TRUST_EMAIL: 'true',
};
export const serverBin = bin;

export default defineConfig({
  testDir: './tests',
  // The portal specs take 20-30 s on an idle machine: room for a busy one.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // Spec files run side by side; each creates its own users and clients.
  fullyParallel: false,
  workers: 2,
  // As nextest (.config/nextest.toml): a test that fails once and passes on its
  // second run is reported as "flaky" in the summary, not hidden; one that fails
  // twice fails the step. A navigation that hangs says so after 30 s instead of
  // running into the test's own timeout.
  retries: 1,
  reporter: [['list']],
  use: {
    baseURL: base,
    // A failed test keeps its trace with the page's DOM at each step, but without
    // the screencast: recording screenshots of every test cost a fifth of the
    // browser step's time (the same four specs: 76 s with them, 60 s without;
    // docs/BENCHMARKS.md, "The test suite's time").
    trace: { mode: 'retain-on-failure', screenshots: false, snapshots: true },
    navigationTimeout: 30_000,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  // Every spec runs twice: hydrated, and as plain server-rendered HTML. Specs that
  // change server-wide settings (server_wide, admission, mcp, lifecycle) run against servers of
  // their own (own_server.ts), beside the rest.
  projects: [
    { name: 'hydrated', use: { javaScriptEnabled: true } },
    { name: 'no-js', use: { javaScriptEnabled: false } },
  ],
  webServer: [
    {
      command: `node "${path.join(root, 'end2end/tests/smtp_sink.cjs')}"`,
      cwd: root,
      url: `${mailSink}/ready`,
      timeout: 30_000,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `node "${path.join(root, 'end2end/tests/ldap_directory.cjs')}"`,
      cwd: root,
      url: `http://127.0.0.1:${process.env.E2E_LDAP_HTTP_PORT}/ready`,
      timeout: 30_000,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `"${bin}" serve`,
      cwd: root,
      url: `${base}/readyz`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: 'pipe',
      env: serverEnv,
    },
  ],
});
