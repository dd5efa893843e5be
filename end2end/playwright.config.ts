// Playwright drives Debian's Chromium (no browser downloads here) against a release build of
// Parley that this config starts itself, on a free port and a fresh data directory for every run.
//
// Build first (`cargo leptos build --release` at the repo root), then `npm test` here.
// Environment:
//   PARLEY_BIN        server binary; relative paths are taken from the repo root
//                     (default: target/release/parley)
//   PARLEY_E2E_PORT   port for the test server (default: a free port the runner picks, so a
//                     run never collides with anything already listening)
//   CHROMIUM_PATH     browser executable (default: /usr/bin/chromium)

import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..');
const bin = path.resolve(repoRoot, process.env.PARLEY_BIN ?? 'target/release/parley');

// Playwright loads this file in the runner and again in every worker; the workers inherit the
// runner's environment, so only the runner picks the port and creates (and later removes) the
// data directory, and the workers find both in the environment.
if (!process.env.PARLEY_E2E_PORT) {
  // The config is loaded synchronously, so a child process asks the OS for a free port: it
  // binds port 0 and prints what it got. The port is free again once the child exits; the
  // server binds it a moment later.
  const probe =
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})";
  process.env.PARLEY_E2E_PORT = execFileSync(process.execPath, ['-e', probe], {
    encoding: 'utf8',
  }).trim();
}
const port = Number(process.env.PARLEY_E2E_PORT);
const baseURL = `http://127.0.0.1:${port}`;

let dataDir = process.env.PARLEY_E2E_DATA_DIR;
if (!dataDir) {
  const created = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-e2e-'));
  dataDir = created;
  process.env.PARLEY_E2E_DATA_DIR = created;
  process.on('exit', () => fs.rmSync(created, { recursive: true, force: true }));
}

/** Quotes a path for the shell that Playwright runs `webServer.command` in. */
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: process.env.CI ? 1 : 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: 'list',
  outputDir: './test-results',
  use: {
    baseURL,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // A fake camera and microphone (a test pattern and a beep) that every page may use
        // without a prompt: media.spec records with them; other specs never ask for them.
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
      ],
    },
  },
  projects: [
    // Hydrated app; tests tagged @nojs are about the no-JavaScript path and skip this project.
    { name: 'js', grepInvert: /@nojs/, use: { javaScriptEnabled: true } },
    // Plain HTML forms only.
    { name: 'nojs', grep: /@nojs/, use: { javaScriptEnabled: false } },
  ],
  webServer: {
    command: shellQuote(bin),
    cwd: repoRoot,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      PARLEY_ADDR: `127.0.0.1:${port}`,
      PARLEY_DATA_DIR: dataDir,
      LEPTOS_SITE_ROOT: 'target/site',
      RUST_LOG: 'warn',
      // Every test logs in from 127.0.0.1; keep the per-address throttle out of the way of
      // the few deliberate wrong-password attempts (the throttle has its own Rust tests).
      PARLEY_LOGIN_MAX_FAILURES_PER_ADDR: '1000',
      // Every spec signs people up from 127.0.0.1 too.
      PARLEY_REGISTER_PER_ADDR_PER_HOUR: '100000',
      PARLEY_REGISTER_PER_HOUR: '100000',
      // actions.spec checks that Edit leaves the menu once the window has passed.
      PARLEY_EDIT_WINDOW_SECS: '10',
    },
  },
});
