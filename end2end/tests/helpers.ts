// What the browser specs share: accounts made over the REST API (as a bot would), bearer
// calls, a logged-in browser context and conversation keys.

import {
  expect,
  request as playwrightRequest,
  type APIRequestContext,
  type Browser,
  type Page,
} from '@playwright/test';

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

/** A browser context logged in as `who` through the login form. */
export async function browserFor(browser: Browser, baseURL: string | undefined, who: Account): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  page.on('dialog', (d) => {
    throw new Error(`unexpected dialog: ${d.message()}`);
  });
  await page.goto('/login');
  await page.locator('input[name=username]').fill(who.username);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/');
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
