// Sign-in safety: the refresh cookie, two tabs, sign-out, CSRF, nothing in web storage.
import { test, expect } from '@playwright/test';
import { signIn } from './helpers.js';
import { call, mailLink, verifyPath } from './api.js';

const EMAIL = () => process.env.NN_DEMO_EMAIL;
const PASSWORD = () => process.env.NN_DEMO_PASSWORD;
const COOKIE = '__Host-nn_refresh';

test('the session survives a reload from the HttpOnly cookie; no token in web storage or the URL', async ({ page, context }) => {
  await signIn(page, EMAIL(), PASSWORD());
  const cookie = (await context.cookies()).find((c) => c.name === COOKIE);
  expect(cookie, 'refresh cookie set').toBeTruthy();
  expect(cookie.httpOnly).toBe(true);
  expect(cookie.secure).toBe(true);
  expect(cookie.sameSite).toBe('Strict');
  expect(cookie.path).toBe('/');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie + location.href);
  expect(stored).not.toMatch(/eyJ[\w-]+\.[\w-]+/);   // no JWT
  expect(stored).not.toContain('refresh');
});

test('two tabs refreshing at the same moment both stay signed in', async ({ page, context }) => {
  await signIn(page, EMAIL(), PASSWORD());
  const second = await context.newPage();
  await second.goto('/#/');
  await expect(second.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
  for (let round = 0; round < 3; round++) {
    // both tabs restore their session from the same cookie at once
    await Promise.all([page.reload(), second.reload()]);
    await expect(page.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
    await expect(second.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
  }
  // the session family was not revoked: a third load still restores it
  const third = await context.newPage();
  await third.goto('/#/');
  await expect(third.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
});

test('sign-out clears the cookie and the other tabs', async ({ page, context }) => {
  await signIn(page, EMAIL(), PASSWORD());
  const second = await context.newPage();
  await second.goto('/#/');
  await expect(second.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
  await page.getByTestId('signout').click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(second.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  const cookie = (await context.cookies()).find((c) => c.name === COOKIE && c.value);
  expect(cookie, 'refresh cookie cleared').toBeFalsy();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});

test('a cross-site POST to a cookie route is refused', async ({ page, context, baseURL }) => {
  await signIn(page, EMAIL(), PASSWORD());
  const forged = await context.request.post(baseURL + '/api/v1/auth/refresh', {
    headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site', 'X-NexaNest-Client': 'web' },
    data: '{}',
  });
  expect(forged.status()).toBeGreaterThanOrEqual(400);
  const noHeader = await context.request.post(baseURL + '/api/v1/auth/refresh', {
    headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' },
    data: '{}',
  });
  expect(noHeader.status()).toBeGreaterThanOrEqual(400);
  // the refused attempts did not spoil the session
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
});

test('forgot password → the reset link from the mail → sign in with the new password', async ({ page }) => {
  const email = `reset-${Date.now()}@web-test.example`;
  await call('POST', '/auth/register', { body: { email, password: 'first password for reset 1' } });
  await page.goto('/#/forgot');
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByRole('status')).toContainText(email);
  const link = await mailLink(email, 'reset');
  await page.goto(verifyPath(link, 'reset'));
  await page.getByLabel('New password').fill('second password after reset 2');
  expect(page.url()).not.toContain('token=');
  await page.getByLabel('Repeat it').fill('second password after reset 2');
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByText('Your password was changed')).toBeVisible();
  await signIn(page, email, 'second password after reset 2');
});

test('keyboard only: skip link, visible focus, sign in with Tab and Enter', async ({ page }) => {
  await page.goto('/#/signin');
  await expect(page.getByLabel('Email')).toBeVisible();
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => ({ text: document.activeElement.textContent, outline: getComputedStyle(document.activeElement).outlineStyle }));
  expect(first.text).toContain('Skip to content');
  expect(first.outline).not.toBe('none');
  for (let i = 0; i < 12 && (await page.evaluate(() => document.activeElement.id)) !== 'si-email'; i++) await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement.id)).toBe('si-email');
  expect(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle)).not.toBe('none');
  await page.keyboard.type(process.env.NN_DEMO_EMAIL);
  await page.keyboard.press('Tab');
  await page.keyboard.type(process.env.NN_DEMO_PASSWORD);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
});
