// People on their own terms, with three browser contexts: a declined request still reads
// "Pending" to its asker; a stranger's conversation offers Add friend, Block and Report; a
// blocked stranger can no longer message; unblocking lets them write again.

import { test, expect, type Page, type WebSocket } from '@playwright/test';
import { PASSWORD, account, api, befriend, browserFor, conv, hydrated, png } from './helpers';

function friendsTab(page: Page) {
  return page.getByRole('tab', { name: 'Friends' });
}

function requestsOn(page: Page) {
  return page.getByRole('tabpanel', { name: 'Friends' }).locator('section.requests');
}

async function send(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

test('a declined asker reads only "Pending"; a blocked stranger can no longer write', async ({
  browser,
  baseURL,
  request,
}) => {
  const [bob, carol] = [await account(baseURL, 'Bob'), await account(baseURL, 'Carol')];
  const pb = await browserFor(browser, baseURL, bob);
  const pc = await browserFor(browser, baseURL, carol);
  await hydrated(pb);
  await hydrated(pc);

  // Carol asks; Bob's Friends tab counts it live and he declines.
  await api(request, carol, '/api/friends', { user_id: bob.id, note: 'We met at the meetup' });
  await expect(friendsTab(pb).locator('.badge')).toHaveText('1');
  await friendsTab(pb).click();
  const asked = requestsOn(pb).getByRole('listitem').filter({ hasText: `@${carol.username}` });
  await expect(asked).toContainText('We met at the meetup');
  await asked.getByRole('button', { name: 'Decline' }).click();
  await expect(requestsOn(pb)).toHaveCount(0);
  await expect(friendsTab(pb).locator('.badge')).toHaveCount(0);
  // Carol learns nothing: her request still reads "Pending", after a reload too.
  await friendsTab(pc).click();
  const mine = requestsOn(pc).getByRole('listitem').filter({ hasText: `@${bob.username}` });
  await expect(mine.locator('.tag')).toHaveText('Pending');
  await pc.reload();
  await hydrated(pc);
  await expect(mine.locator('.tag')).toHaveText('Pending');

  // Carol writes anyway (a stranger may, three times). Bob's conversation says who she is
  // to him and offers what to do.
  await pc.goto(`/?c=${conv(bob, carol)}`);
  await hydrated(pc);
  await send(pc, 'hello, it is Carol');
  await expect(pc.getByRole('list', { name: 'Messages' }).locator('.msg.mine .msg-status.failed')).toHaveCount(0);
  await pb.goto(`/?c=${conv(bob, carol)}`);
  await hydrated(pb);
  await expect(pb.getByRole('list', { name: 'Messages' })).toContainText('hello, it is Carol');
  const bar = pb.getByRole('region', { name: 'About this person' });
  await expect(bar).toContainText(`${carol.nickname} is not your friend.`);
  await expect(bar.getByRole('button', { name: 'Add friend' })).toBeVisible();

  // Report, then block (a second click confirms).
  await bar.getByRole('button', { name: 'Report' }).click();
  const dialog = pb.getByRole('dialog', { name: `Report ${carol.nickname}` });
  await dialog.getByLabel('What is wrong?').fill('Unwanted messages');
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await expect(dialog).toBeHidden();
  await expect(bar.getByRole('status')).toContainText('Report sent');
  await bar.getByRole('button', { name: 'Block' }).click();
  await bar.getByRole('button', { name: 'Block?' }).click();
  await expect(bar).toContainText(`You blocked ${carol.nickname}.`);

  // Carol's next message is refused, in words.
  await send(pc, 'are you there?');
  const failed = pc.getByRole('list', { name: 'Messages' }).locator('.msg-status.failed');
  await expect(failed).toBeVisible();
  await expect(failed).toContainText('You cannot contact this person.');
  await expect(pb.getByRole('list', { name: 'Messages' })).not.toContainText('are you there?');

  // Unblocked, Carol may write again.
  await bar.getByRole('button', { name: 'Unblock' }).click();
  await expect(bar).toContainText(`${carol.nickname} is not your friend.`);
  await send(pc, 'third time lucky');
  await expect(pb.getByRole('list', { name: 'Messages' })).toContainText('third time lucky');

  await pb.context().close();
  await pc.context().close();
});

test('in a shared group, a blocked member’s messages fold until opened', async ({ browser, baseURL, request }) => {
  const [bob, carol] = [await account(baseURL, 'Bob'), await account(baseURL, 'Carol')];
  const created = await api(request, bob, '/api/groups', { name: 'Hikers' });
  const gid = (await created.json()).id;
  await api(request, carol, `/api/groups/${gid}/join`, {});
  await request.put(`/api/blocks/${carol.id}`, { headers: { authorization: `Bearer ${bob.token}` } });
  await api(request, carol, `/api/conversations/g:${gid}/messages`, { cid: 'gb1', media: 1, content: 'buy my course' });
  const pb = await browserFor(browser, baseURL, bob);
  await pb.goto(`/?c=g:${gid}`);
  await hydrated(pb);
  const messages = pb.getByRole('list', { name: 'Messages' });
  const folded = messages.locator('.blocked-msg');
  await expect(folded).toHaveText(/Message from a blocked user/);
  await expect(messages).not.toContainText('buy my course');
  await folded.getByRole('button', { name: 'Show' }).click();
  await expect(messages).toContainText('buy my course');

  // Reporting the message itself, from its menu; the admins get its words.
  const msg = messages.locator('li.msg', { hasText: 'buy my course' });
  await msg.hover();
  await msg.locator('.more').click();
  await pb.locator('.menu-pop [role=menuitem]', { hasText: 'Report' }).click();
  const dialog = pb.getByRole('dialog', { name: 'Report this message' });
  await dialog.getByLabel('What is wrong?').fill('Selling things in the group');
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await expect(dialog.getByRole('status')).toContainText('Report sent');
  await pb.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await pb.context().close();
});

test('settings: my name opens them; theme, who can find me, and unblocking', async ({ browser, baseURL, request }) => {
  const [me, other] = [await account(baseURL, 'Dora'), await account(baseURL, 'Eli')];
  await request.put(`/api/blocks/${other.id}`, { headers: { authorization: `Bearer ${me.token}` } });
  const page = await browserFor(browser, baseURL, me);
  await hydrated(page);
  await page.getByRole('link', { name: 'My profile and settings' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/settings');
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  await hydrated(page);

  // The theme applies at once and the server renders it on the next load.
  const html = page.locator('html');
  await expect(html).not.toHaveAttribute('data-theme', /./);
  await page.getByLabel('Dark').check();
  await expect(html).toHaveAttribute('data-theme', 'dark');
  const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.reload();
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await hydrated(page);
  await page.getByLabel('Light').check();
  await expect(html).toHaveAttribute('data-theme', 'light');
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe(dark);
  await page.getByLabel('Like my system').check();
  await expect(html).not.toHaveAttribute('data-theme', /./);

  // A part of my name finds me only once I allow it.
  const part = me.username.slice(0, -2);
  const search = async () =>
    (await (await request.get(`/api/users/search?q=${part}`, { headers: { authorization: `Bearer ${other.token}` } })).json()) as { id: number }[];
  await page.getByRole('button', { name: 'Unblock' }).click();
  await expect(page.getByText('You have not blocked anyone.')).toBeVisible();
  expect((await search()).map((u) => u.id)).not.toContain(me.id);
  const toggle = page.getByRole('switch', { name: /Let people find me by name/ });
  await toggle.check();
  await expect(toggle).toBeChecked();
  await expect.poll(async () => (await search()).map((u) => u.id)).toContain(me.id);
  await page.getByLabel('Friend requests from').selectOption('nobody');
  await expect
    .poll(async () => (await (await request.get('/api/me/privacy', { headers: { authorization: `Bearer ${me.token}` } })).json()).requests_from)
    .toBe('nobody');
  await page.reload();
  await expect(page.getByLabel('Friend requests from')).toHaveValue('nobody');
  await expect(page.getByRole('switch', { name: /Let people find me by name/ })).toBeChecked();
  await page.context().close();
});

test('Settings follows my other devices live; moving between pages keeps one socket open', async ({
  browser,
  baseURL,
  request,
}) => {
  const [me, other] = [await account(baseURL, 'Kim'), await account(baseURL, 'Lou')];
  const here = await browserFor(browser, baseURL, me);
  const sockets: WebSocket[] = [];
  here.on('websocket', (ws) => sockets.push(ws));
  await here.reload();
  await hydrated(here);
  await expect.poll(() => sockets.length).toBe(1);
  const open = () => sockets.filter((ws) => !ws.isClosed()).length;

  // The router moves to Settings without a page load: the chat's socket goes, Settings
  // opens its own; and back again. Never two at once (each would be an "online" device).
  await here.getByRole('link', { name: 'My profile and settings' }).click();
  await expect(here).toHaveURL((url) => url.pathname === '/settings');
  await expect.poll(() => sockets[0].isClosed()).toBe(true);
  await expect.poll(() => sockets.length).toBe(2);
  await here.getByRole('link', { name: 'Back to chats' }).click();
  await expect(here).toHaveURL((url) => url.pathname === '/');
  await expect.poll(() => sockets[1].isClosed()).toBe(true);
  await expect.poll(() => sockets.length).toBe(3);
  await here.getByRole('link', { name: 'My profile and settings' }).click();
  await expect(here).toHaveURL((url) => url.pathname === '/settings');
  await expect.poll(() => sockets.length).toBe(4);
  await expect.poll(open).toBe(1);
  await expect(here.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();

  // Another browser signs in: this page's list of sessions grows by itself.
  const sessions = here.getByRole('list', { name: 'Where you\'re signed in' });
  await expect(sessions.getByRole('listitem')).toHaveCount(2);
  const there = await browserFor(browser, baseURL, me);
  await expect(sessions.getByRole('listitem')).toHaveCount(3);
  await there.goto('/settings');
  await hydrated(there);

  // Privacy changed there shows here.
  const findable = (page: Page) => page.getByRole('switch', { name: /Let people find me by name/ });
  await expect(findable(here)).not.toBeChecked();
  await findable(there).check();
  await expect(findable(here)).toBeChecked();
  await there.getByLabel('Friend requests from').selectOption('groups');
  await expect(here.getByLabel('Friend requests from')).toHaveValue('groups');
  await there.getByRole('switch', { name: /Read receipts/ }).uncheck();
  await expect(here.getByRole('switch', { name: /Read receipts/ })).not.toBeChecked();

  // So does a new name, unless I am in the middle of typing one here.
  await there.getByLabel('Nickname', { exact: true }).fill('Kim Renamed');
  await there.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(here.getByLabel('Nickname', { exact: true })).toHaveValue('Kim Renamed');
  await here.getByLabel('Status', { exact: true }).fill('typing here');
  await there.getByLabel('Nickname', { exact: true }).fill('Kim Again');
  await there.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(here.getByLabel('Nickname', { exact: true })).toHaveValue('Kim Again');
  await expect(here.getByLabel('Status', { exact: true })).toHaveValue('typing here');

  // A block made anywhere (here: by a bot) is listed at once, and an unblock there clears it.
  await expect(here.getByText('You have not blocked anyone.')).toBeVisible();
  const res = await request.put(`/api/blocks/${other.id}`, { headers: { authorization: `Bearer ${me.token}` } });
  expect(res.ok()).toBeTruthy();
  const blockedList = (page: Page) => page.getByRole('list', { name: 'Blocked people' });
  await expect(blockedList(here)).toContainText(other.nickname);
  await expect(blockedList(there)).toContainText(other.nickname);
  await there.getByRole('button', { name: 'Unblock' }).click();
  await expect(here.getByText('You have not blocked anyone.')).toBeVisible();

  // Signed out there (from here), that page leaves for the login page by itself.
  await sessions.getByRole('listitem').filter({ hasNotText: 'This device' }).first().getByRole('button', { name: 'Sign out' }).click();
  await expect(sessions.getByRole('listitem')).toHaveCount(2);
  await expect(there).toHaveURL((url) => url.pathname === '/login');
  await here.context().close();
  await there.context().close();
});

test('on a phone the top bar leaves a conversation alone, and Log out lives in Settings', async ({ browser, baseURL }) => {
  const [me, other] = [await account(baseURL, 'Fay'), await account(baseURL, 'Gus')];
  const context = await browser.newContext({ baseURL, viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  await page.goto('/login');
  await page.locator('input[name=username]').fill(me.username);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/');
  await hydrated(page);
  await expect(page.locator('.topbar')).toBeVisible();
  await expect(page.locator('.topbar').getByRole('button', { name: 'Log out' })).toBeHidden();
  await page.goto(`/?c=${conv(me, other)}`);
  await hydrated(page);
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeVisible();
  await expect(page.locator('.topbar')).toBeHidden();
  await page.goto('/settings');
  await hydrated(page);
  // Among other settings, Log out asks once more.
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/settings');
  await page.getByRole('button', { name: 'Log out?' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/login');
  await context.close();
});

test('changing the password in Settings signs the other browser out', async ({ browser, baseURL }) => {
  const me = await account(baseURL, 'Hal');
  const here = await browserFor(browser, baseURL, me);
  const there = await browserFor(browser, baseURL, me);
  await here.goto('/settings');
  await hydrated(here);
  await here.locator('section[aria-labelledby="s-password"]').getByLabel('Current password').fill(PASSWORD);
  await here.getByLabel('New password', { exact: true }).fill('another-horse-43');
  await here.getByLabel('New password, again').fill('another-horse-43');
  await here.getByRole('button', { name: 'Change password' }).click();
  await expect(here.getByRole('status')).toContainText('Password changed.');
  // The other browser's open chat notices by itself (its socket is closed as signed out).
  await expect(there).toHaveURL((url) => url.pathname === '/login');
  await here.reload();
  await expect(here).toHaveURL((url) => url.pathname === '/settings');
  await here.context().close();
  await there.context().close();
});

test('Settings lists where I am signed in, and signing one out ends that browser there and then', async ({
  browser,
  baseURL,
}) => {
  const me = await account(baseURL, 'Ivy');
  const here = await browserFor(browser, baseURL, me);
  const there = await browserFor(browser, baseURL, me);
  await hydrated(there);
  await here.goto('/settings');
  await hydrated(here);
  const sessions = here.getByRole('list', { name: 'Where you\'re signed in' });
  // The REST login of the helper, this browser and the other one.
  await expect(sessions.getByRole('listitem')).toHaveCount(3);
  const mine = sessions.getByRole('listitem').filter({ hasText: 'This device' });
  await expect(mine).toHaveCount(1);
  await expect(mine).toContainText('Linux');
  await expect(mine).toContainText('Active just now');
  await expect(mine.getByRole('button')).toHaveCount(0);

  // Sign out the most recent other browser ("there" logged in after the helper's bot).
  const other = sessions.getByRole('listitem').filter({ hasNotText: 'This device' }).first();
  await other.getByRole('button', { name: 'Sign out' }).click();
  await expect(sessions.getByRole('listitem')).toHaveCount(2);
  await expect(there).toHaveURL((url) => url.pathname === '/login', { timeout: 10_000 });

  // And the rest at once.
  await here.getByRole('button', { name: 'Sign out all other sessions' }).click();
  await expect(sessions.getByRole('listitem')).toHaveCount(1);
  await expect(here.getByText('You are signed in nowhere else.')).toBeVisible();
  const res = await here.request.get('/api/me', { headers: { authorization: `Bearer ${me.token}` } });
  expect(res.status()).toBe(401);
  await here.reload();
  await expect(here).toHaveURL((url) => url.pathname === '/settings');
  await here.context().close();
  await there.context().close();
});

test('my new nickname, status and cropped picture reach a friend’s open chat live', async ({ browser, baseURL, request }) => {
  const ann = await account(baseURL, 'Ann');
  const bob = await account(baseURL, 'Bob');
  await befriend(request, ann, bob);
  const bobPage = await browserFor(browser, baseURL, bob);
  await bobPage.goto(`/?c=${conv(ann, bob)}`);
  await hydrated(bobPage);
  const head = bobPage.locator('.conv-head');
  await expect(head.getByRole('heading')).toHaveText(ann.nickname);
  await expect(head.locator('img.avatar')).toHaveCount(0);

  const annPage = await browserFor(browser, baseURL, ann);
  await annPage.goto('/settings');
  await hydrated(annPage);
  await annPage.getByLabel('Nickname', { exact: true }).fill('Annie Two');
  await annPage.getByLabel('Status', { exact: true }).fill('On holiday until Monday');
  await annPage.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(annPage.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  // Bob's open conversation follows without a reload.
  await expect(head.getByRole('heading')).toHaveText('Annie Two');

  // A wide picture: the crop dialog shows it in a square window; the result is square.
  const chooser = annPage.waitForEvent('filechooser');
  await annPage.getByRole('button', { name: 'Change picture' }).click();
  await (await chooser).setFiles({ name: 'wide.png', mimeType: 'image/png', buffer: png(300, 120, 200) });
  const dialog = annPage.getByRole('dialog', { name: 'Crop your picture' });
  await expect(dialog).toBeVisible();
  const canvas = dialog.locator('canvas');
  const box = (await canvas.boundingBox())!;
  // Drag it a little and zoom in: the picture moves under the window.
  await annPage.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await annPage.mouse.down();
  await annPage.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2, { steps: 4 });
  await annPage.mouse.up();
  await dialog.getByRole('slider', { name: 'Zoom' }).fill('1.5');
  // The keyboard does the same: the picture is focusable and says how; + zooms, arrows move.
  const picture = dialog.getByRole('img', { name: /arrow keys/ });
  await picture.focus();
  await annPage.keyboard.press('+');
  await expect(dialog.getByRole('slider', { name: 'Zoom' })).toHaveValue('1.6');
  const before = await canvas.evaluate((c: HTMLCanvasElement) => c.toDataURL());
  await annPage.keyboard.press('Shift+ArrowLeft');
  await expect.poll(() => canvas.evaluate((c: HTMLCanvasElement) => c.toDataURL())).not.toBe(before);
  await annPage.keyboard.press('-');
  await expect(dialog.getByRole('slider', { name: 'Zoom' })).toHaveValue('1.5');
  await dialog.getByRole('button', { name: 'Use this picture' }).click();
  await expect(dialog).toBeHidden();
  const mine = annPage.locator('.avatar-big img.avatar');
  await expect(mine).toHaveAttribute('src', /^\/media\//);
  const size = await mine.evaluate(async (img: HTMLImageElement) => {
    await img.decode();
    return [img.naturalWidth, img.naturalHeight];
  });
  expect(size).toEqual([512, 512]);
  const src = await mine.getAttribute('src');
  await expect(head.locator('img.avatar')).toHaveAttribute('src', src!);
  // Bob's Friends list shows the new name and status after a reload too.
  await bobPage.reload();
  await hydrated(bobPage);
  await expect(bobPage.locator('.conv-head').getByRole('heading')).toHaveText('Annie Two');
  await annPage.context().close();
  await bobPage.context().close();
});

test('deleting my account: the password, a second click, and my friend sees “Deleted user” live', async ({
  browser,
  baseURL,
  request,
}) => {
  const ann = await account(baseURL, 'Ann');
  const bob = await account(baseURL, 'Bob');
  await befriend(request, ann, bob);
  await api(request, ann, `/api/conversations/${conv(ann, bob)}/messages`, { cid: 'bye1', media: 1, content: 'so long' });
  const bobPage = await browserFor(browser, baseURL, bob);
  await bobPage.goto(`/?c=${conv(ann, bob)}`);
  await hydrated(bobPage);
  await expect(bobPage.locator('.conv-head').getByRole('heading')).toHaveText(ann.nickname);

  const page = await browserFor(browser, baseURL, ann);
  await page.goto('/settings');
  await hydrated(page);
  const zone = page.locator('section.danger-zone');
  await zone.getByLabel('Current password').fill('wrong-horse-00');
  await zone.getByRole('button', { name: 'Delete my account' }).click();
  await zone.getByRole('button', { name: 'Delete for good?' }).click();
  await expect(zone.getByRole('alert')).toBeVisible();
  await expect(page).toHaveURL((url) => url.pathname === '/settings');

  await zone.getByLabel('Current password').fill(PASSWORD);
  await zone.getByRole('button', { name: 'Delete my account' }).click();
  await zone.getByRole('button', { name: 'Delete for good?' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/login');
  // Bob's open conversation keeps the message, under the tombstone's name.
  await expect(bobPage.locator('.conv-head').getByRole('heading')).toHaveText('Deleted user');
  await expect(bobPage.getByRole('list', { name: 'Messages' }).getByText('so long')).toBeVisible();
  await page.context().close();
  await bobPage.context().close();
});

test('the empty first screen says what to do and offers Add friend and Create group', async ({ browser, baseURL }) => {
  const me = await account(baseURL, 'Jo');
  const page = await browserFor(browser, baseURL, me);
  await hydrated(page);
  const pane = page.locator('section.pane');
  await expect(pane).toContainText('Choose a conversation, or start one with a friend or a group.');
  await pane.getByRole('button', { name: 'Add friend' }).click();
  await expect(page.getByRole('dialog', { name: 'Add friend' })).toBeVisible();
  await expect(page).toHaveURL((url) => url.searchParams.get('tab') === 'friends');
  await page.keyboard.press('Escape');
  await expect(pane).toContainText('Choose a friend to write to them.');
  await pane.getByRole('button', { name: 'Create group' }).click();
  await expect(page.getByRole('dialog', { name: 'Create group' })).toBeVisible();
  await expect(page).toHaveURL((url) => url.searchParams.get('tab') === 'groups');
  await page.context().close();
});
