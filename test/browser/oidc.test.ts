import { randomBytes } from 'node:crypto';
import t from 'tap';
import { startOidcStack, startTestProvider } from '../support/oidc-provider';
import { launchBrowser, openPage, screenshot } from './browser';

const VISIBLE = 60_000;

// "Log in with" a real OpenID Connect provider, in the browser: the provider sends the browser back
// to the web client's /oidc/callback page, which completes the login through the API.
t.test('a person logs in through the OpenID Connect provider', async (t) => {
  const provider = await startTestProvider(t);
  // The default redirect: the web client's page.
  const { gateway: base } = await startOidcStack(t, provider);
  const subject = `sub-${randomBytes(6).toString('hex')}`;
  provider.accounts.set(subject, {
    email: `${subject}@idp.example`,
    email_verified: true,
    name: 'Ada Lovelace',
    preferred_username: 'ada',
  });
  const browser = await launchBrowser(t);
  const { page, watch } = await openPage(browser);

  await page.goto(`${base}/login`);
  const button = page.getByRole('link', { name: 'Log in with your organisation' });
  await button.waitFor({ timeout: VISIBLE });
  await screenshot(page, 'desktop-login-with-provider');
  await button.click();
  // The provider's own development login and consent pages.
  await page.locator('input[name="login"]').waitFor({ timeout: VISIBLE });
  await page.locator('input[name="login"]').fill(subject);
  await page.locator('input[name="password"]').fill('anything');
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]', { hasText: /continue/i }).click();
  await page.getByRole('heading', { name: 'Welcome to Parley' }).waitFor({ timeout: VISIBLE });
  t.equal(new URL(page.url()).pathname, '/', 'back in the app, logged in');

  await page.goto(`${base}/settings/profile`);
  const profile = page.getByRole('form', { name: 'Profile' });
  await profile.waitFor({ timeout: VISIBLE });
  t.equal(
    await page.getByLabel('Display name').inputValue(),
    'Ada Lovelace',
    'the account carries the provider name',
  );
  t.match(await page.locator('main').textContent(), `${subject}@idp.example`, 'and its verified email');
  t.same(watch.errors, [], 'no script error');
});
