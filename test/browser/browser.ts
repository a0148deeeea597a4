import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import type { Test } from 'tap';

/** Debian's Chromium; playwright-core never downloads a browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Where the run's screenshots go (git-ignored), for a reviewer to look at. */
export const SCREENSHOT_DIR = resolve(__dirname, 'screenshots');

/** Launches headless Chromium with a fresh, empty profile, closed with the test. */
export async function launchBrowser(t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.teardown(() => browser.close());
  return browser;
}

/** What a page did that a test may want to assert never happened. */
export interface PageWatch {
  dialogs: string[];
  /** Accept the next confirm() (a user confirming a deletion); any other dialog is dismissed. */
  acceptNextConfirm: boolean;
  errors: string[];
  cspViolations: string[];
}

/** A new context (its own cookies and storage) and page, watched for dialogs and script errors. */
export async function openPage(
  browser: Browser,
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page; watch: PageWatch }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const watch: PageWatch = { dialogs: [], errors: [], cspViolations: [], acceptNextConfirm: false };
  page.on('dialog', (dialog) => {
    if (dialog.type() === 'confirm' && watch.acceptNextConfirm) {
      watch.acceptNextConfirm = false;
      void dialog.accept();
      return;
    }
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (err) => watch.errors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) {
      watch.cspViolations.push(message.text());
    }
  });
  return { context, page, watch };
}

/** Saves a full-window screenshot as `<name>.png` in the screenshot folder. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
