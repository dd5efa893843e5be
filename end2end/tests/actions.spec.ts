// What people do to messages after sending them (issue 20), with two or three browser
// contexts the way friends would: reply and jump to the original, edit within the window
// (and the Edit item gone after it: the test server's window is a few seconds), recall seen
// by the other side with the picture no longer fetchable, reactions from both sides,
// forwarding a picture to a group, pin and unpin, @mention autocomplete in Chinese, and
// "Read by 2" updating live.

import { test, expect, type Page } from '@playwright/test';
import { account, api, befriend, browserFor, conv, hydrated, logIn, png, type Account, upload } from './helpers';

/** Opens the conversation `c` and waits until it is live. */
async function open(page: Page, c: string) {
  await page.goto(`/?c=${c}`);
  await hydrated(page);
}

/** The bubble of the message with this text. */
function bubble(page: Page, text: string) {
  return page.getByRole('list', { name: 'Messages' }).locator('li.msg', { hasText: text });
}

/** Opens a message's "More actions" menu and picks an item. */
async function act(page: Page, text: string, item: string) {
  const msg = bubble(page, text);
  await msg.hover();
  await msg.getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menuitem', { name: item, exact: true }).click();
}

async function send(page: Page, text: string) {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(bubble(page, text).first()).toBeVisible();
  // Stored (acked): no "Sending…" line left.
  await expect(page.getByRole('status').filter({ hasText: 'Sending' })).toHaveCount(0);
}

async function friends(request: import('@playwright/test').APIRequestContext, a: Account, b: Account) {
  await befriend(request, a, b);
}

