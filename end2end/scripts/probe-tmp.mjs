import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
const port = 39000 + Math.floor(Math.random()*1000);
const base = `http://127.0.0.1:${port}`;
const data = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-'));
const server = spawn('target/release/parley', [], { env: { ...process.env, PARLEY_ADDR: `127.0.0.1:${port}`, PARLEY_DATA_DIR: data, RUST_LOG: 'warn' }, stdio: 'inherit' });
try {
  for (let i = 0; ; i++) { try { if ((await fetch(`${base}/healthz`)).ok) break; } catch {} await new Promise(r => setTimeout(r, 100)); }
  const call = async (m, p, b, t) => { const r = await fetch(base + p, { method: m, headers: { 'content-type': 'application/json', ...(t ? { authorization: `Bearer ${t}` } : {}) }, body: b ? JSON.stringify(b) : undefined }); return r.status === 204 ? null : r.json(); };
  const ppl = {};
  for (const n of ['anna', 'benny']) { await call('POST', '/api/register', { username: n, password: 'pw-pw-pw-pw' }); const { user, token } = await call('POST', '/api/login', { username: n, password: 'pw-pw-pw-pw' }); ppl[n] = { ...user, token }; }
  await call('POST', '/api/friends', { user_id: ppl.benny.id }, ppl.anna.token);
  const c = `p:${Math.min(ppl.anna.id, ppl.benny.id)}:${Math.max(ppl.anna.id, ppl.benny.id)}`;
  await call('POST', `/api/conversations/${c}/messages`, { cid: 'x1', media: 1, content: 'hello' }, ppl.benny.token);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  page.on('console', m => console.log('CONSOLE', m.type(), m.text().slice(0, 500)));
  page.on('pageerror', e => console.log('PAGEERROR', e.message.slice(0, 800)));
  await page.goto(`${base}/login`);
  await page.fill('input[name=username]', 'anna'); await page.fill('input[name=password]', 'pw-pw-pw-pw');
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/`);
  await page.goto(`${base}/?c=${c}`);
  await page.waitForTimeout(2000);
  const msg = page.locator('li.msg', { hasText: 'hello' });
  await msg.hover();
  await msg.getByRole('button', { name: 'More actions' }).click();
  await page.waitForTimeout(300);
  console.log('items', await page.getByRole('menuitem').allTextContents());
  await page.getByRole('menuitem', { name: 'React' }).click();
  await page.waitForTimeout(300);
  console.log('after react', await page.getByRole('menuitem').allTextContents());
  await page.screenshot({ path: '/tmp/probe1.png' });
  await browser.close();
} finally { server.kill(); }
