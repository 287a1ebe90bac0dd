// Post-build: the API reference page served at /api/docs (apps/nexanest/dashboard.cpp), apart
// from the dashboard's bundle: dist/api-docs.html, Redoc's standalone bundle (from npm, pinned
// in package.json) and a small start script under dist/assets/ with content hashes. The page
// loads the server's own /api/v1/openapi.json and nothing from elsewhere: no fonts (system
// ones), no search worker (it would need blob: workers in the CSP).
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const dist = new URL('../dist/', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const redoc = join(dirname(require.resolve('redoc/package.json')), 'bundles/redoc.standalone.js');
const hash = (data) => createHash('sha256').update(data).digest('base64url').slice(0, 10);

const bundle = readFileSync(redoc);
const bundleName = `assets/redoc-${hash(bundle)}.js`;
writeFileSync(join(dist, bundleName), bundle);
copyFileSync(redoc + '.LICENSE.txt', join(dist, bundleName + '.LICENSE.txt'));

const system = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const options = {
  disableSearch: true,
  hideDownloadButton: false,
  expandResponses: '200,201',
  jsonSampleExpandLevel: 3,
  theme: {
    typography: { fontFamily: system, headings: { fontFamily: system }, code: { fontFamily: 'ui-monospace, monospace' } },
  },
};
const start = `// Starts Redoc on the served document (web/scripts/api-docs.mjs).
Redoc.init('/api/v1/openapi.json', ${JSON.stringify(options)}, document.getElementById('redoc'));
`;
const startName = `assets/api-docs-${hash(start)}.js`;
writeFileSync(join(dist, startName), start);

writeFileSync(join(dist, 'api-docs.html'), `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>NexaNest API reference</title>
<link rel="icon" href="data:,">
</head>
<body>
<div id="redoc"></div>
<script src="/${bundleName}"></script>
<script src="/${startName}"></script>
</body>
</html>
`);
console.log(`api-docs: dist/api-docs.html, ${bundleName} (${(bundle.length / 1024).toFixed(0)} kB), ${startName}`);
