// The message list as a reader uses it: a long conversation opens on its newest message,
// scrolling up loads older pages without moving what is on screen, down to the beginning;
// new messages keep the view pinned at the bottom, or, when scrolled up, leave it alone and
// show an "N new messages" button; an image opens in a full view; and in a group, members
// see who is typing.

import { test, expect, request as playwrightRequest, type Locator, type Page } from '@playwright/test';
import { account, api, befriend, browserFor, conv, hydrated, logIn, png, upload } from './helpers';

interface InView {
  seq: string;
  offset: number;
}

/**
 * Optionally scrolls the list to its top (`to: 'top'`) or bottom, then returns the first
 * message in view and its distance from the top of the scroll area, measured at once (before
 * any scroll handler has run).
 */
async function firstInView(scroller: Locator, to?: 'top' | 'bottom'): Promise<InView> {
  return scroller.evaluate((el, where) => {
    // Far past either end clamps to that end, however the CSS counts scrollTop.
    if (where === 'top') el.scrollTop = -1e9;
    if (where === 'bottom') el.scrollTop = 1e9;
    const top = el.getBoundingClientRect().top;
    for (const li of Array.from(el.querySelectorAll('li.msg'))) {
      const r = li.getBoundingClientRect();
      if (r.bottom > top) return { seq: li.getAttribute('data-seq') ?? '', offset: r.top - top };
    }
    throw new Error('no message in view');
  }, to);
}

/** Where message `seq` is, from the top of the scroll area. */
async function offsetOf(scroller: Locator, seq: string): Promise<number> {
  return scroller.evaluate((el, s) => {
    const li = el.querySelector(`li.msg[data-seq="${s}"]`);
    if (!li) throw new Error(`message ${s} is not in the list`);
    return li.getBoundingClientRect().top - el.getBoundingClientRect().top;
  }, seq);
}

