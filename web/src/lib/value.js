// A portfolio's value has one meaning across the API (docs/portfolio.md "Value"): the holdings
// endpoint, the summary and the live feed all send `total_value` = `holdings_value` (open
// holdings at current price × rate) + `cash_value` (every cash balance, foreign cash at the
// current rate), null with `value_status` when a price or rate is missing.
export function portfolioValue(h) {
  if (!h || h.total_value === null || h.total_value === undefined) return null;
  return h.total_value;
}

export function foreignCash(h) {
  return (h && h.cash ? h.cash.filter((c) => c.currency !== h.currency) : []);
}
