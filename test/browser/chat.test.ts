import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import t from 'tap';
import { type CaughtEmail, waitForEmail } from '../support/mailbox';
import { eventually, startTestStack } from '../support/stack';
import { DESKTOP, PHONE, SCREENSHOT_DIR, launchBrowser, openPage, screenshot } from './browser';

interface Person {
  username: string;
  displayName: string;
  password: string;
}

function person(name: string): Person {
  const suffix = randomBytes(4).toString('hex');
  return {
    username: `${name.toLowerCase()}_${suffix}`,
    displayName: `${name} ${suffix}`,
    password: `pw-${suffix}-secret`,
  };
}

const VISIBLE = 60_000;

/** What the page's image element tells (the tests are compiled without the DOM's types). */
interface LoadedImage {
  complete: boolean;
  naturalWidth: number;
}

/** Runs in the page: whether an <img> finished loading a real picture. */
const imageLoaded = (img: unknown) =>
  (img as LoadedImage).complete === true && (img as LoadedImage).naturalWidth > 0;

async function register(page: Page, base: string, who: Person, shoot?: string): Promise<void> {
  await page.goto(`${base}/register`);
  await page.getByLabel('Username', { exact: true }).fill(who.username);
  await page.getByLabel('Display name').fill(who.displayName);
  await page.getByLabel('Email').fill(`${who.username}@example.test`);
  await page.getByLabel('Password').fill(who.password);
  if (shoot) await screenshot(page, shoot);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Welcome to Parley' }).waitFor({ timeout: VISIBLE });
}

/** The composer of the open conversation. */
const composer = (page: Page) => page.locator('main form.composer textarea').first();

async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/** A message of the open conversation, by a piece of its text, once the server numbered it. */
const message = (page: Page, text: string) =>
  page.locator('main li.message[data-message-id]').filter({ hasText: text }).first();