test('reply, edit within the window, react from both sides, pin and unpin, recall', async ({
  browser,
  baseURL,
  request,
}) => {
  // It waits out the (test server's) edit window on purpose.
  test.setTimeout(90_000);
  const a = await account(baseURL, 'Ann');
  const b = await account(baseURL, 'Ben');
  await friends(request, a, b);
  const c = conv(a, b);
  // An older message far up the list, to jump to from a reply.
  const path = `/api/conversations/${c}/messages`;
  await api(request, b, path, { cid: 'first', media: 1, content: 'The very first message' });
  for (let i = 0; i < 40; i++) {
    await api(request, b, path, { cid: `f${i}`, media: 1, content: `filler ${i}` });
  }
  const pa = await browserFor(browser, baseURL, a);
  const pb = await browserFor(browser, baseURL, b);
  await open(pa, c);
  await open(pb, c);

  // Ben replies to the very first message (older pages load to show the quote's original).
  await pb.getByRole('list', { name: 'Messages' }).locator('li.msg').first().waitFor();
  await api(request, b, path, { cid: 'reply', media: 1, content: 'Replying to the start', reply_to: 1 });
  const reply = bubble(pa, 'Replying to the start');
  await expect(reply.locator('.quote')).toContainText('The very first message');
  await reply.locator('.quote').click();
  await expect(pa.getByRole('list', { name: 'Messages' }).locator('li.msg[data-seq="1"]')).toBeInViewport();

  // Ann replies from the menu: the composer says whom she answers; Escape cancels.
  await act(pa, 'filler 39', 'Reply');
  await expect(pa.getByText(`Replying to ${b.nickname}`)).toBeVisible();
  await pa.getByRole('textbox', { name: 'Message' }).press('Escape');
  await expect(pa.getByText(`Replying to ${b.nickname}`)).toHaveCount(0);
  await act(pa, 'filler 39', 'Reply');
  await send(pa, 'Agreed with filler');
  await expect(bubble(pb, 'Agreed with filler').locator('.quote')).toContainText('filler 39');

  // Ann edits her message: "edited" on both sides, the old text nowhere.
  await send(pa, 'Helo everyone');
  await act(pa, 'Helo everyone', 'Edit');
  await expect(pa.getByText('Editing message')).toBeVisible();
  await pa.getByRole('textbox', { name: 'Message' }).fill('Hello everyone');
  await pa.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(bubble(pa, 'Hello everyone')).toContainText('edited');
  await expect(bubble(pb, 'Hello everyone')).toContainText('edited');
  await expect(bubble(pb, 'Helo everyone')).toHaveCount(0);
  // Up arrow in the empty composer edits my last message, within the window.
  await pa.getByRole('textbox', { name: 'Message' }).press('ArrowUp');
  await expect(pa.getByText('Editing message')).toBeVisible();
  await pa.getByRole('textbox', { name: 'Message' }).press('Escape');

  // Reactions from both sides: counts agree, mine highlighted.
  await act(pb, 'Hello everyone', 'React');
  await pb.getByRole('menuitem', { name: '👍' }).click();
  const chipA = bubble(pa, 'Hello everyone').locator('.chip', { hasText: '👍' });
  await expect(chipA).toContainText('1');
  await expect(chipA).toHaveAttribute('aria-pressed', 'false');
  await chipA.click();
  await expect(chipA).toContainText('2');
  await expect(chipA).toHaveAttribute('aria-pressed', 'true');
  await expect(bubble(pb, 'Hello everyone').locator('.chip', { hasText: '👍' })).toContainText('2');
  // Ben takes his back.
  await bubble(pb, 'Hello everyone').locator('.chip', { hasText: '👍' }).click();
  await expect(chipA).toContainText('1');

  // Pin and unpin: the bar under the header on both sides.
  await act(pb, 'Hello everyone', 'Pin');
  await expect(pa.locator('.pinned-bar')).toContainText('Hello everyone');
  await act(pa, 'Hello everyone', 'Unpin');
  await expect(pb.locator('.pinned-bar')).toHaveCount(0);

  // After the edit window (a few seconds on the test server) there is no Edit item.
  await pa.waitForTimeout(10_500);
  const msg = bubble(pa, 'Hello everyone');
  await msg.hover();
  await msg.getByRole('button', { name: 'More actions' }).click();
  await expect(pa.getByRole('menuitem', { name: 'Reply' })).toBeVisible();
  await expect(pa.getByRole('menuitem', { name: 'Edit', exact: true })).toHaveCount(0);
  await pa.keyboard.press('Escape');

  // A picture, recalled: a line on both sides, and the file is gone.
  const photo = await upload(request, a, 'p.png', 'image/png', png(40, 30));
  await api(request, a, path, { cid: 'pic', media: 4, url: photo.url, pic: photo.pic });
  const img = pb.getByRole('list', { name: 'Messages' }).locator('li.msg[data-media="4"]');
  await expect(img).toHaveCount(1);
  const seq = await img.getAttribute('data-seq');
  await pa.getByRole('list', { name: 'Messages' }).locator(`li.msg[data-seq="${seq}"]`).hover();
  await pa
    .getByRole('list', { name: 'Messages' })
    .locator(`li.msg[data-seq="${seq}"]`)
    .getByRole('button', { name: 'More actions' })
    .click();
  await pa.getByRole('menuitem', { name: 'Recall' }).click();
  await expect(pa.getByText('You recalled a message')).toBeVisible();
  await expect(pb.getByText(`${a.nickname} recalled a message`)).toBeVisible();
  await expect(img).toHaveCount(0);
  await expect
    .poll(async () => (await pb.request.get(photo.url)).status())
    .toBe(404);
  // A reload shows the same: nothing of the picture.
  await pb.reload();
  await expect(pb.getByText(`${a.nickname} recalled a message`)).toBeVisible();
});

