// The live stream drops and comes back: it resumes with Last-Event-ID (a notification produced
// while disconnected still arrives as a live event) and the views refetch their REST data.
import { test, expect } from '@playwright/test';
import { call, login } from './api.js';
import { signIn, go, watchPage } from './helpers.js';

test('reconnect resumes with Last-Event-ID and refetches', async ({ page }) => {
  const watch = watchPage(page);
  const key = process.env.NN_MARKET_KEY;
  const admin = await login(process.env.NN_ADMIN_EMAIL, process.env.NN_ADMIN_PASSWORD);
  const demo = await login(process.env.NN_DEMO_EMAIL, process.env.NN_DEMO_PASSWORD);
  const a = `RC${Date.now() % 100000}A`, b = `RC${Date.now() % 100000}B`;
  for (const s of [a, b]) await call('POST', '/market/instruments', { token: admin, body: { symbol: s, name: s, asset_class: 'EQUITY', currency: 'USD' } });
  await call('POST', '/watchlists', { token: demo, body: { name: 'Reconnect', items: [{ symbol: a, alert_above: '10' }, { symbol: b, alert_above: '10' }] } });
  const tick = (symbol) => call('POST', '/market/prices', { token: key, body: { prices: [{ time: new Date().toISOString(), symbol, close: '11' }] } });

  await page.addInitScript(() => localStorage.setItem('nnDebug', '1'));
  await signIn(page, process.env.NN_DEMO_EMAIL, process.env.NN_DEMO_PASSWORD);
  await go(page, '#/notifications');
  await expect(page.getByTestId('live-status')).toHaveText('open');
  const events = () => page.evaluate(() => window.nnLiveLog.filter((e) => e[1] === 'notification').map((e) => e[2]));

  // connected: the first alert arrives live and gives the stream an id
  await tick(a);
  await expect.poll(async () => (await events()).some((t) => t.includes(a)), { timeout: 20_000 }).toBe(true);

  // disconnected: reconnects are refused while the second alert is produced
  await page.route('**/api/v1/stream', (route) => route.abort());
  await page.evaluate(() => window.nnLiveDrop());
  await expect(page.getByTestId('live-status')).toHaveText('reconnecting');
  await tick(b);
  await expect.poll(async () => (await call('GET', '/notifications?limit=20', { token: demo })).items.some((n) => n.title.includes(b)), { timeout: 20_000 }).toBe(true);
  expect((await events()).some((t) => t.includes(b))).toBe(false);

  // back: the stream resumes after the last id it saw and the missed alert arrives as an event
  const resumed = page.waitForRequest((r) => r.url().endsWith('/api/v1/stream') && !!r.headers()['last-event-id'], { timeout: 40_000 });
  await page.unroute('**/api/v1/stream');
  const req = await resumed;
  expect(req.headers()['last-event-id']).toMatch(/^\d+-\d+$/);
  await expect(page.getByTestId('live-status')).toHaveText('open', { timeout: 40_000 });
  await expect.poll(async () => (await events()).some((t) => t.includes(b)), { timeout: 20_000 }).toBe(true);
  // and the view refetched: the list shows both alerts
  await expect(page.locator('main')).toContainText(b);
  watch.check();
});
