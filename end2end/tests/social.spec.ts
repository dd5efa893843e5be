// Friends and groups in a real browser: two people, each in their own browser context,
// befriend each other and share a group; the owner hands the group over and it is dissolved.
// Hydrated app only (the sidebar's dialogs need JavaScript).

import { test, expect, type Browser, type Locator, type Page } from '@playwright/test';
import { hydrated } from './helpers';

const PASSWORD = 'correct-horse-42';
const GROUP_NAME_RULE = 'Group name must be 1-64 characters, without control characters.';

/** A username no other test (or earlier run against the same server) uses. */
function uniqueUsername(): string {
  const rand = Math.random().toString(36).slice(2, 8);
  return `u${Date.now().toString(36)}${rand}`;
}

/** Waits until the page is at `pathname` (any query string). */
async function expectPath(page: Page, pathname: string): Promise<void> {
  await expect(page).toHaveURL((url) => url.pathname === pathname);
}

interface Person {
  page: Page;
  username: string;
  nickname: string;
  /** Uncaught exceptions in the page (a WASM panic shows up here). */
  errors: string[];
}

/** A fresh browser context with a newly registered user, on the chat shell. */
async function signUp(
  browser: Browser,
  baseURL: string | undefined,
  name: string,
): Promise<Person> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const username = uniqueUsername();
  const nickname = `${name} ${username.slice(-4)}`;

  await page.goto('/register');
  await hydrated(page);
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=nickname]').fill(nickname);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expectPath(page, '/');
  await expect(page.locator('header.topbar').getByTestId('nickname')).toHaveText(nickname);
  await hydrated(page);
  return { page, username, nickname, errors };
}

async function close(...people: Person[]): Promise<void> {
  for (const p of people) {
    expect(p.errors, `uncaught exceptions in ${p.nickname}'s page`).toEqual([]);
    await p.page.context().close();
  }
}

function tab(page: Page, name: 'Chats' | 'Friends' | 'Groups'): Locator {
  return page.getByRole('tab', { name });
}

function panel(page: Page, name: 'Chats' | 'Friends' | 'Groups'): Locator {
  return page.getByRole('tabpanel', { name });
}

/** The row of a list that mentions `text`. */
function row(list: Locator, text: string): Locator {
  return list.getByRole('listitem').filter({ hasText: text });
}

async function openGroupsTab(page: Page): Promise<void> {
  await tab(page, 'Groups').click();
  await expect(tab(page, 'Groups')).toHaveAttribute('aria-selected', 'true');
  await expect(page).toHaveURL((url) => url.searchParams.get('tab') === 'groups');
}

