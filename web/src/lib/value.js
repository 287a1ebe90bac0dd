// A portfolio's value as the live feed computes it (docs/notify.md "portfolio_value"): open
// holdings at current price × rate (the holdings endpoint's `total_value`, securities only)
// plus the cash balance in the portfolio currency. Foreign cash is left out, as there.
import { add } from './decimal.js';

export function portfolioValue(h) {
  if (!h || h.total_value === null || h.total_value === undefined) return null;
  const cash = (h.cash || []).filter((c) => c.currency === h.currency).map((c) => c.balance);
  return add(h.total_value, ...cash);
}

export function foreignCash(h) {
  return (h && h.cash ? h.cash.filter((c) => c.currency !== h.currency) : []);
}
