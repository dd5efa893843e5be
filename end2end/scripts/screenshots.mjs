// Screenshots of the chat shell for people to look at (not a test): starts the release
// binary on a free port with a fresh data directory, seeds users with Chinese, Arabic and
// Latin names through the REST API, then photographs the shell at 1280 and 360 px wide in
// light and dark, in English and Chinese, on a Shanghai clock. Usage: node end2end/scripts/screenshots.mjs [out-dir]  (from the repo root,
// after `make build`). Output: <out-dir>/<view>-<width>-<scheme>-<locale>.png (default /tmp/parley-shots).
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const out = process.argv[2] ?? '/tmp/parley-shots';
fs.mkdirSync(out, { recursive: true });
const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const base = `http://127.0.0.1:${port}`;
const data = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-shots-'));
const server = spawn('target/release/parley', [], {
  env: { ...process.env, PARLEY_ADDR: `127.0.0.1:${port}`, PARLEY_DATA_DIR: data, RUST_LOG: 'warn' },
  stdio: 'inherit',
});
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {}
    if (i > 300) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const call = async (method, p, body, token) => {
    const res = await fetch(base + p, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  };
  const people = {};
  for (const [username, nickname] of [
    ['zhangwei', '张伟'],
    ['layla', 'ليلى'],
    ['bob', 'Bob Marley'],
    ['liuyang', '刘洋'],
  ]) {
    await call('POST', '/api/register', { username, password: 'shots-password', nickname });
    const { user, token } = await call('POST', '/api/login', { username, password: 'shots-password' });
    people[username] = { ...user, token };
  }
  const me = people.zhangwei;
  for (const other of ['layla', 'bob', 'liuyang']) {
    await call('POST', '/api/friends', { user_id: people[other].id }, me.token);
  }
  const group = await call('POST', '/api/groups', { name: '周末爬山群', memo: '每周六早上八点，香山东门集合' }, me.token);
  for (const other of ['layla', 'bob']) {
    await call('POST', `/api/groups/${group.id}/join`, null, people[other].token);
  }
  await call('POST', '/api/groups', { name: 'Rust 学习小组' }, people.bob.token);
  // A group conversation with several media kinds, and a 1:1 with a few texts.
  const say = (who, conv, cid, body) =>
    call('POST', `/api/conversations/${conv}/messages`, { cid, ...body }, people[who].token);
  const g = `g:${group.id}`;
  await say('zhangwei', g, 'g1', { media: 1, content: '周六早上八点，香山东门见！记得带水 💧' });
  await say('layla', g, 'g2', { media: 1, content: 'سأكون هناك! I will bring snacks.' });
  await say('bob', g, 'g3', { media: 2, content: 'Weekend weather: sunny, 24°C', url: 'https://example.com/weather', memo: 'Light wind from the north-west, perfect for hiking.' });
  await say('layla', g, 'g4', { media: 6, content: '🥾' });
  await say('zhangwei', g, 'g5', { media: 5, amount: 888, memo: '辛苦大家了' });
  await say('bob', g, 'g6', { media: 7, url: 'https://example.com/trail-map' });
  await say('layla', g, 'g7', { media: 9, content: String(people.liuyang.id), memo: '刘洋' });
  await say('bob', g, 'g8', { media: 1, content: 'Route: https://example.com/route\nMeet at the east gate.' });
  const p = (a, b) => `p:${Math.min(people[a].id, people[b].id)}:${Math.max(people[a].id, people[b].id)}`;
  await say('liuyang', p('zhangwei', 'liuyang'), 'p1', { media: 1, content: '明天有空吗？' });
  await say('zhangwei', p('zhangwei', 'liuyang'), 'p2', { media: 1, content: '有的，下午三点？' });

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  for (const scheme of ['light', 'dark']) {
    for (const [width, height] of [[1280, 800], [360, 740]]) {
      for (const locale of ['en', 'zh-CN']) {
        const context = await browser.newContext({
          baseURL: base,
          colorScheme: scheme,
          viewport: { width, height },
          locale,
          timezoneId: 'Asia/Shanghai',
        });
        const page = await context.newPage();
        await page.goto('/login');
        await page.locator('input[name=username]').fill('zhangwei');
        await page.locator('input[name=password]').fill('shots-password');
        await page.locator('form[action="/login"] button[type=submit]').click();
        await page.waitForURL((u) => u.pathname === '/');
        const shot = (view) =>
          page.screenshot({ path: path.join(out, `${view}-${width}-${scheme}-${locale}.png`), fullPage: true });
        for (const [view, href] of [
          ['chats', '/'],
          ['conversation', `/?c=g:${group.id}`],
          ['private', `/?c=${p('zhangwei', 'liuyang')}`],
          ['friends', '/?tab=friends'],
          ['group', `/?tab=groups&group=${group.id}`],
        ]) {
          await page.goto(href);
          await page.waitForLoadState('networkidle');
          await shot(view);
        }
        // The emoji picker over the group conversation.
        await page.goto(`/?c=g:${group.id}`);
        await page.waitForLoadState('networkidle');
        await page.locator('.emoji-picker > button').click();
        await page.locator('.emoji-panel').waitFor();
        await shot('emoji');
        await context.close();
      }
    }
  }
  await browser.close();
  console.log(`screenshots in ${out}`);
} finally {
  server.kill('SIGTERM');
  fs.rmSync(data, { recursive: true, force: true });
}
