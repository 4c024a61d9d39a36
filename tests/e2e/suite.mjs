// The set-up most Playwright test files share: the development server, Debian's Chromium and one
// page on the blank page, opened before a file's tests and closed after them.
import { after, before } from 'node:test';
import { launchChromium, startDevServer } from './browser.mjs';

/**
 * Registers the file's `before` and `after` hooks. Once open, `opened({server, origin, blank,
 * browser, page})` is called; `prepare(page)` runs before the page loads the blank page (init
 * scripts, throttling). Page errors are printed.
 */
export function chromiumSuite(opened, { prepare } = {}) {
  let browser;
  let server;
  before(async () => {
    const dev = await startDevServer();
    server = dev.server;
    browser = await launchChromium();
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error('page error:', error));
    await prepare?.(page);
    await page.goto(dev.blank);
    opened({ ...dev, browser, page });
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });
}
