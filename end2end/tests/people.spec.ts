// People on their own terms, with three browser contexts: a declined request still reads
// "Pending" to its asker; a stranger's conversation offers Add friend, Block and Report; a
// blocked stranger can no longer message; unblocking lets them write again.

import { test, expect, type Page } from '@playwright/test';
import { account, api, browserFor, conv, hydrated } from './helpers';

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