test('forward a picture to a group; @mention in Chinese; read by 2 live', async ({
  browser,
  baseURL,
  request,
}) => {
  const a = await account(baseURL, 'Ann');
  const b = await account(baseURL, '张伟');
  const d = await account(baseURL, 'Dee');
  await friends(request, a, b);
  const res = await request.post('/api/groups', {
    data: { name: 'Team 团队' },
    headers: { authorization: `Bearer ${a.token}` },
  });
  expect(res.status()).toBe(201);
  const gid = (await res.json()).id;
  for (const who of [b, d]) {
    await api(request, who, `/api/groups/${gid}/join`, {});
  }
  // Ann's group must have a message to show in her Chats list before a forward goes to it.
  await api(request, a, `/api/conversations/g:${gid}/messages`, { cid: 'hi', media: 1, content: 'Welcome' });
  const photo = await upload(request, b, 'q.png', 'image/png', png(30, 20, 3));
  await api(request, b, `/api/conversations/${conv(a, b)}/messages`, {
    cid: 'pic',
    media: 4,
    url: photo.url,
    pic: photo.pic,
  });
  const pa = await browserFor(browser, baseURL, a);
  const pd = await browserFor(browser, baseURL, d);
  // Dee cannot see Zhang's picture yet.
  expect((await pd.request.get(photo.url)).status()).toBe(403);
  await open(pa, conv(a, b));
  const pic = pa.getByRole('list', { name: 'Messages' }).locator('li.msg[data-media="4"]');
  await pic.hover();
  await pic.getByRole('button', { name: 'More actions' }).click();
  await pa.getByRole('menuitem', { name: 'Forward' }).click();
  const dialog = pa.getByRole('dialog', { name: 'Forward to' });
  await dialog.getByRole('searchbox').fill('团队');
  await dialog.getByRole('checkbox', { name: 'Team 团队' }).check();
  await dialog.getByRole('button', { name: 'Forward' }).click();
  await expect(dialog).toBeHidden();

  await open(pd, `g:${gid}`);
  const forwarded = pd.getByRole('list', { name: 'Messages' }).locator('li.msg[data-media="4"]');
  await expect(forwarded).toContainText('Forwarded');
  expect((await pd.request.get(photo.url)).status()).toBe(200);

  // Dee mentions Zhang by typing part of his Chinese name.
  const box = pd.getByRole('textbox', { name: 'Message' });
  await box.pressSequentially('看这个 @伟');
  const list = pd.getByRole('listbox', { name: 'Mention someone' });
  await expect(list.getByRole('option')).toHaveCount(1);
  await expect(list.getByRole('option').first()).toContainText(b.nickname);
  await box.press('Enter');
  await expect(box).toHaveValue(`看这个 @${b.nickname} `);
  await box.press('Enter');
  await expect(bubble(pd, '看这个').locator('.mention')).toContainText(`@${b.nickname.split(' ')[0]}`);
  // Zhang's list shows he was mentioned.
  const pb = await browserFor(browser, baseURL, b);
  await pb.goto('/');
  await expect(pb.getByRole('link', { name: 'Team 团队' })).toContainText('[@me]');

  // Ann sends; as Zhang and Dee read, "Read by" counts them, live.
  await open(pa, `g:${gid}`);
  await send(pa, 'Standup in 5');
  await open(pb, `g:${gid}`);
  // The newest of Ann's messages (the ones before it were read by both too).
  await expect(pa.locator('.read-by').last()).toContainText('Read by 2', { timeout: 15_000 });
  await pa.locator('.read-by').last().getByRole('button').click();
  await expect(pa.locator('.read-by-lists').last()).toContainText(b.nickname);
  await expect(pa.locator('.read-by-lists').last()).toContainText(d.nickname);
});