test('a long conversation: newest first, older pages on scroll-up in place, new-messages button', async ({
  browser,
  baseURL,
  request,
}) => {
  const a = await account(baseURL, 'Hal');
  const b = await account(baseURL, 'Hop');
  await befriend(request, a, b);
  const path = `/api/conversations/${conv(a, b)}/messages`;
  for (let i = 1; i <= 120; i++) {
    await api(request, b, path, { cid: `h${i}`, media: 1, content: `history ${i}` });
  }

  const page = await browserFor(browser, baseURL, a);
  // Older pages answer a little late, so "loading" can be seen; every page asked is noted.
  const asked: string[] = [];
  await page.route('**/sfn/load_conversation*', async (route) => {
    const body = route.request().postData() ?? '';
    if (/before=\d/.test(body)) {
      asked.push(body);
      await new Promise((r) => setTimeout(r, 400));
    }
    await route.continue();
  });
  await page.goto(`/?c=${conv(a, b)}`);
  await hydrated(page);
  const scroller = page.locator('.message-scroll');
  const list = page.getByRole('list', { name: 'Messages' });
  // The newest message is on screen at the bottom.
  await expect(list.locator('.msg[data-seq="120"]')).toBeInViewport();
  await expect(list.locator('.msg[data-seq="91"]')).not.toBeInViewport();
  // Once my message is acked (seq 121) the socket is surely open, so what follows is live.
  await page.getByRole('textbox', { name: 'Message' }).fill('reading from the top');
  await page.keyboard.press('Enter');
  await expect(list.locator('.msg.mine[data-seq="121"]')).toBeInViewport();

  // To the top: the page before loads, and the message that was in view stays put.
  const before = await firstInView(scroller, 'top');
  await expect(page.getByRole('status').filter({ hasText: 'Loading earlier messages…' })).toBeVisible();
  await expect(list.locator('.msg[data-seq="90"]')).toBeAttached();
  await expect(page.getByText('Loading earlier messages…')).toHaveCount(0);
  expect(Math.abs((await offsetOf(scroller, before.seq)) - before.offset)).toBeLessThan(2);
  await expect(list.locator(`.msg[data-seq="${before.seq}"]`)).toBeInViewport();
  await expect(page.getByText('Beginning of the conversation')).toHaveCount(0);

  // On up to the first message.
  await expect
    .poll(
      async () => {
        await firstInView(scroller, 'top');
        return list.locator('.msg[data-seq="1"]').count();
      },
      { timeout: 20_000 },
    )
    .toBe(1);
  await expect(page.getByText('Beginning of the conversation')).toBeVisible();
  await expect(list.locator('.msg')).toHaveCount(121);
  const seqs = await list.locator('.msg').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
  expect(seqs).toEqual(Array.from({ length: 121 }, (_, i) => i + 1));
  // Each older page was asked for once.
  expect(new Set(asked).size).toBe(asked.length);
  expect(asked.length).toBe(3);

  // Scrolled up, the peer writes twice: the view does not move, a button counts them.
  const reading = await firstInView(scroller, 'top');
  await api(request, b, path, { cid: 'n1', media: 1, content: 'new one' });
  await api(request, b, path, { cid: 'n2', media: 1, content: 'new two' });
  const button = page.getByRole('button', { name: '2 new messages' });
  await expect(button).toBeVisible();
  await expect(list.locator('.msg[data-seq="123"]')).toBeAttached();
  expect(Math.abs((await offsetOf(scroller, reading.seq)) - reading.offset)).toBeLessThan(2);
  await expect(list.locator('.msg[data-seq="123"]')).not.toBeInViewport();
  await button.click();
  await expect(list.locator('.msg[data-seq="123"]')).toBeInViewport();
  await expect(page.getByRole('button', { name: /new message/ })).toHaveCount(0);

  // At the bottom, new messages keep the view pinned there.
  await api(request, b, path, { cid: 'n3', media: 1, content: 'new three' });
  await expect(list.locator('.msg[data-seq="124"]')).toBeInViewport();
  await expect(page.getByRole('button', { name: /new message/ })).toHaveCount(0);

  // Scrolled up again, one more arrives; scrolling down to it clears the button.
  await firstInView(scroller, 'top');
  await expect(list.locator('.msg[data-seq="124"]')).not.toBeInViewport();
  await api(request, b, path, { cid: 'n4', media: 1, content: 'new four' });
  await expect(page.getByRole('button', { name: '1 new message' })).toBeVisible();
  await firstInView(scroller, 'bottom');
  await expect(page.getByRole('button', { name: /new message/ })).toHaveCount(0);
  await expect(list.locator('.msg[data-seq="125"]')).toBeInViewport();

  // My own message brings the view down even from far up.
  await firstInView(scroller, 'top');
  await page.getByRole('textbox', { name: 'Message' }).fill('mine, at the bottom');
  await page.keyboard.press('Enter');
  await expect(list.locator('.msg.mine').last()).toBeInViewport();
  await page.context().close();
});

test('an image opens in a full view that Escape, Close and the backdrop close', async ({
  browser,
  baseURL,
  request,
}) => {
  const a = await account(baseURL, 'Ivy');
  const b = await account(baseURL, 'Ike');
  await befriend(request, a, b);
  const path = `/api/conversations/${conv(a, b)}/messages`;
  // A message may only name files its sender uploaded.
  const photo = await upload(request, b, 'photo.png', 'image/png', png(64, 48));
  await api(request, b, path, { cid: 'img', media: 4, url: photo.url, pic: photo.pic });

  const page = await browserFor(browser, baseURL, a);
  await page.goto(`/?c=${conv(a, b)}`);
  await hydrated(page);
  const thumb = page.locator('.msg[data-seq="1"] a.image');
  await expect(thumb).toHaveAttribute('href', photo.url);
  const dialog = page.getByRole('dialog', { name: 'Image' });

  await thumb.click();
  await expect(dialog).toBeVisible();
  await expect(dialog.locator('img')).toHaveAttribute('src', photo.url);
  const original = dialog.getByRole('link', { name: 'Open original' });
  await expect(original).toHaveAttribute('href', photo.url);
  await expect(original).toHaveAttribute('target', '_blank');
  await expect(original).toHaveAttribute('rel', /noopener/);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  // The page never navigated to the image.
  await expect(page).toHaveURL((url) => url.searchParams.get('c') === conv(a, b));

  await thumb.click();
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();

  await thumb.click();
  await expect(dialog).toBeVisible();
  // The backdrop: a corner of the page, outside the dialog's box.
  await page.mouse.click(5, 5);
  await expect(dialog).toBeHidden();
  await page.context().close();
});

