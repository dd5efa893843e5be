// What the browser specs share: accounts made over the REST API (as a bot would), bearer
// calls, a logged-in browser context and conversation keys.

import {
  expect,
  request as playwrightRequest,
  type APIRequestContext,
  type Browser,
  type Page,
} from '@playwright/test';
import zlib from 'node:zlib';

export const PASSWORD = 'correct-horse-42';

export interface Account {
  id: number;
  username: string;
  nickname: string;
  token: string;
}

/** A username no other test (or earlier run against the same server) uses. */
export function uniqueUsername(): string {
  return `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

/**
 * Registers and logs in through the REST API (the browser part starts after), like a bot:
 * in a client of its own, so no session cookie rides along (a cookie-carrying POST without
 * our Origin is refused as cross-site, as it should be).
 */
export async function account(baseURL: string | undefined, name: string): Promise<Account> {
  const request = await playwrightRequest.newContext({ baseURL });
  const username = uniqueUsername();
  const nickname = `${name} ${username.slice(-4)}`;
  const reg = await request.post('/api/register', { data: { username, password: PASSWORD, nickname } });
  expect(reg.status()).toBe(201);
  const login = await request.post('/api/login', { data: { username, password: PASSWORD } });
  expect(login.status()).toBe(200);
  const body = await login.json();
  await request.dispose();
  return { id: body.user.id, username, nickname, token: body.token };
}

export async function api(request: APIRequestContext, who: Account, path: string, data: object) {
  const res = await request.post(path, { data, headers: { authorization: `Bearer ${who.token}` } });
  expect(res.ok(), `${path}: ${res.status()} ${await res.text()}`).toBeTruthy();
  return res;
}

/** Makes `a` and `b` friends the way people do: `a` asks, `b` accepts. */
export async function befriend(request: APIRequestContext, a: Account, b: Account): Promise<void> {
  await api(request, a, '/api/friends', { user_id: b.id });
  await api(request, b, `/api/friends/requests/${a.id}/accept`, {});
}

/** Logs `page` (of a context with a `baseURL`) in as `who` through the login form. */
export async function logIn(page: Page, who: Account): Promise<void> {
  await page.goto('/login');
  await page.locator('input[name=username]').fill(who.username);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/');
}

/** A browser context logged in as `who` through the login form. */
export async function browserFor(browser: Browser, baseURL: string | undefined, who: Account): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  page.on('dialog', (d) => {
    throw new Error(`unexpected dialog: ${d.message()}`);
  });
  await logIn(page, who);
  return page;
}

export function conv(a: Account, b: Account): string {
  return `p:${Math.min(a.id, b.id)}:${Math.max(a.id, b.id)}`;
}

/**
 * Waits until the page is hydrated: the bundle's script runs synchronously once the module is
 * instantiated, so "network idle and a .wasm was fetched" is enough.
 */
export async function hydrated(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle');
  await expect
    .poll(() =>
      page.evaluate(() =>
        performance.getEntriesByType('resource').some((e) => /\.wasm([?#]|$)/.test(e.name)),
      ),
    )
    .toBe(true);
}

// ---- A PNG made here, so specs need no binary fixture. ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A `width`×`height` RGB PNG: a diagonal gradient tinted by `tint` (so each differs). */
export function png(width: number, height: number, tint = 0): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      rows[row + 1 + x * 3] = (x * 255) / width;
      rows[row + 2 + x * 3] = (y * 255) / height;
      rows[row + 3 + x * 3] = tint;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Uploads `bytes` as `who` (`POST /api/upload`, bearer auth): the server's answer. */
export async function upload(
  request: APIRequestContext,
  who: Account,
  name: string,
  mimeType: string,
  bytes: Buffer,
): Promise<{ url: string; pic?: string; width?: number; height?: number }> {
  const res = await request.post('/api/upload', {
    multipart: { file: { name, mimeType, buffer: bytes } },
    headers: { authorization: `Bearer ${who.token}` },
  });
  expect(res.status(), `upload ${name}: ${await res.text()}`).toBe(201);
  return res.json();
}
