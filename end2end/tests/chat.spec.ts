// Conversations in a real browser: opening a friend's conversation, sending from the composer
// form, every media kind rendered (sent over the REST API, as a bot would), hostile content
// rendered inert, unread badges in the Chats tab; and the same page with JavaScript off.

import { test, expect, request as playwrightRequest, type Page } from '@playwright/test';
import { account, api, befriend, browserFor, conv, hydrated, logIn, png, upload } from './helpers';

test('a friend conversation: composer, every media kind, inert hostile content, unread badge', async ({
  browser,
  baseURL,
  request,
}) => {
  const a = await account(baseURL, 'Ann');
  const b = await account(baseURL, 'Ben');
  await befriend(request, a, b);

  const page = await browserFor(browser, baseURL, a);
  await page.goto('/?tab=friends');
  const friends = page.getByRole('tabpanel', { name: 'Friends' });
  await friends.getByRole('listitem').filter({ hasText: `@${b.username}` }).getByRole('link', { name: 'Message' }).click();
  await expect(page).toHaveURL((url) => url.searchParams.get('c') === conv(a, b));
  const pane = page.locator('.pane');
  await expect(pane.getByRole('heading', { name: b.nickname })).toBeVisible();
  await expect(pane).toContainText('No messages yet.');

  await page.getByRole('textbox', { name: 'Message' }).fill('Hello Ben!\nSecond line.');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const messages = page.getByRole('list', { name: 'Messages' });
  await expect(messages.locator('.msg.mine')).toHaveCount(1);
  await expect(messages.locator('.msg.mine')).toContainText('Hello Ben!\nSecond line.');

  // Ann looks elsewhere (an open conversation is marked read as messages arrive).
  await page.goto('/?tab=friends');
  // Ben's bot sends every media kind, and two hostile texts.
  const path = `/api/conversations/${conv(a, b)}/messages`;
  // A message may name only files its sender uploaded under /media/; the voice note and the
  // clip are external addresses (nothing plays here).
  const photo = await upload(request, b, 'photo.png', 'image/png', png(64, 48));
  const kinds = [
    { media: 1, content: '<img src=x onerror=alert(1)> see https://example.com/page and javascript:alert(2)' },
    { media: 2, content: 'Parley 1.0 released', url: 'https://example.com/news', memo: 'What is new' },
    { media: 3, url: 'https://example.com/voice-note.webm', amount: 7 },
    { media: 4, url: photo.url, pic: photo.pic },
    { media: 5, amount: 888, memo: '恭喜发财' },
    { media: 6, content: '🎉' },
    { media: 7, url: 'https://example.com/article' },
    { media: 8, url: 'https://example.com/clip.webm', pic: photo.url },
    { media: 9, content: String(a.id), memo: a.nickname },
    { media: 100, content: '{"kind":"poll","q":"Lunch?"}' },
  ];
  for (const [i, k] of kinds.entries()) {
    await api(request, b, path, { cid: `k${i}`, ...k });
  }
  // A javascript: URL never gets stored in the first place.
  const refused = await request.post(path, {
    data: { cid: 'bad', media: 7, url: 'javascript:alert(3)' },
    headers: { authorization: `Bearer ${b.token}` },
  });
  expect(refused.status()).toBe(400);

  // The Chats tab lists the conversation with Ben's ten as unread.
  await page.goto('/');
  const chats = page.getByRole('list', { name: 'Conversations' });
  const item = chats.getByRole('link', { name: b.nickname });
  await expect(item.getByLabel('10 unread')).toBeVisible();
  await expect(page).toHaveTitle('(10) Parley');
  await item.click();
  await expect(page).toHaveURL((url) => url.searchParams.get('c') === conv(a, b));
  // Opening it marks it read: the badge clears.
  await expect(item.getByLabel(/unread/)).toHaveCount(0);
  await expect(page).toHaveTitle('Parley');

  for (const k of kinds) {
    await expect(messages.locator(`.msg.theirs[data-media="${k.media}"]`)).toHaveCount(1);
  }
  const hostile = messages.locator('.msg.theirs[data-media="1"]');
  await expect(hostile).toContainText('<img src=x onerror=alert(1)>');
  await expect(hostile.locator('img')).toHaveCount(0);
  await expect(hostile.getByRole('link', { name: 'https://example.com/page' })).toHaveAttribute(
    'rel',
    /noopener/,
  );
  await expect(page.locator('a[href^="javascript:"]')).toHaveCount(0);
  await expect(messages.locator('[data-media="2"] a')).toHaveAttribute('target', '_blank');
  await expect(messages.locator('[data-media="5"]')).toContainText('¥8.88');
  await expect(messages.locator('[data-media="6"] .emoji-big')).toHaveText('🎉');
  await expect(messages.locator('[data-media="3"] audio')).toHaveAttribute('src', 'https://example.com/voice-note.webm');
  await expect(messages.locator('[data-media="3"] .duration')).toHaveText('7"');
  await expect(messages.locator('[data-media="8"] video')).toHaveAttribute('poster', photo.url);
  await expect(messages.locator('[data-media="9"]')).toContainText(a.nickname);
  await page.context().close();
});

