// Browser tests against a running server (scripts/web-test.sh starts it and sets NN_*).
// Debian's chromium, never a downloaded browser: its major must equal the one this Playwright
// release targets (tests/version.spec.js checks it).
import { defineConfig } from '@playwright/test';

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export default defineConfig({
  testDir: './tests',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: process.env.NN_RESULTS || 'test-results/results.json' }]],
  globalSetup: './tests/global-setup.js',
  use: {
    baseURL: process.env.NN_BASE_URL || 'http://127.0.0.1:8080',
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    trace: 'off',
    acceptDownloads: true,
    launchOptions: {
      executablePath: process.env.NN_CHROMIUM || '/usr/bin/chromium',
      args: [
        ...(asRoot ? ['--no-sandbox'] : []),
        '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
      ],
    },
  },
});
