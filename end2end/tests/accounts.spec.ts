// Accounts in a real browser: sign-up, log-in, log-out and their error messages, both through
// the hydrated app (project `js`) and through plain HTML forms (project `nojs`, tests tagged
// @nojs).

import { test as base, expect, type Page } from '@playwright/test';
import { hydrated } from './helpers';

// Every test fails if the page threw an uncaught exception (a WASM panic during hydration
// shows up here).
const test = base.extend<{ noPageErrors: void }>({
  noPageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await use();
      expect(errors, 'uncaught exceptions in the page').toEqual([]);
    },
    { auto: true },
  ],
});

const PASSWORD = 'correct-horse-42';
const WRONG_CREDENTIALS = 'Wrong username or password.';
const PASSWORD_RULE = 'Password must be 8 to 1024 characters.';
const USERNAME_RULE =
  "Username must be 3-32 letters, digits, '_', '.' or '-', or a mobile number.";

/** A username no other test (or earlier run against the same server) uses. */
function uniqueUsername(): string {
  const rand = Math.random().toString(36).slice(2, 8);
  return `u${Date.now().toString(36)}${rand}`;
}

/** Waits until the page is at `pathname` (any query string). */
async function expectPath(page: Page, pathname: string): Promise<void> {
  await expect(page).toHaveURL((url) => url.pathname === pathname);
}

function formError(page: Page) {
  return page.locator('p.form-error[role=alert]');
}

async function fillRegister(
  page: Page,
  fields: { username: string; nickname?: string; password: string },
): Promise<void> {
  await page.locator('input[name=username]').fill(fields.username);
  await page.locator('input[name=nickname]').fill(fields.nickname ?? '');
  await page.locator('input[name=password]').fill(fields.password);
}

async function fillLogin(page: Page, username: string, password: string): Promise<void> {
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
}

/** Checks the chat shell shows this user in the top bar. */
async function expectLoggedInAs(
  page: Page,
  user: { username: string; nickname: string },
): Promise<void> {
  await expectPath(page, '/');
  await expect(
    page.locator('p.loading'),
    'the chat is stuck on its Loading… placeholder',
  ).toHaveCount(0);
  const topbar = page.locator('header.topbar');
  await expect(topbar.getByTestId('nickname')).toHaveText(user.nickname);
  await expect(topbar.locator('.username')).toHaveText(`@${user.username}`);
  await expect(topbar.locator('span.avatar')).toHaveText(user.nickname.charAt(0).toUpperCase());
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
}

