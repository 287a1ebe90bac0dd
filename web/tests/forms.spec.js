// Forms beyond the journey: edit and delete a transaction, an API key's secret shown once,
// a goal edited, a watchlist renamed.
import { test, expect } from '@playwright/test';
import { call, login } from './api.js';
import { signIn, go, watchPage } from './helpers.js';

test('transactions: edit with a field error, then delete', async ({ page }) => {
  const watch = watchPage(page);
  const demo = await login(process.env.NN_DEMO_EMAIL, process.env.NN_DEMO_PASSWORD);
  const p = await call('POST', '/portfolios', { token: demo, body: { name: `Edits ${Date.now()}`, currency: 'USD' } });
  await call('POST', `/portfolios/${p.id}/transactions`, { token: demo, body: { type: 'DEPOSIT', amount: '500', currency: 'USD', executed_at: '2025-03-01T10:00:00Z' } });
  await signIn(page, process.env.NN_DEMO_EMAIL, process.env.NN_DEMO_PASSWORD);
  await go(page, `#/p/${p.id}/transactions`);
  const table = page.getByTestId('tx-table');
  await expect(table).toContainText('$500.00');
  await table.getByRole('button', { name: /^Edit DEPOSIT/ }).click();
  const form = page.getByTestId('tx-form');
  await form.getByLabel('Amount').fill('12.345678901234');   // more than 10 fractional digits
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.locator('#tx-amount-err')).toBeVisible();
  await form.getByLabel('Amount').fill('750.25');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(table).toContainText('$750.25');
  page.once('dialog', (d) => d.accept());
  await table.getByRole('button', { name: /^Delete DEPOSIT/ }).click();
  await expect(page.getByText('No transactions yet.')).toBeVisible();
  await call('DELETE', `/portfolios/${p.id}`, { token: demo });   // deactivated: the other views see one portfolio
  watch.check();
});

test('settings: an API key secret is shown once; a goal is edited; a watchlist renamed', async ({ page }) => {
  const watch = watchPage(page);
  await signIn(page, process.env.NN_DEMO_EMAIL, process.env.NN_DEMO_PASSWORD);
  await go(page, '#/settings');
  await page.getByRole('tab', { name: 'API keys' }).click();
  await page.getByLabel('Key name').fill('spreadsheet');
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = page.getByTestId('new-key');
  await expect(secret).toContainText('nnk_');
  const key = (await secret.locator('.secret').textContent()).trim();
  const list = await call('GET', '/portfolios', { token: key });  // the key works (portfolio:read)
  expect(list.items.some((p) => p.name === 'Long-term')).toBe(true);
  await page.getByRole('tab', { name: 'Profile' }).click();
  await page.getByRole('tab', { name: 'API keys' }).click();
  await expect(page.getByText('spreadsheet')).toBeVisible();
  await expect(page.getByTestId('new-key')).toHaveCount(0);      // never shown again
  expect(await page.locator('main').textContent()).not.toContain(key);

  await go(page, '#/goals');
  await page.getByRole('button', { name: 'Edit goal House deposit' }).click();
  await page.getByLabel('Target amount').fill('120000');
  await page.getByRole('button', { name: 'Save goal' }).click();
  await expect(page.getByText('$120,000.00')).toBeVisible();

  await go(page, '#/watchlists');
  await page.getByRole('button', { name: 'Rename Ideas' }).click();
  await page.getByLabel('New name').fill('Ideas 2027');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { name: 'Ideas 2027' })).toBeVisible();
  await page.getByRole('button', { name: 'Rename Ideas 2027' }).click();
  await page.getByLabel('New name').fill('Ideas');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { name: 'Ideas', exact: true })).toBeVisible();
  watch.check();
});
