// Sending media from the browser, checked on the peer's screen: an image by the file picker,
// by paste and by drag and drop (and opened full size by the peer), a camera photo, a voice
// note (its length shown, and it plays), a recorded video and a picked video file (poster
// shown, it plays); upload progress with Cancel, a refused upload explained, a failed upload
// retried without uploading its poster twice; and a denied microphone explained with nothing
// sent. Chromium's fake camera and microphone (playwright.config.ts) stand in for devices.

import {
  test,
  expect,
  chromium,
  request as playwrightRequest,
  type Browser,
  type Locator,
  type Page,
} from '@playwright/test';
import { account, befriend, browserFor, conv, hydrated, png } from './helpers';

// ---- Two friends in their conversation. ----

async function live(page: Page): Promise<void> {
  await hydrated(page);
  await expect(page.getByRole('toolbar', { name: 'Message tools' })).toBeVisible();
}

async function friendsChatting(browser: Browser, baseURL: string | undefined, peerBrowser: Browser = browser) {
  const a = await account(baseURL, 'Amy');
  const b = await account(baseURL, 'Bo');
  const bot = await playwrightRequest.newContext({ baseURL });
  await befriend(bot, a, b);
  await bot.dispose();
  const pa = await browserFor(browser, baseURL, a);
  const pb = await browserFor(peerBrowser, baseURL, b);
  for (const p of [pa, pb]) {
    await p.goto(`/?c=${conv(a, b)}`);
    await live(p);
  }
  return { a, b, pa, pb };
}

const messages = (p: Page) => p.getByRole('list', { name: 'Messages' });
const mine = (p: Page, media: number) => messages(p).locator(`.msg.mine[data-media="${media}"]:not(.upload)`);
const theirs = (p: Page, media: number) => messages(p).locator(`.msg.theirs[data-media="${media}"]`);

/** Every message of mine is stored (no pending or failed line, no upload left). */
async function allSent(p: Page): Promise<void> {
  await expect(messages(p).locator('.msg.upload')).toHaveCount(0);
  await expect(messages(p).locator('.msg-status:not(.read)')).toHaveCount(0);
}

