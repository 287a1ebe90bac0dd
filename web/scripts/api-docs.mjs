// Post-build: the API reference page served at /api/docs (apps/nexanest/dashboard.cpp), apart
// from the dashboard's bundle: dist/api-docs.html, Redoc's standalone bundle (from npm, pinned
// in package.json) and a small start script under dist/assets/ with content hashes. The page
// loads the server's own /api/v1/openapi.json and nothing from elsewhere: no fonts (system
// ones), no search worker (it would need blob: workers in the CSP), no logo from a CDN (below).
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const dist = new URL('../dist/', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const redoc = join(dirname(require.resolve('redoc/package.json')), 'bundles/redoc.standalone.js');
const hash = (data) => createHash('sha256').update(data).digest('base64url').slice(0, 10);

// Redoc's side menu shows its maker's logo from a CDN (unconditionally in 2.5.x): the bundle
// gets an empty data: URL instead, whose load fails, so the component hides the image and keeps
// the text link. The build fails when the bundle no longer holds the URL exactly once (a new
// Redoc release: look again).
const LOGO = '"https://cdn.redoc.ly/redoc/logo-mini.svg"';
const original = readFileSync(redoc, 'utf8');
if (original.split(LOGO).length !== 2) {
  console.error(`api-docs: ${redoc} does not hold ${LOGO} exactly once; check what it loads from elsewhere`);
  process.exit(1);
}
const bundle = Buffer.from(original.replace(LOGO, '"data:,"'));
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
