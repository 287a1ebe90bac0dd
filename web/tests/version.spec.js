// Playwright drives Debian's chromium instead of its own build; that is only safe while both
// speak the same protocol: the majors must match (bump @playwright/test when Debian moves on).
import { test, expect } from '@playwright/test';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

test('Debian chromium major equals the one this Playwright targets', async ({ browser }) => {
  const file = join(dirname(require.resolve('playwright-core')), 'browsers.json');
  const browsers = JSON.parse(readFileSync(file, 'utf8')).browsers;
  const expected = browsers.find((b) => b.name === 'chromium').browserVersion.split('.')[0];
  const actual = browser.version().split('.')[0];
  expect(actual, `Playwright expects Chromium ${expected}, /usr/bin/chromium is ${browser.version()}`).toBe(expected);
});
