// Node-side helpers for the tests: the API (as a script or an operator would call it) and the
// mail folder the server writes .eml files into when no SMTP server is configured.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const API = process.env.NN_API_URL || process.env.NN_BASE_URL || 'http://127.0.0.1:8080';
export const MAIL = process.env.NN_MAIL_DIR || '';

export async function call(method, path, { token, body, headers = {}, raw = false } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = token.startsWith('nnk_') ? `ApiKey ${token}` : `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    if (!h['Content-Type']) h['Content-Type'] = typeof body === 'string' ? 'text/csv' : 'application/json';
  }
  const res = await fetch(API + '/api/v1' + path, { method, headers: h, body: payload });
  if (raw) return res;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!res.ok) {
    const e = new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    e.status = res.status; e.data = data;
    throw e;
  }
  return data;
}

// Sign-ins are rate limited per address (30 in 5 minutes): the tests reuse the access tokens the
// global setup got (15 minutes), passed through the environment.
export async function login(email, password) {
  const cached = JSON.parse(process.env.NN_TOKENS || '{}');
  if (cached[email] && cached[email].until > Date.now() + 60_000) return cached[email].token;
  const r = await call('POST', '/auth/login', { body: { email, password } });
  cached[email] = { token: r.access_token, until: Date.now() + r.expires_in * 1000 };
  process.env.NN_TOKENS = JSON.stringify(cached);
  return r.access_token;
}

/** The newest link in a mail to `to` whose URL contains `kind` ('verify' or 'reset'). */
export async function mailLink(to, kind, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const files = readdirSync(MAIL).filter((f) => f.endsWith('.eml'))
      .map((f) => ({ f, t: statSync(join(MAIL, f)).mtimeMs })).sort((a, b) => b.t - a.t);
    for (const { f } of files) {
      let text = readFileSync(join(MAIL, f), 'utf8');
      if (!new RegExp(`^To:.*${to.replace(/[.+]/g, '\\$&')}`, 'mi').test(text)) continue;
      text = text.replace(/=\r?\n/g, '').replace(/=3D/gi, '=');
      const links = text.match(/https?:\/\/[^\s"<>]+/g) || [];
      const hit = links.find((l) => l.includes(kind) && l.includes('token='));
      if (hit) return hit;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no ${kind} mail to ${to} in ${MAIL}`);
}

export function tokenOf(link) {
  const m = link.match(/token=([A-Za-z0-9_\-.%]+)/);
  return m ? decodeURIComponent(m[1]) : null;
}

/** A page path that verifies with this link: the link itself when it opens the dashboard. */
export function verifyPath(link, kind = 'verify') {
  if (link.includes(`#/${kind}`)) return link.slice(link.indexOf('#'));
  return `/#/${kind}?token=${encodeURIComponent(tokenOf(link))}`;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export function isoDay(d) { return d.toISOString().slice(0, 10); }
