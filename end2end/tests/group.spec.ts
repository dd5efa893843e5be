// A live group chat: three people, each in their own browser context, write into the same
// group at nearly the same moment; every page ends up with the same three messages in the
// same (server) order, and names the sender of every message that is not its own.

import { test, expect, request as playwrightRequest, type Page } from '@playwright/test';
import { account, api, browserFor, hydrated } from './helpers';

/** The open conversation's messages, top to bottom: sender label (if shown) and text. */
function rows(page: Page): Promise<{ sender: string | null; text: string; mine: boolean }[]> {
  return page
    .getByRole('list', { name: 'Messages' })
    .locator('.msg')
    .evaluateAll((els) =>
      els.map((e) => ({
        sender: e.querySelector('.sender')?.textContent?.trim() ?? null,
        text: (e.querySelector('.bubble')?.textContent ?? '').trim(),
        mine: e.classList.contains('mine'),
      })),
    );
}

test('three people in a group chat live: same order everywhere, senders named', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(60_000);
  const people = [
    await account(baseURL, 'Gia'),
    await account(baseURL, 'Hal'),
    await account(baseURL, 'Ivo'),
  ];
  const [owner, ...others] = people;
  const bot = await playwrightRequest.newContext({ baseURL });
  const created = await api(bot, owner, '/api/groups', { name: `Trio ${owner.username.slice(-4)}` });
  const group: { id: number } = await created.json();
  for (const p of others) {
    await api(bot, p, `/api/groups/${group.id}/join`, {});
  }

  const pages: Page[] = [];
  for (const p of people) {
    const page = await browserFor(browser, baseURL, p);
    await page.goto(`/?c=g:${group.id}`);
    await hydrated(page);
    pages.push(page);
  }
  const texts = people.map((p) => `hello from ${p.nickname}`);
  // Everyone types first, then all press Enter together: the server decides the order.
  for (const [i, page] of pages.entries()) {
    await page.getByRole('textbox', { name: 'Message' }).fill(texts[i]);
  }
  await Promise.all(pages.map((page) => page.keyboard.press('Enter')));

  // The order the server stored them in.
  await expect
    .poll(async () => {
      const r = await bot.get(`/api/conversations/g:${group.id}/messages`, {
        headers: { authorization: `Bearer ${owner.token}` },
      });
      return ((await r.json()) as unknown[]).length;
    })
    .toBe(3);
  const stored: { userid: number; content: string }[] = await (
    await bot.get(`/api/conversations/g:${group.id}/messages`, {
      headers: { authorization: `Bearer ${owner.token}` },
    })
  ).json();
  expect(stored.map((m) => m.content).sort()).toEqual([...texts].sort());

  for (const [i, page] of pages.entries()) {
    const me = people[i];
    const expected = stored.map((m) => {
      const sender = people.find((p) => p.id === m.userid);
      const mine = m.userid === me.id;
      return { sender: mine ? null : (sender?.nickname ?? null), text: m.content, mine };
    });
    await expect.poll(() => rows(page), { message: `${me.nickname}'s page` }).toEqual(expected);
    await expect(page.locator('.msg-status:not(.read)')).toHaveCount(0);
  }

  await bot.dispose();
  for (const page of pages) {
    await page.context().close();
  }
});

test('a member joining shows as a grey line in the open group conversation', async ({ browser, baseURL }) => {
  const [owner, newcomer] = [await account(baseURL, 'Jo'), await account(baseURL, 'Kai')];
  const bot = await playwrightRequest.newContext({ baseURL });
  const created = await api(bot, owner, '/api/groups', { name: `Duo ${owner.username.slice(-4)}` });
  const group: { id: number; name: string } = await created.json();
  const page = await browserFor(browser, baseURL, owner);
  await page.goto(`/?c=g:${group.id}`);
  await hydrated(page);
  await api(bot, newcomer, `/api/groups/${group.id}/join`, {});
  const line = page.getByRole('list', { name: 'Messages' }).getByRole('note');
  await expect(line).toContainText(`${newcomer.nickname} joined ${group.name}`);
  await expect(line).toHaveCSS('text-align', 'center');
  // The page itself brings the notice back after a reload, between the same messages...
  await api(bot, owner, `/api/conversations/g:${group.id}/messages`, { cid: 'after-join', media: 1, content: 'welcome' });
  await page.reload();
  await hydrated(page);
  const rows = page.getByRole('list', { name: 'Messages' }).locator(':scope > li:not(.day-sep)');
  await expect(rows.first()).toHaveText(`${newcomer.nickname} joined ${group.name}`);
  await expect(rows.nth(1)).toContainText('welcome');
  // ...and words it in the reader's language.
  await page.context().addCookies([{ name: 'i18n_pref_locale', value: 'zh-CN', url: baseURL! }]);
  await page.reload();
  await expect(page.getByRole('list', { name: '消息' }).getByRole('note')).toHaveText(
    `${newcomer.nickname} 加入了群聊“${group.name}”`,
  );
  await bot.dispose();
  await page.context().close();
});
