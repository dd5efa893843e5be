// The connection tells the truth (issue 19, section 3), tried as two friends would:
// - the browser going offline shows "Reconnecting…" at once and the peer's presence as
//   unknown, and coming back online reconnects without a reload;
// - a connection that silently stops answering (no close, no error: a dead network path) is
//   noticed within about ten seconds by the heartbeat deadline;
// - lists change live: a friend added elsewhere appears in the Friends tab, and a group's
//   member list and count follow joins and leaves, without a reload.

import { test, expect, type Page } from '@playwright/test';
import { account, api, befriend, browserFor, conv, hydrated, type Account } from './helpers';

/** Opens the 1:1 conversation with `peer` and waits until the socket is live. */
async function openChat(page: Page, me: Account, peer: Account): Promise<void> {
  await page.goto(`/?c=${conv(me, peer)}`);
  await hydrated(page);
}

test('offline shows the banner and unknown presence at once, online reconnects', async ({
  browser,
  baseURL,
  request,
}) => {
  const ann = await account(baseURL, 'Ann');
  const bob = await account(baseURL, 'Bob');
  await befriend(request, ann, bob);
  const annPage = await browserFor(browser, baseURL, ann);
  const bobPage = await browserFor(browser, baseURL, bob);
  await openChat(bobPage, bob, ann);
  await openChat(annPage, ann, bob);
  const presence = annPage.locator('.conv-head .presence-line');
  await expect(presence).toHaveText('online');

  await annPage.context().setOffline(true);
  // The browser's own event: no waiting for a timeout.
  await expect(annPage.getByRole('status').filter({ hasText: 'Reconnecting…' })).toBeVisible({
    timeout: 2_000,
  });
  await expect(presence).toHaveText('status unknown (reconnecting)');

  await annPage.context().setOffline(false);
  await expect(annPage.getByText('Reconnecting…')).toHaveCount(0, { timeout: 10_000 });
  await expect(presence).toHaveText('online');
  // And the connection works: a message goes both ways.
  await annPage.locator('textarea').fill('back again');
  await annPage.keyboard.press('Enter');
  await expect(bobPage.locator('.messages').getByText('back again')).toBeVisible();
  await annPage.context().close();
  await bobPage.context().close();
});

test('a connection that stops answering is found dead by the heartbeat deadline', async ({
  browser,
  baseURL,
}) => {
  const ann = await account(baseURL, 'Ann');
  const bob = await account(baseURL, 'Bob');
  const context = await browser.newContext({ baseURL });
  // Every socket goes through here; once `silent`, the server's frames stop reaching the
  // page while the socket itself stays open: exactly what a dead network path looks like.
  let silent = false;
  await context.routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => server.send(m));
    server.onMessage((m) => {
      if (!silent) ws.send(m);
    });
  });
  const page = await context.newPage();
  await page.goto('/login');
  await page.locator('input[name=username]').fill(ann.username);
  await page.locator('input[name=password]').fill('correct-horse-42');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/');
  await openChat(page, ann, bob);
  await expect(page.getByText('Reconnecting…')).toHaveCount(0);

  silent = true;
  const cut = Date.now();
  await expect(page.getByText('Reconnecting…')).toBeVisible({ timeout: 15_000 });
  const noticedAfter = Date.now() - cut;
  expect(noticedAfter, 'dead socket noticed within the heartbeat deadline').toBeLessThan(12_000);

  // The next connection answers again: the banner goes.
  silent = false;
  await expect(page.getByText('Reconnecting…')).toHaveCount(0, { timeout: 25_000 });
  await context.close();
});

test('friends and group members change live, without a reload', async ({ browser, baseURL, request }) => {
  const ann = await account(baseURL, 'Ann');
  const bob = await account(baseURL, 'Bob');
  const cat = await account(baseURL, 'Cat');
  const bobPage = await browserFor(browser, baseURL, bob);
  await hydrated(bobPage);
  await bobPage.getByRole('tab', { name: 'Friends' }).click();
  const friends = bobPage.getByRole('list', { name: 'Friends' });

  // Ann adds Bob elsewhere (her bot): Bob's open Friends tab shows her.
  await befriend(request, ann, bob);
  await expect(bobPage.getByRole('tabpanel').getByText(ann.nickname)).toBeVisible();
  await expect(friends.getByText(ann.nickname)).toBeVisible();

  // Bob's group, open in his pane: Cat joins, then leaves; the member list follows.
  const created = await api(request, bob, '/api/groups', { name: `Live ${bob.username.slice(-4)}` });
  const group = await created.json();
  await bobPage.goto(`/?tab=groups&group=${group.id}`);
  await hydrated(bobPage);
  const members = bobPage.getByRole("list", { name: "Members", exact: true });
  await expect(members.getByText(bob.nickname)).toBeVisible();
  await api(request, cat, `/api/groups/${group.id}/join`, {});
  await expect(members.getByText(cat.nickname)).toBeVisible();
  await expect(bobPage.getByText('2 members').first()).toBeVisible();
  await api(request, cat, `/api/groups/${group.id}/leave`, {});
  await expect(members.getByText(cat.nickname)).toHaveCount(0);
  await expect(bobPage.getByText('1 member').first()).toBeVisible();
  await bobPage.context().close();
});
