// The API's document as the web build uses it: the reference page at /api/docs, the off-the-shelf
// validation of the document, and the typed client (a field renamed in the document fails the
// type check of the dashboard).
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchPage } from './helpers.js';

const web = new URL('..', import.meta.url).pathname;
const DOC = 'src/lib/api/openapi.json';

test('the API reference at /api/docs shows the served document, all from the origin', async ({ page, baseURL }) => {
  const watch = watchPage(page);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const foreign = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['data:', 'blob:'].includes(u.protocol) && u.origin !== new URL(baseURL).origin) foreign.push(r.url());
  });
  const served = page.waitForResponse((r) => r.url().endsWith('/api/v1/openapi.json'));
  const res = await page.goto('/api/docs');
  expect(res.status()).toBe(200);
  const csp = res.headers()['content-security-policy'];
  expect(csp).toContain("default-src 'self'");
  expect(csp).not.toContain('unsafe-eval');
  expect((await served).status()).toBe(200);
  await expect(page).toHaveTitle('NexaNest API reference');
  await expect(page.getByRole('heading', { name: 'NexaNest API' }).first()).toBeVisible();
  // An operation's title (its summary), scrolled to by its deep link.
  await page.goto('/api/docs#tag/portfolios/operation/get_api_v1_portfolios_id_holdings');
  const title = page.locator('h2:has(a[href="#tag/portfolios/operation/get_api_v1_portfolios_id_holdings"])');
  await expect(title).toHaveText('portfolio.holdings');
  await expect(title).toBeInViewport();
  await page.screenshot({ path: join(process.env.NN_SCREENS_DIR || 'test-results', 'api-docs.png') });
  watch.check();
  expect(errors, errors.join('\n')).toEqual([]);
  expect(foreign, foreign.join('\n')).toEqual([]);
});

/** A copy of the web folder's sources (node_modules linked) with the document edited by `edit`. */
function copyWith(edit) {
  const dir = mkdtempSync(join(tmpdir(), 'nn-contract-'));
  cpSync(join(web, 'src'), join(dir, 'src'), { recursive: true });
  cpSync(join(web, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  symlinkSync(join(web, 'node_modules'), join(dir, 'node_modules'));
  const doc = JSON.parse(readFileSync(join(web, DOC), 'utf8'));
  edit(doc);
  writeFileSync(join(dir, DOC), JSON.stringify(doc, null, 2));
  return dir;
}

function check(dir) {
  const r = spawnSync(process.execPath, [join(web, 'scripts/check.mjs')], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
  rmSync(dir, { recursive: true, force: true });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('npm run check fails when a response field is renamed in the document', async () => {
  test.setTimeout(300_000);
  const same = check(copyWith(() => {}));
  expect(same.status, same.out).toBe(0);
  // Holdings.holdings → positions: the server would answer a field the dashboard does not read.
  const renamed = check(copyWith((doc) => {
    const s = doc.components.schemas.Holdings;
    s.properties.positions = s.properties.holdings;
    delete s.properties.holdings;
    s.required = s.required.map((f) => (f === 'holdings' ? 'positions' : f));
  }));
  expect(renamed.status, renamed.out).toBe(1);
  expect(renamed.out).toMatch(/Holdings\.svelte.*\n.*Property 'holdings' does not exist/);
});

test('npm run check fails on a document that is not valid OpenAPI 3.1', async () => {
  const broken = check(copyWith((doc) => { delete doc.paths['/api/v1/portfolios/{id}/holdings'].get.responses['200'].description; }));
  expect(broken.status, broken.out).toBe(1);
  expect(broken.out).toContain("must have required property 'description'");
});
