// Every view: screenshots at 1280 and 375 px (build/web-screens/), axe-core WCAG 2.2 AA with no
// serious or critical finding (light and dark), privacy mode hides every amount, no CSP report.
import { test, expect } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { signIn, go, axe, visibleAmounts, watchPage } from './helpers.js';

const SCREENS = process.env.NN_SCREENS_DIR || 'test-results/screens';
mkdirSync(SCREENS, { recursive: true });

const P = () => process.env.NN_DEMO_PORTFOLIO;
const userViews = () => [
  ['overview', '#/', 'Overview'],
  ['holdings', `#/p/${P()}`, 'Holdings'],
  ['holding', `#/p/${P()}/holding/NNA`, 'Your transactions in NNA'],
  ['performance', `#/p/${P()}/performance`, 'Returns'],
  ['allocation', `#/p/${P()}/allocation`, 'Targets and drift'],
  ['transactions', `#/p/${P()}/transactions`, 'Import from CSV'],
  ['income', `#/p/${P()}/income`, 'By year'],
  ['statements', `#/p/${P()}/statements`, 'Create a statement'],
  ['portfolio-settings', `#/p/${P()}/settings`, 'Cost basis method'],
  ['watchlists', '#/watchlists', 'Ideas'],
  ['notifications', '#/notifications', 'Notifications'],
  ['goals', '#/goals', 'House deposit'],
  ['settings', '#/settings', 'Save profile'],
  ['about', '#/about', 'Third-party notices'],
];

async function settle(page, text) {
  await expect(page.getByText(text, { exact: false }).first()).toBeVisible();
  await expect(page.locator('.loading')).toHaveCount(0);
  if (await page.locator('[data-chart]').count()) await expect(page.locator('[data-chart] canvas').first()).toBeVisible();
  await page.waitForTimeout(150);
}

async function shoot(page, name) {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 375 ? 812 : 900 });
    await page.waitForTimeout(200);
    await page.screenshot({ path: `${SCREENS}/${name}-${width}.png`, fullPage: true });
    // nothing wider than the viewport at 375 px except scrolling tables
    if (width === 375) {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${name} overflows at 375 px`).toBeLessThanOrEqual(1);
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

test('signed-out views: screenshots and axe', async ({ page }) => {
  const watch = watchPage(page);
  for (const [name, hash, text] of [['signin', '#/signin', 'Forgot your password?'], ['signup', '#/signup', 'Create an account'], ['forgot', '#/forgot', 'Send reset link'], ['reset', '#/reset?token=x', 'Choose a new password'], ['verify', '#/verify?token=bad', 'Verify your email']]) {
    await page.goto('/' + hash);
    await settle(page, text);
    await shoot(page, name);
    expect(await axe(page), name).toEqual([]);
  }
  watch.check();
});

test('first run: the sign-in page of a system without an admin says how to create one', async ({ page }) => {
  // the server's answer on an empty system (this test server already has an admin)
  await page.route('**/api/v1/setup', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ needs_admin: true, how: 'nexanest user create --email E --role ADMIN --password-file -' }) }));
  await page.goto('/#/signin');
  await expect(page.getByTestId('setup')).toContainText('nexanest user create');
  await shoot(page, 'signin-first-run');
  expect(await axe(page), 'first run').toEqual([]);
});

test('user views: screenshots, axe (light and dark), 375 px', async ({ page }) => {
  const watch = watchPage(page);
  await signIn(page, process.env.NN_DEMO_EMAIL, process.env.NN_DEMO_PASSWORD);
  for (const [name, hash, text] of userViews()) {
    await go(page, hash);
    await settle(page, text);
    await shoot(page, name);
    expect(await axe(page), `${name} (light)`).toEqual([]);
  }
  await page.getByTestId('theme').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  for (const [name, hash, text] of userViews()) {
    await go(page, hash);
    await settle(page, text);
    if (name === 'overview' || name === 'holding') await page.screenshot({ path: `${SCREENS}/${name}-dark-1280.png`, fullPage: true });
    expect(await axe(page), `${name} (dark)`).toEqual([]);
  }
  await page.getByTestId('theme').click();
  watch.check();
});

test('privacy mode hides every amount on every view and keeps percentages', async ({ page }) => {
  await signIn(page, process.env.NN_DEMO_EMAIL, process.env.NN_DEMO_PASSWORD);
  // amounts are there before
  await go(page, `#/p/${P()}`);
  await settle(page, 'Holdings');
  expect((await visibleAmounts(page)).length).toBeGreaterThan(0);
  await page.getByTestId('privacy').click();
  await expect(page.getByTestId('privacy')).toHaveAttribute('aria-pressed', 'true');
  for (const [name, hash, text] of userViews()) {
    await go(page, hash);
    await settle(page, text);
    expect(await visibleAmounts(page), `${name} shows amounts in privacy mode`).toEqual([]);
    if (name === 'holdings') await expect(page.locator('[data-pct]').filter({ hasText: '%' }).first()).toBeVisible();
    if (name === 'overview') await page.screenshot({ path: `${SCREENS}/overview-privacy-1280.png`, fullPage: true });
  }
  await page.getByTestId('privacy').click();
});

test('advisor and admin views', async ({ page }) => {
  const watch = watchPage(page);
  await signIn(page, process.env.NN_ADVISOR_EMAIL, process.env.NN_ADVISOR_PASSWORD);
  await go(page, '#/advisor');
  await settle(page, 'Clients');
  const accept = page.getByRole('button', { name: `Accept ${process.env.NN_DEMO_EMAIL}` });
  if (await accept.count()) {
    await accept.click();
    await expect(page.getByRole('link', { name: 'Long-term' })).toBeVisible();
  }
  await shoot(page, 'advisor');
  expect(await axe(page), 'advisor').toEqual([]);
  // the client's portfolio within a READ grant: readable, no write controls
  await page.getByRole('link', { name: 'Long-term' }).click();
  await expect(page.getByTestId('client-access')).toContainText('read-only');
  await page.getByRole('link', { name: 'Transactions' }).click();
  await expect(page.getByTestId('tx-table')).toBeVisible();
  await expect(page.getByTestId('add-tx')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Import from CSV' })).toHaveCount(0);
  expect(await axe(page), 'advisor: client transactions').toEqual([]);
  await page.getByTestId('signout').click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await signIn(page, process.env.NN_ADMIN_EMAIL, process.env.NN_ADMIN_PASSWORD);
  await go(page, '#/admin');
  await settle(page, process.env.NN_DEMO_EMAIL);
  await shoot(page, 'admin-users');
  expect(await axe(page), 'admin users').toEqual([]);
  await page.getByRole('tab', { name: 'Audit trail' }).click();
  await settle(page, 'Action');
  await shoot(page, 'admin-audit');
  expect(await axe(page), 'admin audit').toEqual([]);
  watch.check();
});
