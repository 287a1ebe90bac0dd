import { chromium } from '@playwright/test';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const p = await b.newPage({ viewport: { width: 375, height: 800 } });
p.on('pageerror', (e) => console.log('pageerror:', e.message));
await p.goto('http://127.0.0.1:18080/#/signin');
await p.getByLabel('Email').fill('dev@web.example');
await p.getByLabel('Password').fill('Dev-password-4711');
await p.getByRole('button', { name: 'Sign in' }).click();
await p.waitForTimeout(2000);
for (const h of process.argv.slice(2)) {
  await p.evaluate((x) => { location.hash = x; }, h);
  await p.waitForTimeout(1500);
  console.log(h, await p.evaluate(() => document.documentElement.scrollWidth));
}
await b.close();
