// The seed project's own client against Parley (docs/api.md, "v0 (seed dialect)"): a stand-in page
// that makes exactly the seed pages' requests (end2end/fixtures/seed/index.html: form posts of
// encodeURI'd values, the cookie, `ws://host/chat?id=&token=`, flat frames) logs in as one
// user, adds a friend and chats with them both ways while the friend uses Parley's own UI in
// a second browser context. The page is served at Parley's own origin, as a deployment must
// serve the seed's pages (its client calls `location.host`).

import { test, expect, type Browser, type Page } from '@playwright/test';
import path from 'node:path';
import { account, browserFor, conv, hydrated, PASSWORD } from './helpers';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'seed', 'index.html');

/** A page of a fresh context that serves the seed stand-in at `/seed/` of Parley's origin. */
async function seedPage(browser: Browser, baseURL: string | undefined): Promise<Page> {
  // A page the test fulfils has no server address, so Chromium counts it as a public page
  // and asks the user before it may reach the loopback server (Local Network Access); a
  // real deployment serves the pages from the server's own address and never asks. The
  // grant stands in for that.
  const context = await browser.newContext({ baseURL, permissions: ['local-network-access'] });
  await context.route((url) => url.pathname === '/seed/index.html', (route) =>
    route.fulfill({ path: FIXTURE, contentType: 'text/html; charset=utf-8' }),
  );
  const page = await context.newPage();
  page.on('dialog', (d) => {
    throw new Error(`unexpected dialog: ${d.message()}`);
  });
  return page;
}

test('a seed-client user and a Parley user chat both ways', async ({ browser, baseURL }) => {
  test.setTimeout(60_000);
  const seedUser = await account(baseURL, 'Seed');
  const parleyUser = await account(baseURL, 'Pia');

  // The seed user logs in on the seed page: a form post, then the page reopens itself with
  // ?id=&token= and opens its socket.
  const seed = await seedPage(browser, baseURL);
  await seed.goto('/seed/index.html');
  await seed.locator('input[name=mobile]').fill(seedUser.username);
  await seed.locator('input[name=passwd]').fill(PASSWORD);
  await seed.locator('#login-btn').click();
  await expect(seed).toHaveURL((url) => url.searchParams.get('id') === String(seedUser.id));
  await expect(seed.locator('#me')).toHaveText(seedUser.nickname);
  await expect(seed.locator('body')).toHaveAttribute('data-socket', 'open');

  // Adding a friend the seed's way (cookie only, same-origin post) sends a request: the seed
  // page shows the server's words in its alert, and lists nobody yet.
  seed.removeAllListeners('dialog');
  const said = new Promise<string>((resolve) =>
    seed.once('dialog', async (d) => {
      resolve(d.message());
      await d.accept();
    }),
  );
  await seed.locator('#friend-id').fill(String(parleyUser.id));
  await seed.locator('#add-friend').click();
  expect(await said).toContain('Friend request sent');
  seed.on('dialog', (d) => {
    throw new Error(`unexpected dialog: ${d.message()}`);
  });
  const friend = seed.locator('#friends .friend', { hasText: parleyUser.nickname });
  await expect(friend).toHaveCount(0);

  // The Parley user accepts in Parley's own UI; the seed page lists them after a reload.
  const parley = await browserFor(browser, baseURL, parleyUser);
  await hydrated(parley);
  await parley.getByRole('tab', { name: 'Friends' }).click();
  await parley
    .locator('section.requests li', { hasText: `@${seedUser.username}` })
    .getByRole('button', { name: 'Accept' })
    .click();
  await expect(parley.getByRole('list', { name: 'Friends' })).toContainText(seedUser.nickname);
  await seed.reload();
  await expect(seed.locator('body')).toHaveAttribute('data-socket', 'open');
  await expect(friend).toBeVisible();
  await friend.click();

  // The Parley user opens the conversation in Parley's own UI.
  await parley.goto(`/?c=${conv(seedUser, parleyUser)}`);
  await hydrated(parley);
  const messages = parley.getByRole('list', { name: 'Messages' });

  // Seed -> Parley: shown at once on the seed page, live in Parley's UI.
  await seed.locator('#text').fill('hello from the seed client');
  await seed.locator('#send').click();
  await expect(seed.locator('#bubbles .bubble.mine')).toHaveText(`${seedUser.nickname}: hello from the seed client`);
  await expect(messages.locator('.msg.theirs')).toContainText('hello from the seed client');

  // Parley -> seed: the reply arrives as one bubble; nothing else (typing, read marks,
  // presence, acks) ever reaches the seed page, and its own message was not echoed.
  await parley.getByRole('textbox', { name: 'Message' }).fill('hi seed, from Parley');
  await parley.keyboard.press('Enter');
  await expect(messages.locator('.msg.mine')).toContainText('hi seed, from Parley');
  await expect(seed.locator('#bubbles .bubble.other')).toHaveText(`${parleyUser.nickname}: hi seed, from Parley`);
  await parley.waitForTimeout(500);
  const frames: Record<string, unknown>[] = await seed.evaluate(() => (window as any).seedFrames);
  expect(frames).toHaveLength(1);
  expect(frames[0]).toMatchObject({ cmd: 10, userid: parleyUser.id, dstid: seedUser.id, media: 1 });
  expect(Object.keys(frames[0]).every((k) => ['id', 'userid', 'dstid', 'cmd', 'media', 'content', 'pic', 'url', 'memo', 'amount'].includes(k))).toBe(true);
  await expect(seed.locator('#bubbles .bubble')).toHaveCount(2);

  // Both are stored as ordinary messages: a reload of Parley's page shows them in order.
  await parley.reload();
  await expect(messages.locator('.msg.theirs', { hasText: 'hello from the seed client' })).toHaveCount(1);
  await expect(messages.locator('.msg.mine', { hasText: 'hi seed, from Parley' })).toHaveCount(1);
});
