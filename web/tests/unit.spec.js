// The pure modules, in Node: the SSE parser and exact decimal arithmetic.
import { test, expect } from '@playwright/test';
import { createSseParser } from '../src/lib/sse.js';
import { add, sub, mul, cmp, ratio, parse, str } from '../src/lib/decimal.js';

function parseAll(chunks) {
  const out = [];
  const p = createSseParser((e) => out.push(e));
  for (const c of chunks) p.push(c);
  return out;
}

test('SSE: events, ids, multi-line data, comments, CRLF and CR split across chunks', () => {
  const ev = parseAll([': hello\n\nid: 1-0\nevent: notification\ndata: {"a":1}\n\n', 'event: price\r\ndata: {"symbol":"X",', '\r\ndata: "p":"1"}\r', '\n\r\ndata:x\rdata: y\r\r']);
  expect(ev).toEqual([
    { type: 'notification', data: '{"a":1}', id: '1-0', lastEventId: '1-0' },
    { type: 'price', data: '{"symbol":"X",\n"p":"1"}', id: null, lastEventId: '1-0' },
    { type: 'message', data: 'x\ny', id: null, lastEventId: '1-0' },
  ]);
});

test('SSE: an event without data is not dispatched; a trailing partial line waits for the rest', () => {
  const out = [];
  const p = createSseParser((e) => out.push(e));
  p.push('event: end\n\n');
  p.push('data: par');
  expect(out).toEqual([]);
  p.push('tial\n\n');
  expect(out.map((e) => e.data)).toEqual(['partial']);
});

test('decimal: exact sums and products of decimal strings', () => {
  expect(add('0.1', '0.2')).toBe('0.3');
  expect(add('12345678901234567.123456789', '0.000000001')).toBe('12345678901234567.12345679');
  expect(sub('10', '10.5')).toBe('-0.5');
  expect(mul('10', '123.45')).toBe('1234.5');
  expect(mul('-3', '0.3333')).toBe('-0.9999');
  expect(cmp('2', '10')).toBe(-1);
  expect(ratio('1', '4')).toBe(0.25);
  expect(str(parse('-0.000000000001'))).toBe('-0.000000000001');
  expect(parse('abc')).toBe(null);
  expect(add('1', null)).toBe(null);
});

test('Chromium formats a decimal string exactly with Intl.NumberFormat (what Money relies on)', async ({ page }) => {
  const r = await page.evaluate(() => [
    new Intl.NumberFormat('en-US', { maximumFractionDigits: 10 }).format('12345678901234567.123456789'),
    new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format('0.105'),
    new Intl.NumberFormat('en-US', { maximumFractionDigits: 10 }).format(Number('12345678901234567.123456789')),
  ]);
  expect(r[0]).toBe('12,345,678,901,234,567.123456789');
  expect(r[1]).toBe('$0.11');           // half-expand on the exact decimal (0.105 is not exact as a double)
  expect(r[2]).not.toBe(r[0]);          // through Number it would round
});
