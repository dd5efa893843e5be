// Screenshots of the chat shell for people to look at (not a test): starts the release
// binary on a free port with a fresh data directory, seeds users with Chinese, Arabic and
// Latin names through the REST API, then photographs the shell at 1280 and 360 px wide in
// light and dark, in English and Chinese, on a Shanghai clock. Usage: node end2end/scripts/screenshots.mjs [out-dir] [media]
// (from the repo root, after `make build`; `media` photographs only the media views: a
// conversation with image, voice and video messages, the composer's tools, the camera dialog,
// a voice note recording and an upload in progress, with Chromium's fake camera and microphone).
// PARLEY_BIN names the server binary (default target/release/parley).
// Output: <out-dir>/<view>-<width>-<scheme>-<locale>.png (default /tmp/parley-shots).
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

const onlyMedia = process.argv[3] === 'media';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};
/** A landscape-ish picture: sky, sun and hills, `w`×`h`. */
function scenePng(w, h) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(w, 0);
  header.writeUInt32BE(h, 4);
  header[8] = 8;
  header[9] = 2;
  const rows = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * (w * 3 + 1) + 1 + x * 3;
      const hill = h * (0.62 + 0.08 * Math.sin(x / (w / 6)));
      const sun = (x - w * 0.72) ** 2 + (y - h * 0.3) ** 2 < (h * 0.09) ** 2;
      let rgb;
      if (sun) rgb = [255, 214, 102];
      else if (y > hill) rgb = [60 + (40 * y) / h, 130 - (50 * (y - hill)) / h, 70];
      else rgb = [120 + (100 * y) / h, 170 + (60 * y) / h, 235];
      rows[i] = rgb[0];
      rows[i + 1] = rgb[1];
      rows[i + 2] = rgb[2];
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
/** `secs` seconds of a soft two-tone chime as 16-bit mono WAV. */
function wav(secs) {
  const rate = 8000;
  const n = rate * secs;
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const v = 0.3 * Math.sin(2 * Math.PI * 440 * t) * Math.exp(-(t % 1) * 3);
    data.writeInt16LE(Math.round(v * 32767), i * 2);
  }
  const head = Buffer.alloc(44);
  head.write('RIFF', 0);
  head.writeUInt32LE(36 + data.length, 4);
  head.write('WAVEfmt ', 8);
  head.writeUInt32LE(16, 16);
  head.writeUInt16LE(1, 20);
  head.writeUInt16LE(1, 22);
  head.writeUInt32LE(rate, 24);
  head.writeUInt32LE(rate * 2, 28);
  head.writeUInt16LE(2, 32);
  head.writeUInt16LE(16, 34);
  head.write('data', 36);
  head.writeUInt32LE(data.length, 40);
  return Buffer.concat([head, data]);
}

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
const server = spawn(process.env.PARLEY_BIN ?? 'target/release/parley', [], {
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
    ['wangfang', '王芳'],
    ['chenjing', 'Chen Jing'],
    ['xiaoming', '小明'],
  ]) {
    await call('POST', '/api/register', { username, password: 'shots-password', nickname });
    const { user, token } = await call('POST', '/api/login', { username, password: 'shots-password' });
    people[username] = { ...user, token };
  }
  const me = people.zhangwei;
  for (const other of ['layla', 'bob', 'liuyang']) {
    await call('POST', '/api/friends', { user_id: people[other].id }, me.token);
    await call('POST', `/api/friends/requests/${me.id}/accept`, null, people[other].token);
  }
  // Status lines, as friends set them in Settings.
  await call('PATCH', '/api/me', { status: 'On tour until Friday 🎸' }, people.bob.token);
  await call('PATCH', '/api/me', { status: '在开会，晚点回复' }, people.liuyang.token);
  // Requests both ways: one waiting for my answer (with a note), one of mine pending.
  await call('POST', '/api/friends', { user_id: me.id, note: '我是王芳，周末爬山群里见过 👋' }, people.wangfang.token);
  await call('POST', '/api/friends', { user_id: people.chenjing.id }, me.token);
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
  // What people then do to messages: a recall, a reply, reactions, an edit and a pin.
  const act = (who, conv, cid, body) =>
    call('POST', `/api/conversations/${conv}/actions`, { cid, ...body }, people[who].token);
  await say('zhangwei', g, 'g9', { media: 1, content: '发错群了' });
  await act('zhangwei', g, 'a1', { act: 'recall', target: 9 });
  await say('layla', g, 'g10', { media: 1, content: 'حسنا! I will bring fruit 🍎', reply_to: 1 });
  await act('layla', g, 'a2', { act: 'react', target: 8, content: '👍' });
  await act('zhangwei', g, 'a3', { act: 'react', target: 8, content: '👍' });
  await act('bob', g, 'a4', { act: 'react', target: 8, content: '❤️' });
  await act('bob', g, 'a5', { act: 'edit', target: 8, content: 'Route: https://example.com/route\nMeet at the east gate, 7:50.' });
  await act('zhangwei', g, 'a6', { act: 'pin', target: 1 });
  const p = (a, b) => `p:${Math.min(people[a].id, people[b].id)}:${Math.max(people[a].id, people[b].id)}`;
  await say('liuyang', p('zhangwei', 'liuyang'), 'p1', { media: 1, content: '明天有空吗？' });
  await say('zhangwei', p('zhangwei', 'liuyang'), 'p2', { media: 1, content: '有的，下午三点？' });
  // A stranger writes: the conversation offers Add friend, Block and Report.
  await say('xiaoming', p('zhangwei', 'xiaoming'), 's1', { media: 1, content: '你好，可以加个好友吗？我卖保险的 😀' });

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });

  // Media: files uploaded as the people themselves would (a picture, a voice note, a clip
  // recorded from the fake camera with its poster), then a 1:1 conversation holding them.
  const upload = async (who, name, type, bytes) => {
    const form = new FormData();
    form.append('file', new Blob([bytes], { type }), name);
    const res = await fetch(`${base}/api/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${people[who].token}` },
      body: form,
    });
    if (!res.ok) throw new Error(`upload ${name}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const recorder = await browser.newPage();
  await recorder.goto(`${base}/healthz`);
  const clip = await recorder.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
    const video = document.createElement('video');
    video.muted = true;
    video.srcObject = stream;
    await video.play();
    await new Promise((r) => setTimeout(r, 300));
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d').drawImage(video, 0, 0);
    const poster = await new Promise((r) => canvas.toBlob(r, 'image/jpeg', 0.85));
    const rec = new MediaRecorder(stream, { mimeType: 'video/webm' });
    const parts = [];
    rec.ondataavailable = (e) => parts.push(e.data);
    rec.start();
    await new Promise((r) => setTimeout(r, 2000));
    await new Promise((r) => {
      rec.onstop = r;
      rec.stop();
    });
    stream.getTracks().forEach((t) => t.stop());
    const bytes = async (b) => [...new Uint8Array(await b.arrayBuffer())];
    return { video: await bytes(new Blob(parts, { type: 'video/webm' })), poster: await bytes(poster), w: canvas.width, h: canvas.height };
  });
  await recorder.close();
  const mp = p('zhangwei', 'liuyang');
  const photo = await upload('liuyang', 'xiangshan.png', 'image/png', scenePng(1200, 800));
  await say('liuyang', mp, 'm1', { media: 1, content: '上周末拍的香山 🍁' });
  await say('liuyang', mp, 'm2', { media: 4, url: photo.url, pic: photo.pic ?? '', width: photo.width ?? 0, height: photo.height ?? 0 });
  const voice = await upload('zhangwei', 'voice.wav', 'audio/wav', wav(4));
  await say('zhangwei', mp, 'm3', { media: 3, url: voice.url, amount: 4 });
  const tall = await upload('zhangwei', 'tall.png', 'image/png', scenePng(600, 900));
  await say('zhangwei', mp, 'm4', { media: 4, url: tall.url, pic: tall.pic ?? '', width: tall.width ?? 0, height: tall.height ?? 0 });
  const poster = await upload('liuyang', 'poster.jpg', 'image/jpeg', Buffer.from(clip.poster));
  const video = await upload('liuyang', 'clip.webm', 'video/webm', Buffer.from(clip.video));
  await say('liuyang', mp, 'm5', { media: 8, url: video.url, pic: poster.url, width: clip.w, height: clip.h });
  const reply = await upload('liuyang', 'reply.wav', 'audio/wav', wav(12));
  await say('liuyang', mp, 'm6', { media: 3, url: reply.url, amount: 12 });

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
        const mediaViews = async () => {
          await page.goto(`/?c=${mp}`);
          await page.waitForLoadState('networkidle');
          await page.waitForFunction(() => [...document.images].every((i) => i.complete));
          await shot('media');
          // Further up: my voice note and a portrait picture.
          await page.locator('.msg.mine[data-media="3"]').scrollIntoViewIfNeeded();
          await shot('media-up');
          // The tools: on a narrow screen, the "+" menu opened.
          if (width < 480) {
            await page.locator('.more-button').click();
            await shot('tools');
            await page.locator('.more-button').click();
          }
          // The camera dialog with the (fake) live picture.
          if (width < 480) await page.locator('.more-button').click();
          await page.locator('.tool-camera').click();
          await page.locator('.camera-preview').waitFor();
          await page.waitForFunction(() => document.querySelector('.camera-preview')?.readyState >= 2);
          await page.waitForTimeout(300);
          await shot('camera');
          await page.keyboard.press('Escape');
          // A voice note recording.
          await page.locator('.tool-voice').click();
          await page.locator('.voice-bar').waitFor();
          await page.waitForTimeout(1600);
          await shot('voice');
          await page.locator('.voice-bar button.secondary').click();
          // An upload in progress (held at the network) over the conversation.
          await page.route('**/api/upload', () => {});
          await page.locator('input.file-picker').setInputFiles({ name: 'p.png', mimeType: 'image/png', buffer: scenePng(800, 600) });
          await page.locator('.msg.upload').waitFor();
          await shot('upload');
          await page.locator('.msg.upload ~ .msg-status button').click();
          await page.unroute('**/api/upload');
        };
        if (onlyMedia) {
          await mediaViews();
          await context.close();
          continue;
        }
        for (const [view, href] of [
          ['chats', '/'],
          ['conversation', `/?c=g:${group.id}`],
          ['private', `/?c=${p('zhangwei', 'liuyang')}`],
          ['friends', '/?tab=friends'],
          ['stranger', `/?c=${p('zhangwei', 'xiaoming')}`],
          ['settings', '/settings'],
          ['group', `/?tab=groups&group=${group.id}`],
        ]) {
          await page.goto(href);
          await page.waitForLoadState('networkidle');
          await shot(view);
        }
        // A friend's profile sheet, opened from the Friends tab.
        await page.goto('/?tab=friends');
        await page.waitForLoadState('networkidle');
        await page.locator('.row.friend .more').first().click();
        await page.locator('.profile-sheet .sheet-actions').waitFor();
        await shot('sheet');
        await page.keyboard.press('Escape');
        // The group conversation scrolled to its very beginning (older pages loaded).
        await page.goto(`/?c=g:${group.id}`);
        await page.waitForLoadState('networkidle');
        await page.locator('.message-scroll').hover();
        for (let i = 0; i < 6; i++) {
          await page.mouse.wheel(0, -4000);
          await page.waitForTimeout(400);
        }
        await shot('top');
        // The emoji picker over the group conversation.
        await page.goto(`/?c=g:${group.id}`);
        await page.waitForLoadState('networkidle');
        await page.locator('.emoji-picker > button').click();
        await page.locator('.emoji-panel').waitFor();
        await shot('emoji');
        await page.keyboard.press('Escape');
        // A message's "More actions" menu, then replying to it (the bar over the composer).
        const route = page.locator('li.msg', { hasText: 'east gate' });
        await route.hover();
        await route.locator('.more').click();
        await page.locator('.menu-pop').waitFor();
        await shot('actions');
        await page.locator('.menu-pop [role=menuitem]').first().click();
        await page.locator('.compose-bar').waitFor();
        await shot('reply');
        await page.keyboard.press('Escape');
        // Choosing messages to forward together: check boxes, and the bar for the composer.
        await route.hover();
        await route.locator('.more').click();
        await page.locator('.menu-pop [role=menuitem]', { hasText: /^(Select|多选)$/ }).click();
        await page.locator('.selection-bar').waitFor();
        await page.locator('li.msg .select-box input').last().check();
        await shot('select');
        await page.keyboard.press('Escape');
        // The full emoji picker behind the quick reactions.
        await route.hover();
        await route.locator('.more').click();
        await page.locator('.menu-pop [role=menuitem]', { hasText: /^(React|表情回应)$/ }).click();
        await page.locator('.more-emoji').click();
        await page.locator('.reaction-picker .emoji-panel').waitFor();
        await shot('react-picker');
        await page.keyboard.press('Escape');
        await mediaViews();
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
