// The server dies mid-conversation (SIGKILL: no graceful close) and comes back on the same
// port and data directory. Both pages show "Reconnecting…"; a message written meanwhile waits
// in the outbox; one page stays cut off while its peer keeps writing, then catches up: every
// message once, in seq order, its own message stored exactly once.
//
// The shared server from playwright.config.ts must not die, so this test runs its own
// server process (the same binary, resolved as the config does). The browsers reach it
// through a small TCP gate in this file, which can refuse one user's WebSocket handshakes:
// a real network-level block (the handshake fails, the page keeps reconnecting) rather than
// a mocked socket that would look open to the page.

import { test, expect, request as playwrightRequest, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { account, api, befriend, browserFor, conv, hydrated } from './helpers';

const repoRoot = path.resolve(__dirname, '..', '..');
const bin = path.resolve(repoRoot, process.env.PARLEY_BIN ?? 'target/release/parley');

/** Asks the OS for a free port (free again once this returns; the caller binds it next). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** One server process on a fixed port and data directory, started again at will. */
class Server {
  private child: ChildProcess | null = null;
  private stderr = '';

  constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly publicOrigin: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn(bin, [], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        PARLEY_ADDR: `127.0.0.1:${this.port}`,
        PARLEY_DATA_DIR: this.dataDir,
        PARLEY_PUBLIC_ORIGIN: this.publicOrigin,
        LEPTOS_SITE_ROOT: 'target/site',
        RUST_LOG: 'warn',
      },
    });
    this.child.stderr?.on('data', (d) => (this.stderr += String(d)));
    const child = this.child;
    await expect
      .poll(
        async () => {
          expect(child.exitCode, `server exited: ${this.stderr}`).toBeNull();
          return fetch(`${this.url}/healthz`).then(
            (r) => r.status,
            () => 0,
          );
        },
        { timeout: 60_000 },
      )
      .toBe(200);
  }

  /** SIGKILL: no drain, no close frames; the process is gone when this returns. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }
}

/**
 * A TCP forwarder in front of the server. While `blocked` is set, a connection whose first
 * request is a WebSocket handshake carrying `blocked` (a session cookie) is cut at once.
 * Everything else is piped through untouched; a connection fails when the server is down.
 */
class Gate {
  blocked: string | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;