test('without JavaScript an image thumbnail is a link to the image', { tag: '@nojs' }, async ({
  browser,
  baseURL,
  request,
}) => {
  const a = await account(baseURL, 'Jo');
  const b = await account(baseURL, 'Jay');
  await befriend(request, a, b);
  const photo = await upload(request, b, 'photo.png', 'image/png', png(64, 48));
  await api(request, b, `/api/conversations/${conv(a, b)}/messages`, {
    cid: 'img',
    media: 4,
    url: photo.url,
    pic: photo.pic,
  });
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const page = await context.newPage();
  await logIn(page, a);
  await page.goto(`/?c=${conv(a, b)}`);
  const thumb = page.locator('.msg[data-media="4"] a.image');
  await expect(thumb).toHaveAttribute('href', photo.url);
  await expect(thumb.locator('img')).toHaveAttribute('src', photo.pic ?? '');
  await page.context().close();
});

test('in a group, members see who is typing', async ({ browser, baseURL }) => {
  const a = await account(baseURL, 'Kim');
  const b = await account(baseURL, 'Kai');
  const c = await account(baseURL, 'Kit');
  const bot = await playwrightRequest.newContext({ baseURL });
  const res = await api(bot, a, '/api/groups', { name: `Typists ${a.username.slice(-4)}` });
  const gid: number = (await res.json()).id;
  await api(bot, b, `/api/groups/${gid}/join`, {});
  await api(bot, c, `/api/groups/${gid}/join`, {});
  const key = `g:${gid}`;
  const pages = [];
  for (const who of [a, b, c]) {
    const p = await browserFor(browser, baseURL, who);
    await p.goto(`/?c=${key}`);
    await hydrated(p);
    pages.push(p);
  }
  const [pa, pb, pc] = pages;
  // Everyone's socket is open once Kim's message reaches the others live.
  await pa.getByRole('textbox', { name: 'Message' }).fill('hello all');
  await pa.keyboard.press('Enter');
  for (const p of [pb, pc]) await expect(p.locator('.msg.theirs')).toContainText('hello all');
  const line = pa.locator('.conv-head .typing-line');
  await expect(line).toHaveText('');
  // Kit has written nothing yet: Kim's page still knows his name.
  await pc.getByRole('textbox', { name: 'Message' }).pressSequentially('hel');
  await expect(line).toHaveText(`${c.nickname} is typing…`);
  await expect(pc.locator('.conv-head .typing-line')).toHaveText('');
  await pb.getByRole('textbox', { name: 'Message' }).pressSequentially('hi');
  await expect(line).toHaveText('2 people are typing…');
  await expect(pb.locator('.conv-head .typing-line')).toHaveText(`${c.nickname} is typing…`);
  // Kai's message ends his "typing"; Kit's fades a few seconds after his last key.
  await pb.keyboard.press('Enter');
  await expect(pa.locator('.msg.theirs').last()).toContainText('hi');
  await expect(line).not.toHaveText('2 people are typing…');
  await expect(line).toHaveText('', { timeout: 8_000 });
  await bot.dispose();
  for (const p of pages) await p.context().close();
});
