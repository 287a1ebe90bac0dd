// The session: the access token lives in this module's memory only (never localStorage,
// sessionStorage or a URL). The refresh token is the server's HttpOnly cookie
// `__Host-nn_refresh`, which this code never sees: login/refresh/logout in browser mode
// (`X-NexaNest-Client: web`) set, rotate and clear it.
//
// Refreshes are serialised across the tabs of this origin with the Web Locks API
// (`nn-refresh`), and the tab that refreshed shares the new access token with the others over
// BroadcastChannel('nn-auth'): two tabs never present the same refresh cookie at once (the
// server would take the second for a replay and revoke the whole session family).

export const CLIENT_HEADER = { 'X-NexaNest-Client': 'web' };

let access = null;          // {token, expiresAt (ms)}
let legacyRefresh = null;   // a server without the cookie mode answers the refresh token in the body: memory only
let receivedAt = 0;         // when the current token arrived (here or from another tab)
let inflight = null;        // this tab's pending refresh
const listeners = new Set();
const channel = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel('nn-auth') : null;

function now() { return Date.now(); }

// A hint (no secret: one flag) that this browser holds a session cookie, so a first visit does not
// spend a refresh call that can only fail (the cookie itself is invisible to JavaScript).
const HINT = 'nn-session';
function hint(on) { try { if (on) localStorage.setItem(HINT, '1'); else localStorage.removeItem(HINT); } catch { /* private mode */ } }
function hinted() { try { return localStorage.getItem(HINT) === '1'; } catch { return true; } }

function setToken(body, fromOtherTab = false) {
  if (body && body.access_token) {
    access = { token: body.access_token, expiresAt: now() + (Number(body.expires_in || 900) * 1000) };
    if (body.refresh_token && !fromOtherTab) legacyRefresh = body.refresh_token;
  } else {
    access = null;
    legacyRefresh = null;
  }
  receivedAt = now();
  if (!fromOtherTab) hint(!!access);
  for (const l of listeners) l(access ? access.token : null);
}

if (channel) {
  channel.onmessage = (ev) => {
    const m = ev.data || {};
    if (m.type === 'token') setToken({ access_token: m.access_token, expires_in: m.expires_in }, true);
    if (m.type === 'signed-out') setToken(null, true);
  };
}

export function onTokenChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }
export function token() { return access ? access.token : null; }
export function signedIn() { return !!access; }

/** Claims of the access token (display only: the server checks them). */
export function claims() {
  if (!access) return null;
  try {
    const p = access.token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(p + '==='.slice((p.length + 3) % 4)));
  } catch { return null; }
}

async function problemOf(res) {
  try { return await res.json(); } catch { return { status: res.status, detail: res.statusText }; }
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.code = this.problem.code;
    this.errors = this.problem.errors || [];
  }
}

export async function login(email, password) {
  const res = await fetch('/api/v1/auth/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', ...CLIENT_HEADER },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw new ApiError(res.status, await problemOf(res));
  const body = await res.json();
  setToken(body);
  channel && channel.postMessage({ type: 'token', access_token: body.access_token, expires_in: body.expires_in });
  return body;
}

async function doRefresh() {
  const res = await fetch('/api/v1/auth/refresh', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', ...CLIENT_HEADER },
    body: JSON.stringify(legacyRefresh ? { refresh_token: legacyRefresh } : {}),
  });
  if (!res.ok) {
    setToken(null);
    return null;
  }
  const body = await res.json();
  setToken(body);
  channel && channel.postMessage({ type: 'token', access_token: body.access_token, expires_in: body.expires_in });
  return body.access_token;
}

/**
 * A new access token. One refresh at a time across all tabs; a tab that waited for the lock
 * while another tab refreshed takes that tab's token instead of rotating the cookie again.
 */
export function refresh() {
  if (inflight) return inflight;
  const asked = now();
  const run = async () => {
    if (receivedAt > asked && access) return access.token;  // another tab refreshed meanwhile
    return doRefresh();
  };
  inflight = (navigator.locks ? navigator.locks.request('nn-refresh', run) : run())
    .catch(() => null)
    .finally(() => { inflight = null; });
  return inflight;
}

/** A token that is valid for at least 30 more seconds, refreshing when needed. */
export async function freshToken() {
  if (access && access.expiresAt - now() > 30_000) return access.token;
  return refresh();
}

export async function logout() {
  const t = token();
  try {
    await fetch('/api/v1/auth/logout', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', ...CLIENT_HEADER, ...(t ? { Authorization: `Bearer ${t}` } : {}) },
      body: '{}',
    });
  } finally {
    setToken(null);
    channel && channel.postMessage({ type: 'signed-out' });
  }
}

/** Restores a session after a page load from the refresh cookie (if any). */
export async function restore() {
  if (access) return true;
  if (!hinted()) return false;
  return !!(await refresh());
}