test('without JavaScript the conversation shows its history and the form sends', { tag: '@nojs' }, async ({
  browser,
  baseURL,
  request,
}) => {
  const a = await account(baseURL, 'Nia');
  const b = await account(baseURL, 'Noa');
  await befriend(request, a, b);
  await api(request, b, `/api/conversations/${conv(a, b)}/messages`, {
    cid: 'hi',
    media: 1,
    content: 'Are you there?',
  });
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const page = await context.newPage();
  await logIn(page, a);
  await page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: b.nickname }).click();
  const messages = page.getByRole('list', { name: 'Messages' });
  await expect(messages.locator('.msg.theirs')).toContainText('Are you there?');
  await page.getByRole('textbox', { name: 'Message' }).fill('Yes, without any script.');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(messages.locator('.msg.mine')).toContainText('Yes, without any script.');
  await context.close();
});

test('two friends chat live: Enter sends, the other side sees it at once, both ways', async ({
  browser,
  baseURL,
}) => {
  const a = await account(baseURL, 'Liv');
  const b = await account(baseURL, 'Leo');
  const bot = await playwrightRequest.newContext({ baseURL });
  await befriend(bot, a, b);
  const pa = await browserFor(browser, baseURL, a);
  const pb = await browserFor(browser, baseURL, b);
  for (const p of [pa, pb]) {
    await p.goto(`/?c=${conv(a, b)}`);
    await hydrated(p);
  }
  const box = pa.getByRole('textbox', { name: 'Message' });
  await box.fill('first line');
  await box.press('Shift+Enter');
  await box.pressSequentially('second line');
  await box.press('Enter');
  await expect(box).toHaveValue('');
  // No page load: the bubble appears and turns sent; the peer sees it live.
  const sent = pa.getByRole('list', { name: 'Messages' }).locator('.msg.mine');
  await expect(sent).toContainText('first line\nsecond line');
  await expect(pa.locator('.msg-status:not(.read)')).toHaveCount(0);
  const got = pb.getByRole('list', { name: 'Messages' }).locator('.msg.theirs');
  await expect(got).toContainText('first line\nsecond line');
  // Ben has it on screen: Ann sees "Read"; she sees him online, then typing.
  await expect(pa.locator('.msg-status.read')).toHaveText('Read');
  await expect(pa.locator('.presence-line')).toHaveText('online');
  await pb.getByRole('textbox', { name: 'Message' }).pressSequentially('got');
  await expect(pa.locator('.presence-line')).toHaveText('typing…');
  await pb.getByRole('textbox', { name: 'Message' }).fill('got it 👍');
  await pb.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(pa.getByRole('list', { name: 'Messages' }).locator('.msg.theirs')).toContainText('got it 👍');
  // The Chats list follows live too, and a reload shows each message once.
  await pa.reload();
  await expect(pa.getByRole('list', { name: 'Messages' }).locator('.msg')).toHaveCount(2);
  await bot.dispose();
  await pa.context().close();
  await pb.context().close();
});

