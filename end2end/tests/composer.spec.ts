// The composer's extras in a real browser: the emoji picker (search, insert at the caret,
// recently used), sharing a contact card, sending a red packet, and drafts that survive a
// reload; each message checked on the peer's screen too. Also the picker's size at 360 px,
// its dark palette and how long it takes to open.

import { test, expect, request as playwrightRequest, type Page } from '@playwright/test';
import { account, befriend, browserFor, conv, hydrated } from './helpers';

/** Waits until the page is hydrated and the composer's tools are live. */
async function live(page: Page): Promise<void> {
  await hydrated(page);
  await expect(page.getByRole('toolbar', { name: 'Message tools' })).toBeVisible();
}

/** Two friends, each in a browser with their conversation open and live. */
async function friendsChatting(browser: import('@playwright/test').Browser, baseURL: string | undefined) {
  const a = await account(baseURL, 'Amy');
  const b = await account(baseURL, 'Bo');
  const bot = await playwrightRequest.newContext({ baseURL });
  await befriend(bot, a, b);
  await bot.dispose();
  const pa = await browserFor(browser, baseURL, a);
  const pb = await browserFor(browser, baseURL, b);
  for (const p of [pa, pb]) {
    await p.goto(`/?c=${conv(a, b)}`);
    await live(p);
  }
  return { a, b, pa, pb };
}

test('emoji picker: search, insert at the caret, send; recently used comes first', async ({ browser, baseURL }) => {
  const { pa, pb } = await friendsChatting(browser, baseURL);
  const box = pa.getByRole('textbox', { name: 'Message' });
  await box.fill('Hi !');
  // The caret goes before the "!": the emoji lands there, not at the end.
  await box.press('End');
  await box.press('ArrowLeft');
  const emojiButton = pa.getByRole('button', { name: 'Emoji', exact: true });
  await expect(emojiButton).toHaveAttribute('aria-expanded', 'false');
  await emojiButton.click();
  const panel = pa.getByRole('dialog', { name: 'Emoji picker' });
  const search = panel.getByRole('searchbox', { name: 'Search emoji' });
  await expect(search).toBeFocused();
  await search.fill('grin');
  await panel.getByRole('button', { name: 'grinning face', exact: true }).click();
  await expect(box).toHaveValue('Hi 😀!');
  await expect(box).toBeFocused();
  // Typing goes on after the emoji.
  await box.press('ArrowLeft');
  await box.press('ArrowRight');
  await box.pressSequentially('?');
  await expect(box).toHaveValue('Hi 😀?!');
  // Escape closes the panel and leaves the keyboard in the text box.
  await pa.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await expect(box).toBeFocused();
  await box.press('Enter');
  await expect(box).toHaveValue('');
  await expect(pb.getByRole('list', { name: 'Messages' }).locator('.msg.theirs')).toContainText('Hi 😀?!');

  // From the keyboard: open, search, Enter takes the best match.
  await emojiButton.focus();
  await pa.keyboard.press('Enter');
  await expect(search).toBeFocused();
  await pa.keyboard.type('party popper');
  await pa.keyboard.press('Enter');
  await expect(box).toHaveValue('🎉');
  await pa.keyboard.press('Escape');

  // Reopened: the recent list leads, most recent first.
  await emojiButton.click();
  const recent = panel.getByRole('region', { name: 'Recently used' });
  await expect(recent.getByRole('button')).toHaveCount(2);
  await expect(recent.getByRole('button').nth(0)).toHaveAccessibleName('party popper');
  await expect(recent.getByRole('button').nth(1)).toHaveAccessibleName('grinning face');
  await expect(panel.locator('section h3').first()).toHaveText('Recently used');
  // Arrow keys move within a grid.
  await recent.getByRole('button').nth(0).focus();
  await pa.keyboard.press('ArrowRight');
  await expect(recent.getByRole('button').nth(1)).toBeFocused();
  // A press outside closes it.
  await pa.locator('.conv-head').click();
  await expect(panel).toHaveCount(0);
  await pa.context().close();
  await pb.context().close();
});

test('a contact card shared with a friend shows on both sides with its name', async ({ browser, baseURL }) => {
  const { a, b, pa, pb } = await friendsChatting(browser, baseURL);
  const c = await account(baseURL, 'Cy');
  const bot = await playwrightRequest.newContext({ baseURL });
  await befriend(bot, a, c);
  await bot.dispose();

  await pa.getByRole('button', { name: 'Send contact', exact: true }).click();
  const dialog = pa.getByRole('dialog', { name: 'Send contact' });
  await expect(dialog.getByRole('button', { name: b.nickname })).toBeVisible();
  await dialog.getByRole('button', { name: c.nickname }).click();
  await expect(dialog).toBeHidden();
  const mine = pa.getByRole('list', { name: 'Messages' }).locator('.msg.mine[data-media="9"]');
  await expect(mine).toContainText(c.nickname);
  await expect(pa.locator('.msg-status:not(.read)')).toHaveCount(0);
  const theirs = pb.getByRole('list', { name: 'Messages' }).locator('.msg.theirs[data-media="9"]');
  await expect(theirs).toContainText(c.nickname);
  await expect(theirs).toContainText('Contact card');
  // Cy is Ann's friend, not Ben's: Ben's card opens Cy's sheet, which offers to add him.
  await theirs.getByRole('button', { name: 'View profile' }).click();
  await expect(pb.getByRole('dialog', { name: 'Profile' }).getByRole('button', { name: 'Add friend' })).toBeVisible();
  await pa.context().close();
  await pb.context().close();
});