test('choose messages and forward them together; right click, long press and any emoji; members may pin once the owner lets them, live', async ({
  browser,
  baseURL,
  request,
}) => {
  const a = await account(baseURL, 'Ann');
  const b = await account(baseURL, 'Bao');
  await friends(request, a, b);
  const res = await request.post('/api/groups', {
    data: { name: 'Crew' },
    headers: { authorization: `Bearer ${a.token}` },
  });
  const gid = (await res.json()).id;
  await api(request, b, `/api/groups/${gid}/join`, {});
  await api(request, a, `/api/conversations/g:${gid}/messages`, { cid: 'hi', media: 1, content: 'Crew chat' });
  const c = conv(a, b);
  for (const word of ['alpha', 'beta', 'gamma']) {
    await api(request, b, `/api/conversations/${c}/messages`, { cid: word, media: 1, content: word });
  }
  const pa = await browserFor(browser, baseURL, a);
  await open(pa, c);

  // A right click on a bubble opens its menu (Escape closes it).
  await bubble(pa, 'alpha').locator('.bubble').click({ button: 'right' });
  await expect(pa.getByRole('menuitem', { name: 'Reply' })).toBeVisible();
  await pa.keyboard.press('Escape');
  await expect(pa.getByRole('menuitem', { name: 'Reply' })).toHaveCount(0);

  // Select: a check box on every message, a bar instead of the composer.
  await act(pa, 'alpha', 'Select');
  const bar = pa.getByRole('toolbar', { name: 'Select' });
  await expect(bar).toContainText('1 selected');
  await expect(pa.getByRole('textbox', { name: 'Message' })).toBeHidden();
  await bubble(pa, 'gamma').getByRole('checkbox', { name: 'Select message' }).check();
  await expect(bar).toContainText('2 selected');
  await bar.getByRole('button', { name: 'Forward selected messages' }).click();
  const dialog = pa.getByRole('dialog', { name: 'Forward to (2)' });
  await dialog.getByRole('checkbox', { name: 'Crew' }).check();
  await dialog.getByRole('button', { name: 'Forward' }).click();
  await expect(dialog).toBeHidden();
  await expect(bar).toBeHidden();
  await expect(pa.getByRole('textbox', { name: 'Message' })).toBeVisible();

  // Bao sees both in the group, in their order, and not the one left out.
  const pb = await browserFor(browser, baseURL, b);
  await open(pb, `g:${gid}`);
  const msgs = pb.getByRole('list', { name: 'Messages' }).locator('li.msg');
  await expect(msgs.filter({ hasText: 'Forwarded' })).toHaveCount(2);
  await expect(msgs.filter({ hasText: 'Forwarded' }).first()).toContainText('alpha');
  await expect(msgs.filter({ hasText: 'Forwarded' }).last()).toContainText('gamma');
  await expect(bubble(pb, 'beta')).toHaveCount(0);

  // Any emoji: the quick row's "+" opens the full picker.
  await act(pa, 'beta', 'React');
  await pa.getByRole('menuitem', { name: 'More emoji' }).click();
  const picker = pa.getByRole('dialog', { name: 'React' });
  await picker.getByRole('searchbox').fill('rocket');
  await picker.getByRole('searchbox').press('Enter');
  await expect(picker).toBeHidden();
  await expect(bubble(pa, 'beta').locator('.chip', { hasText: '🚀' })).toHaveAttribute('aria-pressed', 'true');

  // Bao may not pin in Ann's group until she lets members pin; then his menu has Pin at
  // once, and a line in the chat says so.
  const crew = bubble(pb, 'Crew chat');
  await crew.hover();
  await crew.getByRole('button', { name: 'More actions' }).click();
  await expect(pb.getByRole('menuitem', { name: 'Reply' })).toBeVisible();
  await expect(pb.getByRole('menuitem', { name: 'Pin', exact: true })).toHaveCount(0);
  await pb.keyboard.press('Escape');
  await pa.goto(`/?tab=groups&group=${gid}`);
  await hydrated(pa);
  const rule = pa.getByRole('switch', { name: 'Members can pin messages' });
  await expect(rule).not.toBeChecked();
  await rule.check();
  await expect(pb.getByText(`${a.nickname} let all members pin messages`)).toBeVisible();
  await act(pb, 'Crew chat', 'Pin');
  await expect(pb.locator('.pinned-bar')).toContainText('Crew chat');
  await pa.reload();
  await expect(pa.getByRole('switch', { name: 'Members can pin messages' })).toBeChecked();
});