/** Asks `friend` through the Add friend dialog (with a note), then closes it. */
async function askFriend(page: Page, friend: Person, note: string): Promise<void> {
  await tab(page, 'Friends').click();
  await page.locator('aside.sidebar').getByRole('button', { name: 'Add friend' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add friend' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Note with your request (optional)').fill(note);
  await dialog.getByRole('searchbox').fill(friend.username);
  await dialog.getByRole('button', { name: 'Search' }).click();
  const result = row(dialog.getByRole('list', { name: 'Search results' }), `@${friend.username}`);
  await result.getByRole('button', { name: 'Add' }).click();
  await expect(dialog.getByRole('status')).toContainText(`Friend request sent to ${friend.nickname}.`);
  // Once asked, the result says so instead of offering "Add" again.
  await expect(result.locator('.tag')).toHaveText('Pending');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
}

/** Creates a group through the dialog; it opens in the pane. */
async function createGroup(page: Page, name: string, memo = ''): Promise<void> {
  await page.locator('aside.sidebar').getByRole('button', { name: 'Create group' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create group' });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByLabel('Description (optional)').fill(memo);
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await expect(dialog).toBeHidden();
  await expect(panel(page, 'Groups').getByRole('status')).toContainText(`Created “${name}”`);
}

/** Joins the group called `name` through the Join group dialog; it opens in the pane. */
async function joinGroup(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Join group' }).click();
  const dialog = page.getByRole('dialog', { name: 'Join group' });
  await dialog.getByRole('searchbox').fill(name);
  await dialog.getByRole('button', { name: 'Search' }).click();
  const result = row(dialog.getByRole('list', { name: 'Search results' }), name);
  await expect(result).toContainText('1 member');
  await result.getByRole('button', { name: 'Join' }).click();
  await expect(dialog).toBeHidden();
  await expect(panel(page, 'Groups').getByRole('status')).toHaveText(`You joined “${name}”.`);
}

function pane(page: Page): Locator {
  return page.locator('section.pane');
}

/** Checks the pane shows `name` with exactly these members, `owner` holding the badge. */
async function expectGroupDetail(
  page: Page,
  name: string,
  owner: Person,
  members: Person[],
): Promise<void> {
  await expect(pane(page).getByRole('heading', { name, level: 2 })).toBeVisible();
  const list = pane(page).getByRole('list', { name: 'Members' });
  await expect(list.getByRole('listitem')).toHaveCount(members.length);
  for (const m of members) {
    const r = row(list, `@${m.username}`);
    await expect(r).toContainText(m.nickname);
    if (m === owner) {
      await expect(r.locator('.badge')).toHaveText('owner');
    } else {
      await expect(r.locator('.badge')).toHaveCount(0);
    }
  }
}

test('two people befriend each other and share a group', async ({ browser, baseURL }) => {
  const a = await signUp(browser, baseURL, 'Alice');
  const b = await signUp(browser, baseURL, 'Bob');

  // Chats is the default tab; the Friends tab tells a newcomer what to do.
  await expect(tab(a.page, 'Chats')).toHaveAttribute('aria-selected', 'true');
  await expect(panel(a.page, 'Chats')).toContainText('No conversations yet.');
  await tab(a.page, 'Friends').click();
  await expect(panel(a.page, 'Friends')).toContainText(
    'No friends yet. Use “Add friend” to find people by their username.',
  );

  // Searching yourself finds you, marked as such.
  await a.page.locator('aside.sidebar').getByRole('button', { name: 'Add friend' }).click();
  const dialog = a.page.getByRole('dialog', { name: 'Add friend' });
  await expect(dialog.getByRole('searchbox')).toBeFocused();
  await dialog.getByRole('searchbox').fill(a.username);
  await dialog.getByRole('button', { name: 'Search' }).click();
  const self = row(dialog.getByRole('list', { name: 'Search results' }), `@${a.username}`);
  await expect(self.locator('.tag')).toHaveText('You');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();

  // Bob is on his Chats tab when Alice asks: the Friends tab counts the request at once.
  await askFriend(a.page, b, 'Alice from the climbing club');
  const requests = panel(a.page, 'Friends').locator('section.requests');
  await expect(row(requests, `@${b.username}`).locator('.tag')).toHaveText('Pending');
  await expect(tab(b.page, 'Friends').locator('.badge')).toHaveText('1');
  await tab(b.page, 'Friends').click();
  const waiting = row(panel(b.page, 'Friends').locator('section.requests'), `@${a.username}`);
  await expect(waiting).toContainText('Alice from the climbing club');
  await expect(panel(b.page, 'Friends').getByRole('list', { name: 'Friends' })).toHaveCount(0);
  await waiting.getByRole('button', { name: 'Accept' }).click();

  // Both lists change without a reload; the requests are gone on both sides.
  const bFriends = panel(b.page, 'Friends').getByRole('list', { name: 'Friends' });
  await expect(row(bFriends, `@${a.username}`)).toContainText(a.nickname);
  const aFriends = panel(a.page, 'Friends').getByRole('list', { name: 'Friends' });
  await expect(row(aFriends, `@${b.username}`)).toContainText(b.nickname);
  await expect(panel(a.page, 'Friends').locator('section.requests')).toHaveCount(0);
  await expect(panel(b.page, 'Friends').locator('section.requests')).toHaveCount(0);
  await expect(tab(b.page, 'Friends').locator('.badge')).toHaveCount(0);

  // A creates a group; a blank name is refused with the server's rule first.
  await openGroupsTab(a.page);
  await expect(panel(a.page, 'Groups')).toContainText(
    'No groups yet. Create one or join an existing group.',
  );
  await a.page.locator('aside.sidebar').getByRole('button', { name: 'Create group' }).click();
  const create = a.page.getByRole('dialog', { name: 'Create group' });
  await create.getByLabel('Name').fill('   ');
  await create.getByRole('button', { name: 'Create group' }).click();
  await expect(create.getByRole('alert')).toContainText(GROUP_NAME_RULE);
  await expect(create.getByLabel('Name')).toHaveAttribute('aria-invalid', 'true');
  await expect(create.getByLabel('Name')).toBeFocused();
  await a.page.keyboard.press('Escape');
  await expect(create).toBeHidden();

  const groupName = `Crew ${uniqueUsername()}`;
  await createGroup(a.page, groupName, 'Where the crew meets.\nBe kind.');
  const aGroups = panel(a.page, 'Groups').getByRole('list', { name: 'Groups' });
  const aRow = row(aGroups, groupName);
  await expect(aRow).toContainText('1 member');
  await expect(aRow.locator('.badge')).toHaveText('owner');
  await expect(aRow.getByRole('link')).toHaveAttribute('aria-current', 'page');
  await expectGroupDetail(a.page, groupName, a, [a]);
  await expect(pane(a.page).locator('.memo')).toHaveText('Where the crew meets.\nBe kind.');

  // The owner may not simply leave: the server says what to do instead.
  await pane(a.page).getByRole('button', { name: 'Leave group' }).click();
  await pane(a.page).getByRole('button', { name: 'Leave?' }).click();
  await expect(pane(a.page).getByRole('alert')).toContainText('You own this group');

  // B finds the group by name and joins it.
  await openGroupsTab(b.page);
  await joinGroup(b.page, groupName);
  const bGroups = panel(b.page, 'Groups').getByRole('list', { name: 'Groups' });
  await expect(row(bGroups, groupName)).toContainText('2 members');
  await expect(row(bGroups, groupName).locator('.badge')).toHaveCount(0);
  await expectGroupDetail(b.page, groupName, a, [a, b]);
  // Members have no owner controls.
  await expect(pane(b.page).getByRole('button', { name: 'Dissolve group' })).toHaveCount(0);

  // Searching again marks the group as joined instead of offering "Join".
  await b.page.getByRole('button', { name: 'Join group' }).click();
  const join = b.page.getByRole('dialog', { name: 'Join group' });
  await join.getByRole('searchbox').fill(groupName);
  await join.getByRole('button', { name: 'Search' }).click();
  const again = row(join.getByRole('list', { name: 'Search results' }), groupName);
  await expect(again.locator('.tag')).toHaveText('Joined');
  await expect(again.getByRole('button', { name: 'Join' })).toHaveCount(0);
  await again.getByRole('button', { name: 'Open' }).click();
  await expect(join).toBeHidden();

  // The open group is in the address: a reload renders it again, server-side first.
  const url = a.page.url();
  expect(new URL(url).searchParams.get('group')).not.toBeNull();
  await a.page.reload();
  await hydrated(a.page);
  await expect(tab(a.page, 'Groups')).toHaveAttribute('aria-selected', 'true');
  await expect(row(aGroups, groupName)).toContainText('2 members');
  await expectGroupDetail(a.page, groupName, a, [a, b]);

  await close(a, b);
});

test('the owner hands a group over, the new owner dissolves it; friends can be removed', async ({
  browser,
  baseURL,
}) => {
  const a = await signUp(browser, baseURL, 'Ann');
  const b = await signUp(browser, baseURL, 'Ben');
  await askFriend(a.page, b, '');
  await tab(b.page, 'Friends').click();
  await row(panel(b.page, 'Friends').locator('section.requests'), `@${a.username}`)
    .getByRole('button', { name: 'Accept' })
    .click();
  await expect(row(panel(b.page, 'Friends').getByRole('list', { name: 'Friends' }), `@${a.username}`)).toBeVisible();

  const groupName = `Club ${uniqueUsername()}`;
  await openGroupsTab(a.page);
  await createGroup(a.page, groupName);
  await openGroupsTab(b.page);
  await joinGroup(b.page, groupName);

  // A hands the group to B (pick a member, then confirm).
  await a.page.reload();
  await hydrated(a.page);
  await expectGroupDetail(a.page, groupName, a, [a, b]);
  await pane(a.page)
    .getByLabel('Transfer ownership to')
    .selectOption({ label: `${b.nickname} (@${b.username})` });
  await pane(a.page).getByRole('button', { name: 'Transfer' }).click();
  await pane(a.page).getByRole('button', { name: 'Hand it over?' }).click();
  await expect(pane(a.page).getByRole('status')).toHaveText(`${b.nickname} now owns this group.`);
  await expectGroupDetail(a.page, groupName, b, [a, b]);
  const aGroups = panel(a.page, 'Groups').getByRole('list', { name: 'Groups' });
  await expect(row(aGroups, groupName).locator('.badge')).toHaveCount(0);
  await expect(pane(a.page).getByRole('button', { name: 'Dissolve group' })).toHaveCount(0);

  // B, now the owner, dissolves it; it disappears from both lists.
  await b.page.reload();
  await hydrated(b.page);
  await expectGroupDetail(b.page, groupName, b, [a, b]);
  await pane(b.page).getByRole('button', { name: 'Dissolve group' }).click();
  await pane(b.page).getByRole('button', { name: 'Dissolve for everyone?' }).click();
  await expect(panel(b.page, 'Groups').getByRole('status')).toHaveText(
    `You dissolved “${groupName}”.`,
  );
  await expect(b.page).toHaveURL((url) => url.searchParams.get('group') === null);
  await expect(panel(b.page, 'Groups')).toContainText('No groups yet.');
  await a.page.reload();
  await expect(panel(a.page, 'Groups')).toContainText('No groups yet.');
  await expect(pane(a.page)).toContainText('You are not in this group');

  // A removes B from B's profile sheet (confirmed by a second click); both lists are empty
  // again, B's without a reload.
  await tab(a.page, 'Friends').click();
  const aFriends = panel(a.page, 'Friends').getByRole('list', { name: 'Friends' });
  const friendRow = row(aFriends, `@${b.username}`);
  await friendRow.getByRole('button', { name: `View profile: ${b.nickname}` }).click();
  const sheet = a.page.getByRole('dialog', { name: 'Profile' });
  await sheet.getByRole('button', { name: 'Remove friend' }).click();
  await sheet.getByRole('button', { name: 'Remove?' }).click();
  await expect(panel(a.page, 'Friends')).toContainText('No friends yet.');
  await a.page.keyboard.press('Escape');
  await b.page.goto('/?tab=friends');
  await expect(panel(b.page, 'Friends')).toContainText('No friends yet.');

  await close(a, b);
});
