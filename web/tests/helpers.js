import { expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export async function signIn(page, email, password) {
  await page.goto('/#/signin');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
}

/** Goes to a hash route without reloading the page (the session stays in memory). */
export async function go(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((h) => location.hash === h || location.hash.startsWith(h), hash);
}

/** Collects Content-Security-Policy violations and page errors; call .check() at the end. */
export function watchPage(page) {
  const problems = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to (apply|execute|load)/i.test(m.text())) problems.push('CSP: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  return { problems, check() { expect(problems, problems.join('\n')).toEqual([]); } };
}

/**
 * axe-core with the WCAG 2.0/2.1/2.2 A and AA rules; returns the serious and critical findings.
 * The script is evaluated through the DevTools protocol (the page's CSP forbids injected script
 * elements, which page.addScriptTag would create).
 */
export async function axe(page) {
  await page.evaluate(AXE);
  const r = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const res = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'] });
    return res.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return r.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Text on the page that looks like an amount of money (digits with a currency sign or grouping). */
export async function visibleAmounts(page) {
  return page.evaluate(() => {
    const out = [];
    const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest('.sr-only, [data-pct], [data-ratio], time, input, select, textarea, option, pre, code')) continue;
      if (el.getClientRects().length === 0) continue;
      const t = n.textContent;
      if (/[$€£¥]\s?-?\d|\d[\d,]*\.\d{2}(?!\s?%)(?!\d)/.test(t) && !/%/.test(t)) out.push(t.trim());
    }
    return out;
  });
}
