// Exact decimal arithmetic on the API's decimal strings (BigInt scaled by 10^12), for sums the
// browser shows (income per month, totals). Display goes through Intl.NumberFormat with the string.
const SCALE = 12;
const F = 10n ** BigInt(SCALE);

export function parse(s) {
  if (s === null || s === undefined || s === '') return null;
  s = String(s).trim();
  let neg = false;
  if (s[0] === '-') { neg = true; s = s.slice(1); } else if (s[0] === '+') s = s.slice(1);
  const [i, f = ''] = s.split('.');
  if (!/^\d*$/.test(i) || !/^\d*$/.test(f)) return null;
  const v = BigInt(i || '0') * F + BigInt((f + '0'.repeat(SCALE)).slice(0, SCALE) || '0');
  return neg ? -v : v;
}

export function str(v) {
  if (v === null) return null;
  const neg = v < 0n;
  if (neg) v = -v;
  const i = v / F;
  let f = (v % F).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return (neg ? '-' : '') + i.toString() + (f ? '.' + f : '');
}

export function add(...xs) {
  let s = 0n;
  for (const x of xs) { const v = typeof x === 'bigint' ? x : parse(x); if (v === null) return null; s += v; }
  return str(s);
}

export function sub(a, b) { const x = parse(a), y = parse(b); return x === null || y === null ? null : str(x - y); }
export function mul(a, b) { const x = parse(a), y = parse(b); return x === null || y === null ? null : str((x * y) / F); }
export function cmp(a, b) { const x = parse(a) ?? 0n, y = parse(b) ?? 0n; return x < y ? -1 : x > y ? 1 : 0; }
export function sign(a) { const x = parse(a); return x === null ? 0 : x < 0n ? -1 : x > 0n ? 1 : 0; }
/** a / b as a JS number (a ratio, e.g. a percentage: only for display of ratios and plotting). */
export function ratio(a, b) { const x = parse(a), y = parse(b); if (x === null || !y) return null; return Number((x * 1_000_000n) / y) / 1_000_000; }
