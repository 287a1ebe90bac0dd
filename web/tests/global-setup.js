// Seeds what the view tests show, through the API like any client: an admin's API key with
// market:write, instruments with ten years of daily prices (also the first-chart benchmark), a
// demo portfolio with trades, dividends, a target, a watchlist, a goal and a statement, and an
// advisor grant. The accounts come from `nexanest user create` in scripts/web-test.sh.
import { call, login, isoDay } from './api.js';

const DAY = 86400_000;

function walk(seed, start, n, drift) {
  let x = seed;
  const rnd = () => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
  const out = [];
  let p = start;
  for (let i = 0; i < n; i++) {
    const o = p;
    p = Math.max(1, p * (1 + drift + (rnd() - 0.5) * 0.03));
    const hi = Math.max(o, p) * (1 + rnd() * 0.01);
    const lo = Math.min(o, p) * (1 - rnd() * 0.01);
    out.push({ open: o.toFixed(4), high: hi.toFixed(4), low: lo.toFixed(4), close: p.toFixed(4), volume: String(Math.floor(1e5 + rnd() * 9e5)) });
  }
  return out;
}

export function tradingDays(years) {
  const end = new Date(); end.setUTCHours(20, 0, 0, 0);
  const start = new Date(end.getTime() - Math.round(years * 365.25) * DAY);
  const days = [];
  for (let t = start.getTime(); t < end.getTime() - DAY / 2; t += DAY) {
    const d = new Date(t); const w = d.getUTCDay();
    if (w !== 0 && w !== 6) days.push(d);
  }
  return days;
}

async function ingest(key, path, rows) {
  for (let i = 0; i < rows.length; i += 2000) await call('POST', path, { token: key, body: { prices: rows.slice(i, i + 2000) } });
}

async function instrument(admin, body) {
  try { await call('POST', '/market/instruments', { token: admin, body }); } catch (e) { if (e.status !== 409) throw e; }
}

