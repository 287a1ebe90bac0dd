// The whole journey of a newcomer, in one browser page against the real server.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { call, mailLink, verifyPath } from './api.js';
import { signIn, watchPage } from './helpers.js';

test('register → verify → sign in → portfolio → deposit → buy → live value → alert → CSV dry run → statement', async ({ page }) => {
  const watch = watchPage(page);
  await page.addInitScript(() => localStorage.setItem('nnDebug', '1'));
  test.info().annotations.push({ type: 'live-log', description: 'printed on failure' });
  page.on('close', () => {});
  const dumpLive = async () => { try { console.log('live events:', JSON.stringify(await page.evaluate(() => window.nnLiveLog))); } catch { /* closed */ } };
  try { await journey(); } catch (e) { await dumpLive(); throw e; }
  watch.check();

  async function journey() {
  const key = process.env.NN_MARKET_KEY;
  const email = `journey-${Date.now()}@web-test.example`;
  const password = 'correct horse battery staple 42';
  const tick = (symbol, close) => call('POST', '/market/prices', { token: key, body: { prices: [{ time: new Date().toISOString(), symbol, close }] } });

  await test.step('sign up', async () => {
    await page.goto('/#/signup');
    await page.getByLabel('Display name (optional)').fill('Journey Tester');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByTestId('signup-done')).toContainText('var/mail');
  });

  await test.step('verify through the link in the mail folder', async () => {
    const link = await mailLink(email, 'verify');
    await page.goto(verifyPath(link));
    await expect(page.getByTestId('verified')).toBeVisible();
    expect(page.url()).not.toContain('token=');
  });

  await test.step('sign in', async () => { await signIn(page, email, password); });

  await test.step('create a portfolio', async () => {
    await page.getByRole('button', { name: 'New portfolio' }).click();
    await page.getByLabel('Name').fill('Journey');
    await page.getByLabel('Currency').fill('USD');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(page.getByTestId('portfolio-card').filter({ hasText: 'Journey' })).toBeVisible();
  });

  await tick('LIVE', '100');
  await test.step('deposit and buy', async () => {
    await page.getByTestId('portfolio-card').filter({ hasText: 'Journey' }).click();
    await page.getByRole('link', { name: 'Transactions' }).click();
    await page.getByTestId('add-tx').click();
    let form = page.getByTestId('tx-form');
    await form.getByLabel('Type').selectOption('DEPOSIT');
    await form.getByLabel('Amount').fill('10000');
    await form.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(page.getByTestId('tx-table')).toContainText('DEPOSIT');

    // a bad buy first: the server's field error appears next to the field
    await page.getByTestId('add-tx').click();
    form = page.getByTestId('tx-form');
    await form.getByLabel('Type').selectOption('BUY');
    await form.getByLabel('Symbol').fill('LIVE');
    await form.getByLabel('Quantity').fill('-3');
    await form.getByLabel('Price').fill('100');
    await form.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(form.locator('#tx-qty-err')).toBeVisible();
    await form.getByLabel('Quantity').fill('10');
    await form.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(page.getByTestId('tx-table')).toContainText('LIVE');
  });

  await test.step('prices ingested through the API move the value on screen', async () => {
    await page.getByRole('link', { name: 'Holdings' }).click();
    const row = page.locator('tr[data-symbol="LIVE"]');
    await expect(row.getByTestId('value')).toContainText('1,000.00');
    await expect(page.getByTestId('cash-line')).toContainText('9,000.00');
    await expect(page.getByTestId('live-status')).toHaveText('open');
    await tick('LIVE', '123.45');
    await expect(row.getByTestId('value')).toContainText('1,234.50');
    await expect(row.getByTestId('price')).toContainText('123.45');
    await expect(page.getByTestId('holdings-total')).toContainText('10,234.50');
    await page.getByRole('link', { name: 'NexaNest', exact: true }).click();
    await expect(page.getByTestId('portfolio-card').filter({ hasText: 'Journey' }).getByTestId('portfolio-value')).toContainText('10,234.50');
    await tick('LIVE', '130');
    await expect(page.getByTestId('portfolio-card').filter({ hasText: 'Journey' }).getByTestId('portfolio-value')).toContainText('10,300.00');
  });

  await test.step('a watchlist alert arrives in the bell', async () => {
    await page.getByRole('link', { name: 'Watchlists' }).click();
    await page.getByLabel('New watchlist').fill('Alerts');
    await page.getByRole('button', { name: 'Create' }).click();
    const list = page.getByTestId('watchlist').filter({ hasText: 'Alerts' });
    await list.getByLabel('Symbol', { exact: true }).fill('ALRT');
    await list.getByLabel('Alert above').fill('50');
    await list.getByRole('button', { name: 'Add symbol' }).click();
    await expect(list.locator('tr[data-symbol="ALRT"]')).toBeVisible();
    await expect(page.getByTestId('bell-count')).toHaveCount(0);
    await tick('ALRT', '61.5');
    await expect(page.getByTestId('bell-count')).toHaveText(/^[1-9]/, { timeout: 20_000 });
    await expect(list.locator('tr[data-symbol="ALRT"] [data-testid="wl-price"]')).toContainText('61.50');
    await page.getByTestId('bell').click();
    await expect(page.getByTestId('bell-list')).toContainText('ALRT');
    await page.keyboard.press('Escape');
  });

  await test.step('CSV import dry run lists the bad lines', async () => {
    await page.getByRole('link', { name: 'NexaNest', exact: true }).click();
    await page.getByTestId('portfolio-card').filter({ hasText: 'Journey' }).click();
    await page.getByRole('link', { name: 'Transactions' }).click();
    const csv = [
      'type,symbol,quantity,price,amount,currency,date',
      'DEPOSIT,,,,500,USD,2024-01-02',
      'BUY,LIVE,abc,100,,USD,2024-01-03',
      'BUY,LIVE,1,100,,XXX1,2024-01-04',
      'BUY,LIVE,2,99.5,,USD,2024-01-05',
    ].join('\n');
    await page.getByTestId('csv-text').fill(csv);
    await page.getByTestId('dry-run').click();
    const bad = page.getByTestId('bad-lines');
    await expect(bad).toBeVisible();
    const lines = await bad.locator('tbody tr td:first-child').allTextContents();
    expect([...new Set(lines)].sort()).toEqual(['3', '4']);
    await expect(bad).toContainText('quantity');
    await expect(bad).toContainText('currency');
    await expect(page.getByTestId('import-preview')).toContainText('2 with problems');
  });

  await test.step('a statement downloads', async () => {
    await page.getByRole('link', { name: 'Statements' }).click();
    await page.getByRole('button', { name: 'Create statement' }).click();
    const table = page.getByTestId('statements');
    await expect(table.locator('tbody tr')).toHaveCount(1);
    const [download] = await Promise.all([page.waitForEvent('download'), table.getByRole('button', { name: /CSV/ }).first().click()]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const text = readFileSync(await download.path(), 'utf8');
    expect(text).toContain('summary');
    expect(text).toContain('LIVE');
  });
  }
});