t.test('two people chat in real time in the browser', async (t) => {
  const env = await startTestStack(t);
  const base = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const browser = await launchBrowser(t);
  const alice = person('Alice');
  const bob = person('Bob');
  const a = await openPage(browser);
  const b = await openPage(browser);

  await t.test('each registers and lands on the conversation list', async (t) => {
    await a.page.goto(`${base}/`);
    await a.page.getByRole('heading', { name: 'Log in' }).waitFor({ timeout: VISIBLE });
    await screenshot(a.page, 'desktop-login');
    await register(a.page, base, alice, 'desktop-register');
    await register(b.page, base, bob);
    t.pass('both are logged in');
  });

  let conversationUrl = '';
  await t.test('alice opens a direct conversation with bob and writes to him', async (t) => {
    await a.page.getByRole('link', { name: 'New conversation' }).first().click();
    await a.page.getByLabel('Find a person').fill(bob.username);
    await a.page.getByRole('button', { name: new RegExp(bob.displayName) }).click();
    await a.page.getByRole('heading', { name: bob.displayName }).waitFor({ timeout: VISIBLE });
    conversationUrl = a.page.url();
    t.match(conversationUrl, /\/c\/c_[0-9a-f]{24}$/, 'the conversation has its own address');
    await send(a.page, 'Hello **Bob**, welcome to the thread');
    await message(a.page, 'welcome to the thread').waitFor({ timeout: VISIBLE });
    t.equal(
      await message(a.page, 'welcome to the thread').locator('strong').textContent(),
      'Bob',
      'markdown renders',
    );
  });

  await t.test('bob sees the conversation appear with an unread badge, then the message', async (t) => {
    const entry = b.page.locator(`a.conversation-link[href="${new URL(conversationUrl).pathname}"]`);
    await entry.waitFor({ timeout: VISIBLE });
    await entry.locator('.unread-badge').waitFor({ timeout: VISIBLE });
    t.equal((await entry.locator('.unread-badge').textContent())?.trim(), '1', 'one unread message');
    t.match(await entry.locator('.preview').textContent(), 'welcome to the thread', 'the preview shows it');
    await screenshot(b.page, 'desktop-conversation-list');
    await entry.click();
    await message(b.page, 'welcome to the thread').waitFor({ timeout: VISIBLE });
    await entry.locator('.unread-badge').waitFor({ state: 'detached', timeout: VISIBLE });
    t.pass('opening the conversation clears the badge');
  });

  await t.test('alice sees that bob read her message', async (t) => {
    await a.page.locator('main .receipt', { hasText: 'Seen' }).waitFor({ timeout: VISIBLE });
    t.pass('"Seen" shows under her message');
  });

  await t.test('each sees the other typing, and replies arrive live', async (t) => {
    await composer(b.page).pressSequentially('Typing a reply', { delay: 20 });
    await a.page
      .locator('main .typing', { hasText: `${bob.displayName} is typing` })
      .waitFor({ timeout: VISIBLE });
    t.pass('alice sees bob typing');
    await composer(b.page).press('Enter');
    await message(a.page, 'Typing a reply').waitFor({ timeout: VISIBLE });
    t.pass("bob's reply reaches alice without a reload");
    await composer(a.page).pressSequentially('And back', { delay: 20 });
    await b.page
      .locator('main .typing', { hasText: `${alice.displayName} is typing` })
      .waitFor({ timeout: VISIBLE });
    await composer(a.page).press('Enter');
    await message(b.page, 'And back').waitFor({ timeout: VISIBLE });
    await b.page.locator('main .receipt', { hasText: 'Seen' }).waitFor({ timeout: VISIBLE });
    t.pass('bob sees alice typing, her answer, and that she read his reply');
    await screenshot(a.page, 'desktop-conversation');
  });

  await t.test('an image is uploaded, processed, and its thumbnail shows for both', async (t) => {
    const image = join(__dirname, '..', '..', 'web', 'public', 'icons', 'icon-512.png');
    await a.page.locator('main input[type="file"]').setInputFiles(image);
    await a.page.locator('main .uploads', { hasText: 'ready to send' }).waitFor({ timeout: VISIBLE });
    t.pass('the upload finished with its progress shown');
    await composer(a.page).fill('Our new logo');
    await composer(a.page).press('Enter');
    for (const [who, page] of [
      ['alice', a.page],
      ['bob', b.page],
    ] as const) {
      const thumbnail = message(page, 'Our new logo').locator('.attachments img');
      await thumbnail.waitFor({ timeout: 120_000 });
      await page.waitForFunction(imageLoaded, await thumbnail.elementHandle(), { timeout: VISIBLE });
      const width = await thumbnail.evaluate((img) => (img as unknown as LoadedImage).naturalWidth);
      t.ok(width > 0 && width <= 320, `${who} sees the thumbnail, ${width} px wide, loaded from storage`);
    }
    await message(b.page, 'Our new logo').locator('.attachments button.thumbnail').click();
    const viewer = b.page.locator('dialog.viewer img');
    await viewer.waitFor({ timeout: VISIBLE });
    await b.page.waitForFunction(imageLoaded, await viewer.elementHandle(), { timeout: VISIBLE });
    t.pass('the viewer shows the preview');
    await screenshot(b.page, 'desktop-media-viewer');
    await b.page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached', timeout: VISIBLE });
  });

  await t.test('a hostile message is shown as text and runs nothing', async (t) => {
    const hostile = [
      'hostile <script>alert("script")</script>',
      '<img src=x onerror=alert("img")>',
      '[click me](javascript:alert("link"))',
      '<a href="javascript:alert(1)">a</a> <iframe src="javascript:alert(2)"></iframe>',
      '![pic](https://example.invalid/track.png)',
    ].join('\n');
    await send(a.page, hostile);
    const shown = message(b.page, 'hostile');
    await shown.waitFor({ timeout: VISIBLE });
    const body = shown.locator('.message-body');
    t.match(await body.textContent(), '<script>alert("script")</script>', 'the script tag shows as text');
    t.match(await body.textContent(), '<img src=x onerror=alert("img")>', 'the image tag shows as text');
    t.match(
      await body.textContent(),
      '[click me](javascript:alert("link"))',
      'the javascript: link shows as text',
    );
    t.equal(
      await body.locator('script, img, iframe, svg, object, embed, style').count(),
      0,
      'no element was created',
    );
    const hrefs = await Promise.all((await body.locator('a').all()).map((link) => link.getAttribute('href')));
    t.same(
      hrefs,
      ['https://example.invalid/track.png'],
      'the only link is the image address, offered as a link',
    );
    t.equal(await body.locator('a').getAttribute('rel'), 'noopener noreferrer');
    // Give an injected handler time to fire if one had been created.
    await b.page.waitForTimeout(500);
    t.same(b.watch.dialogs, [], 'no dialog opened for bob');
    t.same(a.watch.dialogs, [], 'no dialog opened for alice');
    t.same([...a.watch.cspViolations, ...b.watch.cspViolations], [], 'the app itself breaks no CSP rule');
  });

  await t.test('a search finds a message and opens the conversation at it', async (t) => {
    const word = `zebra${randomBytes(3).toString('hex')}`;
    await send(a.page, `The ${word} crossed the road`);
    await message(b.page, word).waitFor({ timeout: VISIBLE });
    await b.page.getByRole('link', { name: 'Search messages' }).click();
    // The index follows chat's events, so a fresh message may need a moment.
    const hit = b.page.locator('a.search-hit', { hasText: word });
    const deadline = Date.now() + VISIBLE;
    for (;;) {
      await b.page.getByRole('searchbox', { name: 'Search messages' }).fill(word);
      await b.page.getByRole('button', { name: 'Search', exact: true }).click();
      if (await hit.isVisible().catch(() => false)) break;
      await hit.waitFor({ timeout: 2_000 }).catch(() => undefined);
      if (await hit.isVisible()) break;
      if (Date.now() > deadline) throw new Error('the search never found the message');
      await b.page.goto(`${base}/search`);
    }
    t.equal(await hit.locator('mark').first().textContent(), word, 'the match is highlighted');
    await screenshot(b.page, 'desktop-search');
    await hit.click();
    const target = b.page.locator('main li.message.highlighted', { hasText: word });
    await target.waitFor({ timeout: VISIBLE });
    t.match(b.page.url(), /\/c\/c_[0-9a-f]{24}\?m=m_/, 'the address names the message');
    t.pass('the message is shown highlighted in its conversation');
  });

  await t.test(
    'a message written while the gateway is down is queued and sent once it is back',
    async (t) => {
      await env.stack.kill('gateway');
      await a.page.getByRole('status').filter({ hasText: 'Offline' }).waitFor({ timeout: VISIBLE });
      await send(a.page, 'Written while offline');
      await a.page
        .locator('main li.pending', { hasText: 'Written while offline' })
        .waitFor({ timeout: VISIBLE });
      t.match(
        await a.page.locator('main li.pending', { hasText: 'Written while offline' }).textContent(),
        'Waiting for a connection',
        'the message waits in the queue',
      );
      await screenshot(a.page, 'desktop-offline-queue');
      await env.stack.restart('gateway', 'gateway-dapr');
      await message(b.page, 'Written while offline').waitFor({ timeout: VISIBLE });
      await message(a.page, 'Written while offline').waitFor({ timeout: VISIBLE });
      await a.page.locator('main li.pending').waitFor({ state: 'detached', timeout: VISIBLE });
      // Both reconnected tabs hold it exactly once, and a reload (history from the server) agrees.
      t.equal(
        await b.page.locator('main li.message', { hasText: 'Written while offline' }).count(),
        1,
        'bob got it once',
      );
      await b.page.reload();
      await message(b.page, 'Written while offline').waitFor({ timeout: VISIBLE });
      t.equal(
        await b.page.locator('main li.message', { hasText: 'Written while offline' }).count(),
        1,
        'stored once',
      );
    },
  );

  await t.test('settings and administration screens render', async (t) => {
    await a.page.getByRole('link', { name: 'Settings' }).click();
    await a.page.getByRole('form', { name: 'Profile' }).waitFor({ timeout: VISIBLE });
    const picture = join(__dirname, '..', '..', 'web', 'public', 'icons', 'icon-192.png');
    await a.page.getByLabel('Profile picture').setInputFiles(picture);
    await a.page
      .getByRole('status')
      .filter({ hasText: 'Profile picture saved.' })
      .waitFor({ timeout: VISIBLE });
    await screenshot(a.page, 'desktop-settings-profile');
    // bob sees alice's picture beside their conversation once he loads her profile again.
    await b.page.goto(`${base}/`);
    const avatar = b.page.locator('aside.sidebar a.conversation-link img.avatar-image').first();
    // The picture is processed after it is saved; on a loaded machine that outlasts VISIBLE.
    await avatar.waitFor({ timeout: 3 * VISIBLE });
    await eventually(async () =>
      (await avatar.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0))
        ? true
        : undefined,
    );
    t.match(
      await avatar.getAttribute('src'),
      /^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\//,
      'from storage',
    );
    await a.page.goto(`${base}/admin`);
    await a.page.getByRole('alert').waitFor({ timeout: VISIBLE });
    t.match(
      await a.page.getByRole('alert').textContent(),
      'for administrators',
      'non-admins are told the page is not theirs',
    );
    await a.page.goto(`${base}/new`);
    await screenshot(a.page, 'desktop-new-conversation');
  });

  await t.test('reactions, replies, threads, edits and deletions reach the other side', async (t) => {
    await a.page.goto(conversationUrl);
    await b.page.goto(conversationUrl);
    const greeting = message(b.page, 'welcome to the thread');
    await greeting.waitFor({ timeout: VISIBLE });
    await greeting.hover();
    await greeting.getByRole('button', { name: 'React with 👍' }).click();
    await message(a.page, 'welcome to the thread')
      .locator('.reactions button', { hasText: '1' })
      .waitFor({ timeout: VISIBLE });
    t.pass("alice sees bob's reaction");

    await greeting.hover();
    await greeting.getByRole('button', { name: 'Reply', exact: true }).click();
    await send(b.page, 'Replying to your greeting');
    const reply = message(a.page, 'Replying to your greeting');
    await reply.locator('.reply-quote', { hasText: 'welcome to the thread' }).waitFor({ timeout: VISIBLE });
    t.pass('the reply quotes the message it answers');

    const original = message(a.page, 'And back');
    await original.hover();
    await original.getByRole('button', { name: 'Edit' }).click();
    const saved = a.page.waitForResponse(
      (r) => r.request().method() === 'PATCH' && r.url().includes('/api/v1/messages/'),
    );
    await a.page.getByLabel('Edit message').fill(`And back again, edited for @${bob.username}`);
    await a.page.getByLabel('Edit message').press('Enter');
    await message(b.page, 'And back again, edited').locator('.edited').waitFor({ timeout: VISIBLE });
    t.pass('bob sees the edit, marked as edited');
    const edit = await saved;
    t.equal(edit.status(), 200);
    t.equal(
      ((await edit.json()) as { mentions: string[] }).mentions.length,
      1,
      'the edit mentions bob, whom its new text names, so he is notified as mentioned',
    );

    await reply.hover();
    await reply.getByRole('button', { name: 'Thread', exact: true }).click();
    await a.page.getByRole('complementary', { name: 'Thread' }).waitFor({ timeout: VISIBLE });
    await a.page.getByRole('combobox', { name: 'Reply in thread' }).fill('A side note in the thread');
    await a.page.getByRole('combobox', { name: 'Reply in thread' }).press('Enter');
    await message(b.page, 'Replying to your greeting')
      .getByRole('button', { name: '1 reply in thread' })
      .waitFor({ timeout: VISIBLE });
    t.pass('bob sees the thread under the message');
    await screenshot(a.page, 'desktop-thread');
    await a.page.getByRole('button', { name: 'Close thread' }).click();

    const doomed = message(a.page, 'And back again, edited');
    await doomed.hover();
    a.watch.acceptNextConfirm = true;
    await doomed.getByRole('button', { name: 'Delete' }).click();
    await b.page.locator('main li.message.deleted').first().waitFor({ timeout: VISIBLE });
    t.equal(await message(b.page, 'And back again').count(), 0, 'the deleted text is gone for bob');
  });

  await t.test('notification settings save, and a message shows its delivery ledger', async (t) => {
    await a.page.goto(`${base}/settings/notifications`);
    const level = a.page.getByLabel('Notify me about');
    await level.waitFor({ timeout: VISIBLE });
    await level.selectOption('all');
    await a.page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor({ timeout: VISIBLE });
    await a.page.reload();
    await level.waitFor({ timeout: VISIBLE });
    t.equal(await level.inputValue(), 'all', 'the level is kept on the server');
    // The box follows the server's answer, so it changes a moment after the click.
    await a.page.getByRole('checkbox', { name: 'Hold notifications back at night' }).click();
    await a.page.getByLabel('From').waitFor({ timeout: VISIBLE });
    await screenshot(a.page, 'desktop-settings-notifications');
    await a.page.goto(conversationUrl);
    const mine = message(a.page, 'welcome to the thread');
    await mine.waitFor({ timeout: VISIBLE });
    await mine.hover();
    await mine.getByRole('button', { name: 'Delivery' }).click();
    const ledger = a.page.locator('dialog.ledger');
    await ledger.locator('h3', { hasText: bob.displayName }).waitFor({ timeout: VISIBLE });
    await ledger.locator('.timeline li', { hasText: 'read' }).first().waitFor({ timeout: VISIBLE });
    t.pass("the ledger shows bob's timeline, read included");
    await a.page.keyboard.press('Escape');
  });

  await t.test('a group is created, and a third person joins through an invitation', async (t) => {
    const carol = person('Carol');
    const c = await openPage(browser);
    await register(c.page, base, carol);
    await a.page.goto(`${base}/new`);
    await a.page.getByRole('radio', { name: 'Group' }).check();
    await a.page.getByLabel('Group name').fill('Design review');
    await a.page.getByLabel('Add members').fill(bob.username);
    await a.page.getByRole('button', { name: new RegExp(bob.displayName) }).click();
    await a.page.getByRole('button', { name: 'Create group' }).click();
    await a.page.getByRole('heading', { name: 'Design review' }).waitFor({ timeout: VISIBLE });
    await composer(a.page).pressSequentially(`Welcome @${bob.username.slice(0, 5)}`, { delay: 20 });
    await a.page.getByRole('option', { name: new RegExp(bob.username) }).waitFor({ timeout: VISIBLE });
    await composer(a.page).press('Enter');
    t.equal(await composer(a.page).inputValue(), `Welcome @${bob.username} `, 'the mention is completed');
    await composer(a.page).pressSequentially('please review', { delay: 10 });
    await composer(a.page).press('Enter');
    await message(a.page, 'please review').locator('.mention').waitFor({ timeout: VISIBLE });
    await a.page.getByRole('link', { name: 'Group settings' }).click();
    await a.page.getByRole('form', { name: 'Invite someone' }).waitFor({ timeout: VISIBLE });
    await a.page.getByLabel('Invite by').selectOption('username');
    await a.page.locator('#invite-value').fill(carol.username);
    await a.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await a.page.locator('.invite-list li', { hasText: carol.username }).waitFor({ timeout: VISIBLE });
    await screenshot(a.page, 'desktop-group-settings');
    await c.page.goto(`${base}/`);
    const banner = c.page.getByRole('link', { name: /invitation/ });
    await banner.waitFor({ timeout: VISIBLE });
    await banner.click();
    await c.page.getByRole('button', { name: 'Join' }).click();
    await c.page.getByRole('heading', { name: 'Design review' }).waitFor({ timeout: VISIBLE });
    await message(c.page, 'please review').waitFor({ timeout: VISIBLE });
    t.pass("carol joined and reads the group's history");
    await a.page.goto(`${base}/c/${new URL(c.page.url()).pathname.split('/')[2]}/settings`);
    await a.page.locator('.member-list li', { hasText: carol.displayName }).waitFor({ timeout: VISIBLE });
    t.pass('alice sees carol among the members');
  });

  await t.test('an administrator logs in and sees the figures as charts', async (t) => {
    const granted = await fetch(`${base}/api/v1/ops/users/${alice.username}/roles`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${env.stack.secrets.opsToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ roles: ['admin'] }),
    });
    t.equal(granted.status, 200, 'an operator grants alice the admin role');
    // Roles travel in access tokens: they take effect at the next login.
    await a.page.goto(`${base}/settings/profile`);
    await a.page.getByRole('button', { name: 'Log out' }).click();
    await a.page.getByRole('heading', { name: 'Log in' }).waitFor({ timeout: VISIBLE });
    await a.page.getByLabel('Username or email').fill(alice.username);
    await a.page.getByLabel('Password').fill(alice.password);
    await a.page.getByRole('button', { name: 'Log in' }).click();
    await a.page.getByRole('link', { name: 'Administration' }).click();
    await a.page.locator('figure.chart svg polyline').first().waitFor({ timeout: VISIBLE });
    const messages = await a.page.locator('.totals div', { hasText: 'Messages' }).locator('dd').textContent();
    t.ok(Number(messages) > 0, `the totals count today's messages (${messages})`);
    t.ok((await a.page.locator('figure.chart').count()) >= 4, 'the figures are drawn as charts');
    await screenshot(a.page, 'desktop-admin');
  });

  await t.test(
    'the links auth emails open the web app: verify the address, reset the password',
    async (t) => {
      const address = `${bob.username}@example.test`;
      const linkIn = (mail: CaughtEmail, path: string) => {
        const link = new RegExp(`https?://\\S+${path}#token=[A-Za-z0-9_-]+`).exec(mail.text)?.[0];
        if (!link) throw new Error(`no ${path} link in: ${mail.text}`);
        return link;
      };
      const verification = await waitForEmail(env.stack.ports.mailWeb, address, /Confirm your email/);
      await b.page.goto(linkIn(verification, '/verify-email'));
      await b.page
        .getByRole('status')
        .filter({ hasText: 'Your email address is verified.' })
        .waitFor({ timeout: VISIBLE });
      t.pass('the verification link verifies the address');

      const reset = await openPage(browser);
      await reset.page.goto(`${base}/login`);
      await reset.page.getByRole('link', { name: 'Forgot your password?' }).click();
      await reset.page.getByLabel('Email').fill(address);
      await reset.page.getByRole('button', { name: 'Email me a link' }).click();
      await reset.page.getByRole('status').filter({ hasText: 'on its way' }).waitFor({ timeout: VISIBLE });
      const mail = await waitForEmail(env.stack.ports.mailWeb, address, /Reset your Parley password/);
      await reset.page.goto(linkIn(mail, '/reset-password'));
      const fresh = `new-${randomBytes(6).toString('hex')}`;
      await reset.page.getByRole('textbox', { name: 'New password' }).fill(fresh);
      await reset.page.getByRole('button', { name: 'Set password' }).click();
      await reset.page
        .getByRole('status')
        .filter({ hasText: 'Your password is set' })
        .waitFor({ timeout: VISIBLE });
      await reset.page.getByRole('link', { name: 'Log in' }).click();
      await reset.page.getByLabel('Username or email').fill(bob.username);
      await reset.page.getByLabel('Password').fill(fresh);
      await reset.page.getByRole('button', { name: 'Log in' }).click();
      await reset.page.getByRole('heading', { name: 'Welcome to Parley' }).waitFor({ timeout: VISIBLE });
      t.pass('bob logs in with the new password');
      await reset.context.close();
    },
  );

  await t.test('on a phone, the list and the conversation take turns', async (t) => {
    await a.page.setViewportSize(PHONE);
    await a.page.goto(`${base}/`);
    await a.page.locator('a.conversation-link').first().waitFor({ timeout: VISIBLE });
    t.notOk(await a.page.locator('main#main').isVisible(), 'the list fills the phone screen');
    await screenshot(a.page, 'phone-conversation-list');
    await a.page.locator(`a.conversation-link[href="${new URL(conversationUrl).pathname}"]`).click();
    await message(a.page, 'crossed the road').waitFor({ timeout: VISIBLE });
    t.notOk(await a.page.locator('aside.sidebar').isVisible(), 'the conversation fills the phone screen');
    await screenshot(a.page, 'phone-conversation');
    await a.page.getByRole('link', { name: 'Back to conversations' }).click();
    await a.page.locator('a.conversation-link').first().waitFor({ timeout: VISIBLE });
    await a.page.goto(`${base}/search`);
    await screenshot(a.page, 'phone-search');
    const fresh = await openPage(browser, PHONE);
    await fresh.page.goto(`${base}/login`);
    await fresh.page.getByRole('heading', { name: 'Log in' }).waitFor({ timeout: VISIBLE });
    await screenshot(fresh.page, 'phone-login');
    await a.page.setViewportSize(DESKTOP);
  });

  t.comment(`screenshots are in ${SCREENSHOT_DIR}`);
  t.same([...a.watch.errors, ...b.watch.errors], [], 'no script error on either page');
});
