// Shared reactive state (Svelte 5 runes): preferences, the signed-in user, live data.
// Preferences (theme, privacy, currency) are kept in localStorage: they are not secrets.
// Tokens are never stored there (see auth.js).

function loadPrefs() {
  try { return JSON.parse(localStorage.getItem('nn-prefs') || '{}'); } catch { return {}; }
}
const saved = loadPrefs();

export const prefs = $state({
  theme: saved.theme || 'system',       // 'light' | 'dark' | 'system'
  privacy: !!saved.privacy,             // hide every amount, keep percentages
  currency: saved.currency || '',       // display currency of totals ('' = the user's base)
});

export function savePrefs() {
  try { localStorage.setItem('nn-prefs', JSON.stringify({ theme: prefs.theme, privacy: prefs.privacy, currency: prefs.currency })); } catch { /* private mode */ }
}

export const session = $state({
  ready: false,      // the restore attempt on page load finished
  user: null,        // GET /me
});

export const live = $state({
  status: 'idle',          // connecting | open | reconnecting | signed-out
  prices: {},              // symbol -> {price, time}
  values: {},              // portfolio_id -> portfolio_value event
  unread: 0,
  latest: [],              // newest notifications received live
  epoch: 0,                // bumped after a reconnect: views refetch REST data
  lastTick: 0,             // performance.now() of the last price event (benchmarks)
});

export function hasRole(...roles) {
  return !!session.user && roles.includes(session.user.role);
}

// What the signed-in user may do with a portfolio: 'owner', or an advisor's grant 'READ' / 'MANAGE'
// (PortfolioHeader fills it in; views hide their write controls for 'READ').
export const access = $state({});
export const canWrite = (id) => access[id] !== 'READ';
