// Display formatting. Amounts arrive as decimal strings and are handed to Intl.NumberFormat as
// strings, which formats them exactly (a JavaScript Number would round beyond 15-17 digits).
// Ratios (returns, weights) arrive as JSON numbers and are shown as percentages.
import { prefs } from './state.svelte.js';

const cache = new Map();
function nf(key, opts) {
  let f = cache.get(key);
  if (!f) { f = new Intl.NumberFormat(undefined, opts); cache.set(key, f); }
  return f;
}

export const MASK = '•••••';

function fracDigits(s) {
  const i = String(s).indexOf('.');
  return i < 0 ? 0 : String(s).length - i - 1;
}

/** A money amount (decimal string) in a currency; null/undefined → '—'. */
export function money(s, currency, { signed = false, digits } = {}) {
  if (prefs.privacy) return MASK;
  if (s === null || s === undefined || s === '') return '—';
  const cur = currency && /^[A-Z]{3}$/.test(currency) ? currency : undefined;
  const min = digits ?? 2;
  const max = Math.max(min, Math.min(digits ?? 2, 10));
  const key = `m|${cur}|${signed}|${min}|${max}`;
  const opts = cur
    ? { style: 'currency', currency: cur, minimumFractionDigits: min, maximumFractionDigits: max, signDisplay: signed ? 'exceptZero' : 'auto' }
    : { minimumFractionDigits: min, maximumFractionDigits: max, signDisplay: signed ? 'exceptZero' : 'auto' };
  try { return nf(key, opts).format(String(s)); } catch { return String(s); }
}

/** A price per unit: keeps up to 6 fractional digits of the string. */
export function price(s, currency) {
  if (prefs.privacy) return MASK;
  if (s === null || s === undefined || s === '') return '—';
  return priceFmt(s, currency, Math.min(Math.max(2, fracDigits(s)), 6));
}
function priceFmt(s, currency, d) {
  const cur = currency && /^[A-Z]{3}$/.test(currency) ? currency : undefined;
  const key = `p|${cur}|${d}`;
  const opts = cur ? { style: 'currency', currency: cur, minimumFractionDigits: 2, maximumFractionDigits: d } : { minimumFractionDigits: 2, maximumFractionDigits: d };
  try { return nf(key, opts).format(String(s)); } catch { return String(s); }
}

/** A quantity (decimal string), up to 10 fractional digits as given. */
export function qty(s) {
  if (prefs.privacy) return MASK;
  if (s === null || s === undefined || s === '') return '—';
  const d = Math.min(fracDigits(s), 10);
  return nf(`q|${d}`, { maximumFractionDigits: d }).format(String(s));
}

/** A ratio (0.0123) as a percentage (1.23 %); kept in privacy mode. */
export function pct(r, { signed = false, digits = 2 } = {}) {
  if (r === null || r === undefined || r === '' || Number.isNaN(Number(r))) return '—';
  return nf(`pc|${signed}|${digits}`, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits, signDisplay: signed ? 'exceptZero' : 'auto' }).format(Number(r));
}

/** A plain number (counts, ratios like Sharpe). */
export function num(x, digits = 2) {
  if (x === null || x === undefined || Number.isNaN(Number(x))) return '—';
  return nf(`n|${digits}`, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Number(x));
}

const dateF = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const dtF = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const timeF = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function date(s) { if (!s) return '—'; const d = new Date(s.length === 10 ? s + 'T00:00:00Z' : s); return isNaN(d) ? s : dateF.format(d); }
export function datetime(s) { if (!s) return '—'; const d = new Date(s); return isNaN(d) ? s : dtF.format(d); }
export function time(s) { if (!s) return '—'; const d = new Date(s); return isNaN(d) ? s : timeF.format(d); }

/** -1, 0 or 1 from a decimal string or number (for colouring gains and losses). */
export function signOf(v) {
  if (v === null || v === undefined) return 0;
  const s = String(v).trim();
  if (s.startsWith('-')) return /[1-9]/.test(s) ? -1 : 0;
  return /[1-9]/.test(s) ? 1 : 0;
}