/** Picks files through the Attach button's file chooser. */
async function attach(p: Page, files: { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
  const chooser = p.waitForEvent('filechooser');
  await p.getByRole('button', { name: 'Attach', exact: true }).click();
  await (await chooser).setFiles(files);
}

/** True once the image has loaded (a broken or missing picture has no natural width). */
async function loaded(img: Locator): Promise<void> {
  await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBeGreaterThan(0);
}

test('images by file picker, paste and drop: sized bubbles on both sides, full view for the peer', async ({
  browser,
  baseURL,
}) => {
  const { pa, pb } = await friendsChatting(browser, baseURL);
  await attach(pa, [{ name: 'gradient.png', mimeType: 'image/png', buffer: png(640, 480) }]);
  await expect(mine(pa, 4)).toHaveCount(1);
  await allSent(pa);
  // The bubble reserves the picture's box from its size (640×480 shown at 260×195).
  const sent = mine(pa, 4).locator('img');
  await expect(sent).toHaveAttribute('src', /^\/media\//);
  await expect(sent).toHaveAttribute('style', /width:\s*260px;\s*aspect-ratio:\s*260\s*\/\s*195/);

  const got = theirs(pb, 4).locator('img');
  await expect(got).toHaveCount(1);
  await expect(got).toHaveAttribute('style', /aspect-ratio:\s*260\s*\/\s*195/);
  await loaded(got);
  const box = await got.boundingBox();
  expect(Math.round(box?.width ?? 0)).toBe(260);
  expect(Math.round(box?.height ?? 0)).toBe(195);
  // The peer opens it full size.
  await got.click();
  const full = pb.getByRole('dialog', { name: 'Image' });
  await expect(full).toBeVisible();
  const fullImg = full.locator('img');
  await expect(fullImg).toHaveAttribute('src', /^\/media\//);
  await loaded(fullImg);
  expect(await fullImg.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBe(640);
  await full.getByRole('button', { name: 'Close' }).click();
  await expect(full).toBeHidden();

  // Pasted into the composer: sent as a picture, and no text goes into the box.
  const box2 = pa.getByRole('textbox', { name: 'Message' });
  await box2.focus();
  await pa.evaluate((bytes) => {
    const file = new File([new Uint8Array(bytes)], 'pasted.png', { type: 'image/png' });
    const data = new DataTransfer();
    data.items.add(file);
    const area = document.querySelector('textarea[name=content]');
    area?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, [...png(200, 300, 200)]);
  await expect(theirs(pb, 4)).toHaveCount(2);
  await expect(theirs(pb, 4).nth(1).locator('img')).toHaveAttribute('style', /width:\s*173px;\s*aspect-ratio:\s*173\s*\/\s*260/);
  await expect(box2).toHaveValue('');

  // Dragged over the conversation: highlighted; dropped: sent.
  await pa.evaluate((bytes) => {
    const file = new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' });
    const data = new DataTransfer();
    data.items.add(file);
    const target = document.querySelector('.message-scroll');
    target?.dispatchEvent(new DragEvent('dragenter', { dataTransfer: data, bubbles: true, cancelable: true }));
    target?.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, [...png(64, 64, 90)]);
  await expect(pa.locator('.conversation.dropping')).toHaveCount(1);
  await expect(pa.getByText('Drop files here to send them')).toBeVisible();
  await pa.evaluate((bytes) => {
    const file = new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' });
    const data = new DataTransfer();
    data.items.add(file);
    document
      .querySelector('.message-scroll')
      ?.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, [...png(64, 64, 90)]);
  await expect(pa.locator('.conversation.dropping')).toHaveCount(0);
  await expect(theirs(pb, 4)).toHaveCount(3);
  await allSent(pa);
  await pa.context().close();
  await pb.context().close();
});

test('upload progress with Cancel; a refused file explained; a failed video retried without a second poster upload', async ({
  browser,
  baseURL,
}) => {
  const { pa, pb } = await friendsChatting(browser, baseURL);

  // Held at the network: the bubble shows the local preview, a progress bar and Cancel.
  await pa.route('**/api/upload', () => {
    /* never answered */
  });
  await attach(pa, [{ name: 'slow.png', mimeType: 'image/png', buffer: png(320, 240, 30) }]);
  const upload = messages(pa).locator('.msg.upload');
  await expect(upload).toHaveCount(1);
  await expect(upload.locator('img')).toHaveAttribute('src', /^blob:/);
  await expect(upload.getByRole('progressbar', { name: 'Upload progress' })).toBeVisible();
  await expect(messages(pa).getByRole('status')).toContainText('Uploading…');
  await messages(pa).getByRole('button', { name: 'Cancel upload' }).click();
  await expect(upload).toHaveCount(0);
  await pa.unroute('**/api/upload');

  // Not a picture at all, though it says so: the server refuses it, in its own words.
  await attach(pa, [{ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('just some text, not a picture') }]);
  const refused = messages(pa).locator('.msg-status.failed');
  await expect(refused).toBeVisible();
  await expect(refused.getByRole('button', { name: 'Retry' })).toBeVisible();
  const reason = (await refused.textContent()) ?? '';
  expect(reason.length).toBeGreaterThan(12);
  await refused.getByRole('button', { name: 'Cancel' }).click();
  await expect(messages(pa).locator('.msg.upload')).toHaveCount(0);

  // A recorded video: the poster goes up, the video's upload fails once; Retry uploads only
  // the video.
  const uploads: string[] = [];
  let failed = false;
  await pa.route('**/api/upload', async (route) => {
    uploads.push(route.request().postDataBuffer()?.includes(Buffer.from('filename="poster.jpg"')) ? 'poster' : 'video');
    if (uploads.length === 2 && !failed) {
      failed = true;
      await route.abort('failed');
    } else {
      await route.continue();
    }
  });
  await recordVideo(pa, 1200);
  const failedLine = messages(pa).locator('.msg-status.failed');
  await expect(failedLine).toContainText('did not reach the server');
  await expect(messages(pa).locator('.msg.upload img')).toHaveAttribute('src', /^blob:/);
  await failedLine.getByRole('button', { name: 'Retry' }).click();
  await expect(mine(pa, 8)).toHaveCount(1);
  await allSent(pa);
  expect(uploads).toEqual(['poster', 'video', 'video']);
  await expect(theirs(pb, 8).locator('video')).toHaveAttribute('poster', /^\/media\//);
  // Nothing else reached the peer.
  await expect(messages(pb).locator('.msg.theirs')).toHaveCount(1);
  await pa.context().close();
  await pb.context().close();
});

/** Records a video of about `ms` with the fake camera and sends it. */
async function recordVideo(p: Page, ms: number): Promise<void> {
  await p.getByRole('button', { name: 'Record video', exact: true }).click();
  const dialog = p.getByRole('dialog', { name: 'Record video' });
  const start = dialog.getByRole('button', { name: 'Start recording' });
  await expect(start).toBeEnabled();
  await start.click();
  await expect(dialog.getByRole('timer')).toBeVisible();
  await p.waitForTimeout(ms);
  await dialog.getByRole('button', { name: 'Stop and send' }).click();
  await expect(dialog).toBeHidden();
}

/** Plays a media element from a click and checks its time moves. */
async function plays(media: Locator): Promise<void> {
  await expect.poll(() => media.evaluate((m: HTMLMediaElement) => !m.paused && m.currentTime > 0.2), { timeout: 10_000 }).toBe(true);
}

test('camera photo, a voice note that plays, a recorded video and a picked video file with posters', async ({
  browser,
  baseURL,
}) => {
  const { pa, pb } = await friendsChatting(browser, baseURL);
  // Every stream the page opens is noted, to check the camera and microphone are released.
  await pa.evaluate(() => {
    const w = window as unknown as { openStreams: MediaStream[] };
    w.openStreams = [];
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (c) => {
      const s = await original(c);
      w.openStreams.push(s);
      return s;
    };
  });
  const liveTracks = () =>
    pa.evaluate(() =>
      (window as unknown as { openStreams: MediaStream[] }).openStreams
        .flatMap((s) => s.getTracks())
        .filter((t) => t.readyState === 'live').length,
    );

  // A photo: live preview, Take photo, sent as an image with its size.
  await pa.getByRole('button', { name: 'Camera', exact: true }).click();
  const camera = pa.getByRole('dialog', { name: 'Camera' });
  await expect(camera.locator('video')).toBeVisible();
  await camera.getByRole('button', { name: 'Take photo' }).click();
  await expect(camera).toBeHidden();
  // The camera is released once the dialog closes.
  await expect.poll(liveTracks).toBe(0);
  const photo = theirs(pb, 4).locator('img');
  await expect(photo).toHaveAttribute('style', /aspect-ratio/);
  await loaded(photo);

  // A voice note of about two seconds: timer and level while recording.
  await pa.getByRole('button', { name: 'Record voice', exact: true }).click();
  const bar = pa.getByRole('group', { name: 'Recording a voice note' });
  await expect(bar).toBeVisible();
  await expect(bar.getByRole('button', { name: 'Send voice note' })).toBeFocused();
  await expect(bar.getByRole('meter', { name: 'Microphone level' })).toBeVisible();
  await expect(bar.getByRole('timer')).toContainText('0:02 / 1:00', { timeout: 5000 });
  expect(await liveTracks()).toBe(1);
  await bar.getByRole('button', { name: 'Send voice note' }).click();
  await expect(bar).toBeHidden();
  await expect.poll(liveTracks).toBe(0);
  await expect(mine(pa, 3)).toHaveCount(1);
  const note = theirs(pb, 3);
  // About two seconds: the send click lands a little later on a loaded machine (4" seen with
  // every worker busy), never a whole minute or nothing.
  await expect(note.locator('.duration')).toHaveText(/^[2-4]"$/);
  const play = note.getByRole('button', { name: 'Play voice note' });
  await play.click();
  await plays(note.locator('audio'));
  await expect(note.getByRole('button', { name: 'Pause voice note' })).toBeVisible();
  await note.getByRole('button', { name: 'Pause voice note' }).click();
  await expect(note.getByRole('button', { name: 'Play voice note' })).toBeVisible();

  // A recorded video: poster and size on the other side, and it plays.
  await recordVideo(pa, 1500);
  await expect.poll(liveTracks).toBe(0);
  const clip = theirs(pb, 8).locator('video');
  await expect(clip).toHaveAttribute('poster', /^\/media\//);
  await expect(clip).toHaveAttribute('style', /aspect-ratio/);
  await clip.click();
  await clip.evaluate((v: HTMLVideoElement) => v.play());
  await plays(clip);

  // The same clip picked as a file: its poster is captured from the file.
  const src = (await mine(pa, 8).locator('video').getAttribute('src')) ?? '';
  const bytes = await pa.evaluate(async (u) => [...new Uint8Array(await (await fetch(u)).arrayBuffer())], src);
  await attach(pa, [{ name: 'clip.webm', mimeType: 'video/webm', buffer: Buffer.from(bytes) }]);
  await expect(theirs(pb, 8)).toHaveCount(2);
  await expect(theirs(pb, 8).nth(1).locator('video')).toHaveAttribute('poster', /^\/media\//);
  await allSent(pa);
  await pa.context().close();
  await pb.context().close();
});

test('a denied microphone and camera are explained in the composer and nothing is sent', async ({ baseURL, browser }) => {
  // A browser whose (fake) permission prompt answers "deny".
  const denying = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream=deny',
    ],
  });
  try {
    const { pa, pb } = await friendsChatting(denying, baseURL, browser);
    await pa.getByRole('button', { name: 'Record voice', exact: true }).click();
    const alert = pa.locator('.composer-alert');
    await expect(alert).toHaveAttribute('role', 'alert');
    await expect(alert).toContainText('Microphone access was denied');
    await expect(pa.getByRole('group', { name: 'Recording a voice note' })).toHaveCount(0);
    await alert.getByRole('button', { name: 'Dismiss' }).click();
    await expect(alert).toHaveCount(0);
    await pa.getByRole('button', { name: 'Camera', exact: true }).click();
    await expect(alert).toContainText('Camera access was denied');
    await expect(pa.getByRole('dialog', { name: 'Camera' })).toBeHidden();
    await expect(messages(pa).locator('.msg')).toHaveCount(0);
    await pb.waitForTimeout(500);
    await expect(messages(pb).locator('.msg')).toHaveCount(0);
    await pb.context().close();
  } finally {
    await denying.close();
  }
});

test('at 360 px camera, video, contact and red packet fold into the "+" menu', async ({ browser, baseURL }) => {
  const { pa, pb } = await friendsChatting(browser, baseURL);
  await pb.context().close();
  await pa.setViewportSize({ width: 360, height: 740 });
  const more = pa.getByRole('button', { name: 'More tools' });
  const camera = pa.getByRole('button', { name: 'Camera', exact: true });
  // Attach and voice stay in the row; the rest wait behind "+".
  await expect(pa.getByRole('button', { name: 'Attach', exact: true })).toBeVisible();
  await expect(pa.getByRole('button', { name: 'Record voice', exact: true })).toBeVisible();
  await expect(camera).toBeHidden();
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  await more.click();
  await expect(more).toHaveAttribute('aria-expanded', 'true');
  await expect(camera).toBeVisible();
  for (const name of ['Record video', 'Send contact', 'Send red packet']) {
    await expect(pa.getByRole('button', { name, exact: true })).toBeVisible();
  }
  // The menu fits the screen.
  const box = await pa.locator('.more-tools').boundingBox();
  expect(box && box.x >= 0 && box.x + box.width <= 360).toBe(true);
  // Escape closes it; a tool picked from it closes it too.
  await pa.keyboard.press('Escape');
  await expect(camera).toBeHidden();
  await more.click();
  await camera.click();
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  await expect(pa.getByRole('dialog', { name: 'Camera' })).toBeVisible();
  await pa.getByRole('dialog', { name: 'Camera' }).getByRole('button', { name: 'Cancel' }).click();
  await expect(pa.getByRole('dialog', { name: 'Camera' })).toBeHidden();
  await pa.context().close();
});