export default async function globalSetup() {
  if (process.env.NN_SKIP_SEED) return;
  const admin = await login(process.env.NN_ADMIN_EMAIL, process.env.NN_ADMIN_PASSWORD);
  const key = (await call('POST', '/api-keys', { token: admin, body: { name: 'web-test feed', scopes: ['market:write', 'market:read'] } })).key;
  process.env.NN_MARKET_KEY = key;

  await instrument(admin, { symbol: 'NNA', name: 'Nest Alpha Inc', asset_class: 'EQUITY', sector: 'Technology', country: 'US', currency: 'USD', fractional: false });
  await instrument(admin, { symbol: 'NNB', name: 'Nest Bond ETF', asset_class: 'ETF', country: 'DE', currency: 'USD', fractional: true });
  await instrument(admin, { symbol: 'NNX', name: 'Nest Index', asset_class: 'INDEX', currency: 'USD' });
  for (const s of ['TICK', 'ALRT', 'LIVE', 'BG0', 'BG1', 'BG2', 'BG3', 'BG4', 'BG5', 'BG6', 'BG7', 'BG8', 'BG9']) {
    await instrument(admin, { symbol: s, name: `Test ${s}`, asset_class: 'EQUITY', sector: 'Industrials', country: 'US', currency: 'USD' });
  }

  // ten years of daily bars
  const days = tradingDays(10);
  const series = { NNA: walk(7, 40, days.length, 0.0005), NNB: walk(11, 90, days.length, 0.0001), NNX: walk(3, 3000, days.length, 0.0003) };
  for (const [sym, bars] of Object.entries(series)) {
    const rows = bars.map((b, i) => ({ time: days[i].toISOString(), symbol: sym, ...b }));
    await ingest(key, sym === 'NNX' ? '/market/indices' : '/market/prices', rows);
  }
  process.env.NN_HISTORY_DAYS = String(days.length);

  // the demo user's portfolio
  const demo = await login(process.env.NN_DEMO_EMAIL, process.env.NN_DEMO_PASSWORD);
  await call('PATCH', '/me/profile', { token: demo, body: { display_name: 'Demo Investor', base_currency: 'USD' } });
  const p = await call('POST', '/portfolios', { token: demo, body: { name: 'Long-term', currency: 'USD', benchmarks: ['NNX'] } });
  process.env.NN_DEMO_PORTFOLIO = p.id;
  const at = (i) => new Date(days[i].getTime() - 3600_000).toISOString();
  const tx = (body) => call('POST', `/portfolios/${p.id}/transactions`, { token: demo, body });
  await tx({ type: 'DEPOSIT', amount: '20000', currency: 'USD', executed_at: at(0) });
  await tx({ type: 'BUY', symbol: 'NNA', quantity: '150', price: series.NNA[0].open, fee: '4.95', currency: 'USD', executed_at: at(1) });
  await tx({ type: 'BUY', symbol: 'NNB', quantity: '60', price: series.NNB[5].open, fee: '4.95', currency: 'USD', executed_at: at(5) });
  for (let y = 1; y < 10; y++) {
    const i = Math.min(days.length - 1, y * 261);
    await tx({ type: 'DIVIDEND', symbol: 'NNA', amount: String(30 + y * 5), currency: 'USD', executed_at: at(i) });
    await tx({ type: 'DEPOSIT', amount: '2000', currency: 'USD', executed_at: at(i + 1) });
    await tx({ type: 'BUY', symbol: 'NNB', quantity: '10', price: series.NNB[i + 2].open, fee: '1', currency: 'USD', executed_at: at(i + 2) });
  }
  await tx({ type: 'SELL', symbol: 'NNA', quantity: '30', price: series.NNA[days.length - 300].close, fee: '4.95', currency: 'USD', executed_at: at(days.length - 300) });
  await tx({ type: 'INTEREST', amount: '12.5', currency: 'USD', executed_at: at(days.length - 40) });
  // a fresh tick so the holdings carry current prices
  const now = new Date().toISOString();
  await call('POST', '/market/prices', { token: key, body: { prices: [
    { time: now, symbol: 'NNA', close: series.NNA[days.length - 1].close },
    { time: now, symbol: 'NNB', close: series.NNB[days.length - 1].close },
  ] } });
  // the price consumer applies the tick to the holdings (outbox relay every few seconds)
  for (let i = 0; i < 60; i++) {
    const h = await call('GET', `/portfolios/${p.id}/holdings`, { token: demo });
    if (h.holdings.every((x) => x.current_price !== null)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await call('POST', `/portfolios/${p.id}/allocation-rules`, { token: demo, body: { dimension: 'ASSET_CLASS', key: 'EQUITY', target_weight: '0.6', tolerance: '0.05' } });
  const wl = await call('POST', '/watchlists', { token: demo, body: { name: 'Ideas', items: [{ symbol: 'NNA', alert_above: '100000' }, { symbol: 'NNX', alert_change_pct: '5' }] } });
  process.env.NN_DEMO_WATCHLIST = wl.id;
  const target = new Date(Date.now() + 5 * 365 * DAY);
  await call('POST', '/goals', { token: demo, body: { name: 'House deposit', target_amount: '100000', currency: 'USD', target_date: isoDay(target), monthly_contribution: '500', portfolio_ids: [p.id] } });
  const lastMonth = new Date(); lastMonth.setUTCDate(1); lastMonth.setUTCMonth(lastMonth.getUTCMonth() - 1);
  try { await call('POST', `/portfolios/${p.id}/reports`, { token: demo, body: { period: 'monthly', year: lastMonth.getUTCFullYear(), month: lastMonth.getUTCMonth() + 1 } }); } catch (e) { console.warn('statement:', e.message); }
  try { await call('POST', '/me/advisors', { token: demo, body: { advisor_email: process.env.NN_ADVISOR_EMAIL, access: 'READ' } }); } catch (e) { console.warn('advisor grant:', e.message); }
  process.env.NN_DEMO_USER_ID = (await call('GET', '/me', { token: demo })).id;
}