  constructor(private readonly upstream: number) {
    this.server = net.createServer((client) => this.accept(client));
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve) => this.server.listen(port, '127.0.0.1', resolve));
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
  }

  private accept(client: net.Socket): void {
    this.track(client);
    client.once('data', (first) => {
      const head = first.toString('latin1');
      if (this.blocked && head.startsWith('GET /ws') && head.includes(this.blocked)) {
        client.destroy();
        return;
      }
      client.pause();
      const up = net.connect(this.upstream, '127.0.0.1');
      this.track(up);
      up.on('connect', () => {
        up.write(first);
        client.pipe(up);
        up.pipe(client);
        client.resume();
      });
      up.on('close', () => client.destroy());
      client.on('close', () => up.destroy());
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** The text bubbles of a page's open conversation, top to bottom. */
function bubbles(page: Page): Promise<string[]> {
  return page
    .getByRole('list', { name: 'Messages' })
    .locator('.msg .bubble')
    .evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));
}

test('the server is killed and restarted mid-conversation: nothing lost, nothing twice', async ({
  browser,
}) => {
  // Reconnect backoff grows to 20 s (with jitter up to 30 s); leave room for two rounds.
  test.setTimeout(180_000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-restart-'));
  const gatePort = await freePort();
  const origin = `http://127.0.0.1:${gatePort}`;
  const server = new Server(await freePort(), dataDir, origin);
  const gate = new Gate(server.port);
  await gate.listen(gatePort);
  const bot = await playwrightRequest.newContext({ baseURL: server.url });
  try {
    await server.start();
    const a = await account(server.url, 'Ada');
    const b = await account(server.url, 'Bob');
    await befriend(bot, a, b);
    const key = conv(a, b);
    const pa = await browserFor(browser, origin, a);
    const pb = await browserFor(browser, origin, b);
    for (const p of [pa, pb]) {
      await p.goto(`/?c=${key}`);
      await hydrated(p);
    }
    const banner = (p: Page) => p.getByRole('status').filter({ hasText: 'Reconnecting…' });
    const mine = (p: Page) => p.getByRole('list', { name: 'Messages' }).locator('.msg.mine');
    const theirs = (p: Page) => p.getByRole('list', { name: 'Messages' }).locator('.msg.theirs');

    // A live exchange first: both sockets are up.
    await pa.getByRole('textbox', { name: 'Message' }).fill('before the crash');
    await pa.keyboard.press('Enter');
    await expect(theirs(pb)).toContainText('before the crash');
    await pb.getByRole('textbox', { name: 'Message' }).fill('seen it');
    await pb.keyboard.press('Enter');
    await expect(theirs(pa)).toContainText('seen it');
    await expect(pa.locator('.msg-status:not(.read)')).toHaveCount(0);

    await server.kill();
    for (const p of [pa, pb]) {
      await expect(banner(p)).toBeVisible({ timeout: 30_000 });
    }
    // Written while the server is gone: it waits in the outbox.
    await pa.getByRole('textbox', { name: 'Message' }).fill('written during the outage');
    await pa.keyboard.press('Enter');
    await expect(mine(pa).filter({ hasText: 'written during the outage' })).toHaveCount(1);
    await expect(pa.getByRole('status').filter({ hasText: 'Sending…' })).toBeVisible();

    // Ada's socket stays cut off while the server comes back and Bob writes three times.
    const [cookie] = (await pa.context().cookies()).filter((c) => c.httpOnly);
    expect(cookie, 'a session cookie').toBeTruthy();
    gate.blocked = `${cookie.name}=${cookie.value}`;
    await server.start();
    await expect(banner(pb)).toHaveCount(0, { timeout: 60_000 });
    const later = ['after one', 'after two', 'after three'];
    for (const [i, content] of later.entries()) {
      await api(bot, b, `/api/conversations/${key}/messages`, { cid: `later-${i}`, media: 1, content });
    }
    await expect(mine(pb).filter({ hasText: 'after three' })).toHaveCount(1);
    await expect(banner(pa)).toBeVisible();
    expect(await bubbles(pa)).not.toContain('after one');

    // Unblocked: Ada catches up and her waiting message goes out, each exactly once.
    gate.blocked = null;
    await expect(banner(pa)).toHaveCount(0, { timeout: 60_000 });
    // Her message reaches the server only now, after Bob's three: it comes last.
    const expected = ['before the crash', 'seen it', ...later, 'written during the outage'];
    await expect.poll(() => bubbles(pa), { timeout: 30_000 }).toEqual(expected);
    await expect(pa.locator('.msg-status:not(.read)')).toHaveCount(0);
    for (const text of expected) {
      await expect(
        pa.getByRole('list', { name: 'Messages' }).locator('.msg').filter({ hasText: text }),
      ).toHaveCount(1);
    }
    // Bob saw it live, once.
    await expect(theirs(pb).filter({ hasText: 'written during the outage' })).toHaveCount(1);

    // The server stored each message once, in this order, each cid once.
    const res = await bot.get(`/api/conversations/${key}/messages?limit=100`, {
      headers: { authorization: `Bearer ${b.token}` },
    });
    expect(res.status()).toBe(200);
    const history: { cid: string; seq: number; content: string; userid: number }[] = await res.json();
    expect(history.map((m) => m.content)).toEqual(expected);
    expect(history.map((m) => m.seq)).toEqual([...history.map((m) => m.seq)].sort((x, y) => x - y));
    expect(new Set(history.map((m) => `${m.userid}:${m.cid}`)).size).toBe(history.length);
    // A reload agrees with what the live page shows.
    await pa.reload();
    await expect.poll(() => bubbles(pa)).toEqual(expected);
    await pa.context().close();
    await pb.context().close();
  } finally {
    await bot.dispose();
    await server.kill();
    await gate.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