test('register with a nickname, log out, and log back in', async ({ page }) => {
  const username = uniqueUsername();
  const nickname = `élise ${username.slice(-4)}`;

  await page.goto('/register');
  await hydrated(page);
  await fillRegister(page, { username, nickname, password: PASSWORD });
  await page.getByRole('button', { name: 'Create account' }).click();
  await expectLoggedInAs(page, { username, nickname });
  await expect(page.locator('header.topbar span.avatar')).toHaveText('É');
  await expect(page.locator('aside.sidebar')).toBeVisible();
  await expect(page.locator('section.pane')).toBeVisible();

  await page.getByRole('button', { name: 'Log out' }).click();
  await expectPath(page, '/login');

  // The session is really gone: the chat page sends us back to the login form.
  await page.goto('/');
  await expectPath(page, '/login');
  await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();

  await hydrated(page);
  await fillLogin(page, username, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expectLoggedInAs(page, { username, nickname });

  // Logged in, the auth pages send us to the chat.
  await page.goto('/login');
  await expectPath(page, '/');
});

test('form errors show the server rule', async ({ page, request }) => {
  const username = uniqueUsername();
  const created = await request.post('/api/register', {
    data: { username, password: PASSWORD, nickname: 'Taken' },
  });
  expect(created.status()).toBe(201);

  // Wrong password: stays on /login with the message.
  await page.goto('/login');
  await hydrated(page);
  await fillLogin(page, username, 'not-the-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(formError(page)).toHaveText(WRONG_CREDENTIALS);
  await expectPath(page, '/login');

  // The username is already registered.
  await page.goto('/register');
  await hydrated(page);
  await fillRegister(page, { username, password: PASSWORD });
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(formError(page)).toContainText('already taken');
  await expectPath(page, '/register');

  // A password the server refuses; drop the browser's own minlength check so it reaches it.
  await page.goto('/register');
  await hydrated(page);
  await page.locator('input[name=password]').evaluate((el) => el.removeAttribute('minlength'));
  await fillRegister(page, { username: uniqueUsername(), password: '1234567' });
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(formError(page)).toHaveText(PASSWORD_RULE);
  await expectPath(page, '/register');

  // A username the browser accepts but the server's rule does not.
  await page.goto('/register');
  await hydrated(page);
  await fillRegister(page, { username: 'has space', password: PASSWORD });
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(formError(page)).toHaveText(USERNAME_RULE);
  await expectPath(page, '/register');
});

test('accounts work without JavaScript', { tag: '@nojs' }, async ({ page }) => {
  const username = uniqueUsername();
  const nickname = `Nojs ${username.slice(-4)}`;

  await page.goto('/register');
  await fillRegister(page, { username, nickname, password: PASSWORD });
  await page.getByRole('button', { name: 'Create account' }).click();
  await expectLoggedInAs(page, { username, nickname });

  await page.getByRole('button', { name: 'Log out' }).click();
  await expectPath(page, '/login');
  await page.goto('/');
  await expectPath(page, '/login');

  await fillLogin(page, username, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expectLoggedInAs(page, { username, nickname });

  // A fresh visit renders the chat without any script (no streamed-in placeholder).
  await page.goto('/');
  await expectLoggedInAs(page, { username, nickname });

  await page.getByRole('button', { name: 'Log out' }).click();
  await expectPath(page, '/login');

  // Wrong password: the server redirects back with the error and the username filled in.
  await fillLogin(page, username, 'not-the-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(
    (url) => url.pathname === '/login' && url.searchParams.get('error') === 'invalid_credentials',
  );
  await expect(formError(page)).toHaveText(WRONG_CREDENTIALS);
  await expect(page.locator('input[name=username]')).toHaveValue(username);
  await expect(page.locator('input[name=password]')).toHaveValue('');

  // Sign-up errors come back the same way.
  await page.goto('/register');
  await fillRegister(page, { username, password: PASSWORD });
  await page.getByRole('button', { name: 'Create account' }).click();
  await expectPath(page, '/register');
  await expect(formError(page)).toContainText('already taken');
  await expect(page.locator('input[name=username]')).toHaveValue(username);

  await fillRegister(page, { username: 'has space', password: PASSWORD });
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(
    (url) => url.pathname === '/register' && url.searchParams.get('field') === 'username',
  );
  await expect(formError(page)).toHaveText(USERNAME_RULE);
});

test('the login form is hydrated: errors arrive without a page load', async ({
  page,
  browser,
  baseURL,
}) => {
  const username = uniqueUsername();

  // Hydrated: the submit becomes a server-function call, the page is never reloaded and the
  // URL stays bare.
  await page.goto('/login');
  await hydrated(page);
  await page.evaluate(() => {
    (window as unknown as { __e2eSamePage: boolean }).__e2eSamePage = true;
  });
  await fillLogin(page, username, 'not-the-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(formError(page)).toHaveText(WRONG_CREDENTIALS);
  await expect(page).toHaveURL((url) => url.pathname === '/login' && url.search === '');
  expect(
    await page.evaluate(() => (window as unknown as { __e2eSamePage?: boolean }).__e2eSamePage),
    'the page was reloaded, so the form was not hydrated',
  ).toBe(true);
  await expect(page.locator('input[name=username]')).toHaveValue(username);

  // The same submit without JavaScript goes through the form handler's redirect.
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  try {
    const plain = await context.newPage();
    await plain.goto('/login');
    await fillLogin(plain, username, 'not-the-password');
    await plain.getByRole('button', { name: 'Log in' }).click();
    await expect(plain).toHaveURL(
      (url) => url.pathname === '/login' && url.searchParams.get('error') === 'invalid_credentials',
    );
    await expect(formError(plain)).toHaveText(WRONG_CREDENTIALS);
  } finally {
    await context.close();
  }
});