test('a message written while the socket is down waits, survives a reload, and arrives once', async ({
  browser,
  baseURL,
}) => {
  const a = await account(baseURL, 'Ola');
  const b = await account(baseURL, 'Oli');
  const bot = await playwrightRequest.newContext({ baseURL });
  await befriend(bot, a, b);

  // The socket "connects", but nothing reaches the server: like a dead network path.
  const down = await browser.newContext({ baseURL });
  await down.routeWebSocket(/\/ws$/, (ws) => {
    ws.onMessage(() => {});
  });
  const page = await down.newPage();
  await logIn(page, a);
  await page.goto(`/?c=${conv(a, b)}`);
  await hydrated(page);
  await page.getByRole('textbox', { name: 'Message' }).fill('written in a tunnel');
  await page.keyboard.press('Enter');
  await expect(page.locator('.msg.mine')).toContainText('written in a tunnel');
  await expect(page.getByRole('status').filter({ hasText: 'Sending…' })).toBeVisible();
  // The tab goes away with the message unsent; its storage is all that is left.
  const state = await down.storageState();
  await down.close();

  const back = await browser.newContext({ baseURL, storageState: state });
  const again = await back.newPage();
  await again.goto(`/?c=${conv(a, b)}`);
  await hydrated(again);
  await expect(again.locator('.msg.mine')).toContainText('written in a tunnel');
  await expect(again.locator('.msg-status:not(.read)')).toHaveCount(0);
  // Stored exactly once, whatever was resent.
  const res = await bot.get(`/api/conversations/${conv(a, b)}/messages`, {
    headers: { authorization: `Bearer ${b.token}` },
  });
  const history = await res.json();
  expect(history.filter((m: { content: string }) => m.content === 'written in a tunnel')).toHaveLength(1);
  await again.reload();
  await expect(again.locator('.msg.mine')).toHaveCount(1);
  await back.close();
  await bot.dispose();
});

test('a contact card opens a profile sheet: it asks a stranger (never befriends) and offers "Message" for a friend', async ({
  browser,
  baseURL,
  request,
}) => {
  const [a, b, c] = [await account(baseURL, 'Ann'), await account(baseURL, 'Ben'), await account(baseURL, 'Cy')];
  await befriend(request, a, b);
  const path = `/api/conversations/${conv(a, b)}/messages`;
  await api(request, b, path, { cid: 'cc1', media: 9, content: String(c.id), memo: c.nickname });
  await api(request, b, path, { cid: 'cc2', media: 9, content: String(b.id), memo: b.nickname });
  const page = await browserFor(browser, baseURL, a);
  await page.goto(`/?c=${conv(a, b)}`);
  await hydrated(page);
  const cards = page.getByRole('list', { name: 'Messages' }).locator('.contact-card');
  const stranger = cards.filter({ hasText: c.nickname });
  const friend = cards.filter({ hasText: b.nickname });
  // A card never acts on a tap: it opens the person's sheet.
  await expect(stranger.getByRole('button', { name: 'Add friend' })).toHaveCount(0);
  const sheet = page.getByRole('dialog', { name: 'Profile' });
  await friend.getByRole('button', { name: 'View profile' }).click();
  await expect(sheet.getByRole('heading', { name: b.nickname })).toBeVisible();
  await expect(sheet.getByRole('link', { name: 'Message' })).toHaveAttribute('href', `/?c=${conv(a, b)}`);
  await expect(sheet.getByRole('button', { name: 'Add friend' })).toHaveCount(0);
  await page.keyboard.press('Escape');
  await expect(sheet).toBeHidden();

  await stranger.getByRole('button', { name: 'View profile' }).click();
  await expect(sheet.getByRole('heading', { name: c.nickname })).toBeVisible();
  await expect(sheet.getByText(`@${c.username}`)).toBeVisible();
  await sheet.getByRole('button', { name: 'Add friend' }).click();
  // It only asks: nobody is a friend until they say yes.
  await expect(sheet.locator('.tag')).toHaveText('Pending');
  await api(request, c, `/api/friends/requests/${a.id}/accept`, {});
  // Accepted elsewhere: the sheet now offers the conversation with them, without a reload.
  await expect(sheet.getByRole('link', { name: 'Message' })).toHaveAttribute('href', `/?c=${conv(a, c)}`);
  await expect(sheet.getByRole('button', { name: 'Add friend' })).toHaveCount(0);
  await page.context().close();
});
