// A Portcullis server of one spec's own: its own SQLite file and port, the shared
// settings otherwise (without the directory and the mail sink: mail stays in its
// outbox). For specs that change server-wide settings (they would break the specs
// running beside them on the shared server) and for specs that need another origin
// (WebAuthn refuses IP addresses).
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { serverBin, serverEnv } from '../playwright.config';

export class OwnServer {
  readonly base: string;
  readonly env: Record<string, string>;
  private readonly dir: string;
  private child?: ChildProcess;

  /** `host` is what the issuer names (the server listens on 127.0.0.1:`port`). */
  constructor(readonly stem: string, port: number, host = '127.0.0.1') {
    this.base = `http://${host}:${port}`;
    this.dir = path.join(os.tmpdir(), `portcullis-e2e-${stem}-${process.pid}-${port}`);
    this.env = {
      ...Object.fromEntries(Object.entries(serverEnv)
        .filter(([k]) => !k.startsWith('PORTCULLIS_LDAP__') && !k.startsWith('PORTCULLIS_SMTP__'))),
      PORTCULLIS_ISSUER: this.base,
      PORTCULLIS_BIND: `127.0.0.1:${port}`,
      PORTCULLIS_DATABASE_URL: `sqlite://${path.join(this.dir, `${stem}.db`)}`,
    };
  }

  /**
   * A port for a server made when the spec file loads (`test.use({ baseURL })` needs
   * it then): the shared server's port plus `offset`, plus the worker's parallel index
   * so that the hydrated and JS-off runs of a spec, which may run at once, differ.
   */
  static portAt(offset: number): number {
    return Number(process.env.E2E_PORT) + offset + Number(process.env.TEST_PARALLEL_INDEX ?? 0);
  }

  /** Starts it on a fresh database and waits until it is ready. */
  async start(): Promise<void> {
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTCULLIS_')));
    const logFile = path.join(this.dir, 'server.log');
    const child = spawn(serverBin, ['serve'], {
      env: { ...inherited, ...this.env }, stdio: ['ignore', 'ignore', fs.openSync(logFile, 'w')],
    });
    this.child = child;
    process.on('exit', () => child.kill());
    const ready = `http://${this.env.PORTCULLIS_BIND}/readyz`;
    for (const until = Date.now() + 90_000; ;) {
      if ((await fetch(ready).catch(() => undefined))?.status === 200) return;
      if (child.exitCode !== null || Date.now() > until) {
        throw new Error(`the ${this.stem} server is not ready: ${fs.readFileSync(logFile, 'utf8')}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Stops it and removes its database. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      await new Promise((exited) => {
        child.once('exit', exited);
        child.kill();
      });
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
