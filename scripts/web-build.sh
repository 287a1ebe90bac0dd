#!/usr/bin/env bash
# Builds the web dashboard: `npm ci` (exact versions of web/package-lock.json; the Playwright
# browser download is skipped: the tests use Debian's chromium) and `npm run build`, which writes
# web/dist (hashed assets, .gz and .br siblings) and prints the bundle sizes.
# With --with-browser it also installs Debian's chromium for the browser tests when missing.
set -euo pipefail
cd "$(dirname "$0")/../web"
if [ "${1:-}" = "--with-browser" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y chromium >/dev/null; else sudo apt-get install -y chromium >/dev/null; fi
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
npm run build
