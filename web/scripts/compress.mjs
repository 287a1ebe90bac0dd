// Post-build: writes a .gz and a .br sibling of every asset under dist/ (the server serves them
// when the client accepts the encoding). Node's zlib only; no dependency.
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join, extname } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const root = new URL('../dist/', import.meta.url).pathname;
const compressible = new Set(['.js', '.css', '.html', '.svg', '.json', '.txt', '.map']);

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { walk(p); continue; }
    if (!compressible.has(extname(name))) continue;
    const data = readFileSync(p);
    writeFileSync(p + '.gz', gzipSync(data, { level: 9 }));
    writeFileSync(p + '.br', brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    }));
  }
}
walk(root);