test('a red packet: the amount is checked, then it shows with amount and greeting on both sides', async ({
  browser,
  baseURL,
}) => {
  const { pa, pb } = await friendsChatting(browser, baseURL);
  await pa.getByRole('button', { name: 'Send red packet', exact: true }).click();
  const dialog = pa.getByRole('dialog', { name: 'Send red packet' });
  const amount = dialog.getByRole('textbox', { name: 'Amount (¥)' });
  const greeting = dialog.getByRole('textbox', { name: 'Greeting' });
  await expect(amount).toBeFocused();
  await expect(greeting).toHaveValue('Best wishes');
  const send = dialog.getByRole('button', { name: 'Send', exact: true });
  await send.click();
  await expect(dialog.getByRole('alert')).toHaveText('Enter an amount.');
  await amount.fill('1.234');
  await send.click();
  await expect(dialog.getByRole('alert')).toHaveText('Use at most 2 decimal places.');
  await expect(amount).toHaveAttribute('aria-invalid', 'true');
  await amount.fill('0');
  await send.click();
  await expect(dialog.getByRole('alert')).toHaveText('The amount must be more than ¥0.00.');
  await amount.fill('2000000');
  await send.click();
  await expect(dialog.getByRole('alert')).toHaveText('The amount can be at most ¥1,000,000.00.');
  await amount.fill('6.6');
  await expect(dialog.getByRole('alert')).toBeHidden();
  await greeting.fill('Happy new year');
  await amount.press('Enter');
  await expect(dialog).toBeHidden();
  for (const [p, side] of [
    [pa, 'mine'],
    [pb, 'theirs'],
  ] as const) {
    const packet = p.getByRole('list', { name: 'Messages' }).locator(`.msg.${side}[data-media="5"]`);
    await expect(packet).toContainText('¥6.60');
    await expect(packet).toContainText('Happy new year');
  }
  await pa.context().close();
  await pb.context().close();
});

test('a draft survives a reload, stays with its conversation and is cleared by sending', async ({
  browser,
  baseURL,
}) => {
  const { a, pa, pb } = await friendsChatting(browser, baseURL);
  const c = await account(baseURL, 'Dee');
  const bot = await playwrightRequest.newContext({ baseURL });
  await befriend(bot, a, c);
  await bot.dispose();
  const key = new URL(pa.url()).searchParams.get('c');
  const box = pa.getByRole('textbox', { name: 'Message' });
  await box.pressSequentially('half a thought');
  await pa.reload();
  await live(pa);
  await expect(box).toHaveValue('half a thought');
  // Another conversation has its own (empty) draft.
  await pa.goto(`/?c=${conv(a, c)}`);
  await live(pa);
  await expect(box).toHaveValue('');
  await pa.goto(`/?c=${key}`);
  await live(pa);
  await expect(box).toHaveValue('half a thought');
  await box.pressSequentially(', finished');
  await box.press('Enter');
  await expect(box).toHaveValue('');
  await expect(pb.getByRole('list', { name: 'Messages' }).locator('.msg.theirs')).toContainText(
    'half a thought, finished',
  );
  expect(await pa.evaluate((k) => localStorage.getItem(`parley.draft.${k}`), key)).toBeNull();
  await pa.reload();
  await live(pa);
  await expect(box).toHaveValue('');
  await pa.context().close();
  await pb.context().close();
});

test('the emoji panel fits a 360 px screen, follows the dark palette and opens quickly', async ({
  browser,
  baseURL,
}) => {
  const { pa, pb } = await friendsChatting(browser, baseURL);
  await pb.context().close();
  await pa.setViewportSize({ width: 360, height: 740 });
  await pa.emulateMedia({ colorScheme: 'dark' });
  // Time from the click to the panel laid out and painted (two animation frames).
  const ms = await pa.evaluate(async () => {
    const button = document.querySelector<HTMLButtonElement>('button[aria-label="Emoji"]');
    const t0 = performance.now();
    button?.click();
    while (!document.querySelector('.emoji-panel .emoji-grid')) {
      await new Promise((r) => setTimeout(r, 0));
    }
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return performance.now() - t0;
  });
  console.log(`emoji panel open: ${ms.toFixed(1)} ms`);
  expect(ms).toBeLessThan(1000);
  const panel = pa.getByRole('dialog', { name: 'Emoji picker' });
  await expect(panel).toBeVisible();
  const box = await panel.boundingBox();
  expect(box).not.toBeNull();
  if (box) {
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(360);
  }
  // The dark surface colour (#1b1e29), not the light one.
  await expect(panel).toHaveCSS('background-color', 'rgb(27, 30, 41)');
  await expect(panel.getByRole('button', { name: 'grinning face', exact: true })).toBeVisible();
  await pa.screenshot({ path: test.info().outputPath('emoji-360-dark.png') });
  await pa.context().close();
});
