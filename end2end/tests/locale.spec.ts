// Language, time zone and the narrow layout, as people abroad and on phones meet them: the
// page follows the browser's language until the switch is used (then it remembers), times
// show on the reader's clock, and at 360 px the list and the conversation take turns.

import { test, expect, type Browser, type BrowserContextOptions, type Page } from '@playwright/test';
import { PASSWORD, account, api, befriend, conv, hydrated, type Account } from './helpers';

/** A fresh browser context with `options`, logged in as `who` through the login form. */
async function loggedIn(
  browser: Browser,
  baseURL: string | undefined,
  who: Account,
  options: BrowserContextOptions,
  logIn = 'Log in',
): Promise<Page> {
  const context = await browser.newContext({ baseURL, ...options });
  const page = await context.newPage();
  await page.goto('/login');
  await page.locator('input[name=username]').fill(who.username);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.getByRole('button', { name: logIn }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/');
  return page;
}

test('Chinese from the browser, the switch to English is remembered, and back', async ({
  browser,
  baseURL,
}) => {
  const a = await account(baseURL, '安');
  const page = await loggedIn(browser, baseURL, a, { locale: 'zh-CN' }, '登录');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(page.getByRole('tab', { name: '聊天' })).toBeVisible();
  await expect(page.getByRole('tab', { name: '好友' })).toBeVisible();
  await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();
  await hydrated(page);

  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('tab', { name: 'Chats' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  // The server renders the next page in the chosen language, whatever the browser asks for.
  await page.reload();
  await expect(page.getByRole('tab', { name: 'Chats' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();

  await hydrated(page);
  await page.getByRole('button', { name: '中文' }).click();
  await expect(page.getByRole('tab', { name: '群组' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('tab', { name: '群组' })).toBeVisible();
  await page.context().close();
});

test('a conversation in Chinese on a Shanghai clock: day separator, times, errors', async ({
  browser,
  baseURL,
  request,
}) => {
  const a = await account(baseURL, '安');
  const b = await account(baseURL, '本');
  await befriend(request, a, b);
  const sent = await api(request, b, `/api/conversations/${conv(a, b)}/messages`, {
    cid: 'tz1',
    media: 1,
    content: '你好',
  });
  const ts: number = (await sent.json()).ts;
  const shanghai = new Date(ts).toLocaleTimeString('en-GB', {
    timeZone: 'Asia/Shanghai',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });

  const page = await loggedIn(browser, baseURL, a, { locale: 'zh-CN', timezoneId: 'Asia/Shanghai' }, '登录');
  await page.goto(`/?c=${conv(a, b)}`);
  const messages = page.getByRole('list', { name: '消息' });
  await expect(messages.getByRole('separator')).toHaveText('今天');
  await expect(messages.locator('.msg.theirs .msg-time')).toHaveText(shanghai);
  await expect(page.getByRole('textbox', { name: '消息' })).toBeVisible();
  await expect(page.getByRole('button', { name: '发送', exact: true })).toBeVisible();
  // After the first visit the server knows the clock too: the HTML already has the right time.
  const html = await (await page.request.get(`/?c=${conv(a, b)}`)).text();
  expect(html).toContain(`>${shanghai}</time>`);

  // The Chats list shows the time of the last message.
  await page.goto('/');
  const row = page.getByRole('list', { name: '会话' }).getByRole('link', { name: b.nickname });
  await expect(row.locator('.list-time')).toHaveText(shanghai);
  await page.context().close();
});

test('at 360 px the list and the conversation take turns, nothing overflows', async ({
  browser,
  baseURL,
  request,
}) => {
  const a = await account(baseURL, 'Ann');
  const b = await account(baseURL, 'Ben');
  await befriend(request, a, b);
  await api(request, b, `/api/conversations/${conv(a, b)}/messages`, {
    cid: 'n1',
    media: 1,
    content: 'A long line that has to wrap on a phone screen instead of widening the page '.repeat(3),
  });
  const page = await loggedIn(browser, baseURL, a, { viewport: { width: 360, height: 740 } });
  const chats = page.getByRole('list', { name: 'Conversations' });
  await expect(chats).toBeVisible();
  await chats.getByRole('link', { name: b.nickname }).click();
  await expect(page).toHaveURL((url) => url.searchParams.get('c') === conv(a, b));
  // The conversation fills the screen; the list is gone until "back".
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeVisible();
  await expect(chats).toBeHidden();
  const box = await page.locator('.pane').boundingBox();
  expect(box?.width).toBeGreaterThan(340);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await page.getByRole('link', { name: 'Back to conversations' }).click();
  await expect(chats).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeHidden();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await page.context().close();
});