test('a long press on a touch screen opens the menu, or on a reaction lists who reacted', async ({ browser, baseURL, request }) => {
  const a = await account(baseURL, 'Ann');
  const b = await account(baseURL, 'Bo');
  await friends(request, a, b);
  await api(request, b, `/api/conversations/${conv(a, b)}/messages`, { cid: 't', media: 1, content: 'hold me' });
  await api(request, b, `/api/conversations/${conv(a, b)}/actions`, { cid: 'k', act: 'react', target: 1, content: '🎉' });
  const context = await browser.newContext({
    baseURL,
    hasTouch: true,
    isMobile: true,
    viewport: { width: 360, height: 720 },
  });
  const page = await context.newPage();
  await logIn(page, a);
  await open(page, conv(a, b));
  const cdp = await context.newCDPSession(page);
  /** A finger resting on `target` for 700 ms: touch events as a touch screen sends them. */
  async function hold(target: import('@playwright/test').Locator) {
    const box = (await target.boundingBox())!;
    const x = box.x + box.width / 2;
    const y = box.y + box.height / 2;
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
    await page.waitForTimeout(700);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  }
  // On a reaction: who reacted, and the reaction is not toggled.
  const chip = bubble(page, 'hold me').locator('.chip');
  await hold(chip);
  await expect(chip).toHaveClass(/show-who/);
  await expect(chip).toHaveAttribute('data-who', new RegExp(b.nickname));
  await expect(chip).toHaveAttribute('aria-pressed', 'false');
  await expect(page.getByRole('menuitem', { name: 'Reply' })).toHaveCount(0);
  // On the bubble: its menu.
  await hold(bubble(page, 'hold me').locator('.bubble'));
  await expect(chip).not.toHaveClass(/show-who/);
  await expect(page.getByRole('menuitem', { name: 'Reply' })).toBeVisible();
  await expect(page.getByRole('menuitem', { name: 'Forward' })).toBeVisible();
  await context.close();
});

test('without JavaScript a conversation shows replies, edits, reactions and recalls, read-only', async ({
  browser,
  baseURL,
  request,
}) => {
  const a = await account(baseURL, 'Ann');
  const b = await account(baseURL, 'Noor');
  await friends(request, a, b);
  const c = conv(a, b);
  const path = `/api/conversations/${c}/messages`;
  const acts = `/api/conversations/${c}/actions`;
  await api(request, b, path, { cid: 'q', media: 1, content: 'Lunch at noon?' });
  await api(request, b, path, { cid: 'typo', media: 1, content: 'Bring teh salad' });
  await api(request, b, path, { cid: 'oops', media: 1, content: 'wrong chat, sorry' });
  await api(request, a, path, { cid: 'r', media: 1, content: 'Sounds good', reply_to: 1 });
  await api(request, b, acts, { cid: 'e', act: 'edit', target: 2, content: 'Bring the salad' });
  await api(request, b, acts, { cid: 'x', act: 'recall', target: 3 });
  await api(request, a, acts, { cid: 'k', act: 'react', target: 1, content: '👍' });
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const page = await context.newPage();
  await logIn(page, a);
  await page.goto(`/?c=${c}`);
  await expect(bubble(page, 'Sounds good').locator('.quote')).toContainText('Lunch at noon?');
  await expect(bubble(page, 'Bring the salad')).toContainText('edited');
  await expect(page.getByText('Bring teh salad')).toHaveCount(0);
  await expect(page.getByText(`${b.nickname} recalled a message`)).toBeVisible();
  await expect(page.getByText('wrong chat, sorry')).toHaveCount(0);
  await expect(bubble(page, 'Lunch at noon?').locator('.chip')).toContainText('👍');
  // Nothing offers what only the script could do.
  await expect(page.getByRole('button', { name: 'More actions' }).first()).toBeHidden();
  await context.close();
});
