// Prints the size of every built asset and the initial JavaScript (what index.html loads before
// any lazy route or chart) in gzip; exits 1 when the initial JS exceeds the 60 kB budget.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const BUDGET = 60 * 1024;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const gz = (p) => gzipSync(readFileSync(p), { level: 9 }).length;
const kb = (n) => (n / 1024).toFixed(1) + ' kB';

// Initial = the entry script plus the chunks it imports statically (modulepreload links).
const initial = new Set();
for (const m of html.matchAll(/<script[^>]+src="\/?([^"]+)"/g)) initial.add(m[1]);
for (const m of html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/?([^"]+)"/g)) initial.add(m[1]);
const queue = [...initial];
while (queue.length) {
  const f = queue.pop();
  const src = readFileSync(join(dist, f), 'utf8');
  for (const m of src.matchAll(/(?:^|[;}\s])import\s*(?:[\w{}\s,*$]+from\s*)?["']\.\/([^"']+)["']/g)) {
    const dep = 'assets/' + m[1];
    if (!initial.has(dep)) { initial.add(dep); queue.push(dep); }
  }
}
const rows = [];
for (const f of readdirSync(join(dist, 'assets'))) {
  if (f.endsWith('.gz') || f.endsWith('.br')) continue;
  const p = join(dist, 'assets', f);
  rows.push({ f: 'assets/' + f, raw: readFileSync(p).length, gz: gz(p), initial: initial.has('assets/' + f) });
}
rows.sort((a, b) => b.gz - a.gz);
for (const r of rows) console.log(`${r.initial ? '*' : ' '} ${r.f.padEnd(48)} ${kb(r.raw).padStart(10)} ${kb(r.gz).padStart(10)} gzip`);
const initJs = rows.filter((r) => r.initial && r.f.endsWith('.js')).reduce((s, r) => s + r.gz, 0);
const initCss = rows.filter((r) => r.f.endsWith('.css') && html.includes(r.f)).reduce((s, r) => s + r.gz, 0);
console.log(`initial JS: ${kb(initJs)} gzip (budget ${kb(BUDGET)}), initial CSS: ${kb(initCss)} gzip  (* = loaded by index.html)`);
if (initJs > BUDGET) { console.error('initial JS over budget'); process.exit(1); }
