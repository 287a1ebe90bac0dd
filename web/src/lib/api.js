// JSON over fetch with the access token, one retry after a refresh on 401, and problem+json
// errors as ApiError (status, detail, code, field errors).
import { ApiError, CLIENT_HEADER, freshToken, refresh, token } from './auth.js';

export { ApiError };

async function send(path, { method = 'GET', body, headers = {}, raw = false, auth = true } = {}, retried = false) {
  const h = { Accept: 'application/json', ...CLIENT_HEADER, ...headers };
  let t = null;
  if (auth) {
    t = await freshToken();
    if (t) h.Authorization = `Bearer ${t}`;
  }
  let payload = body;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Blob)) {
    payload = JSON.stringify(body);
    h['Content-Type'] = 'application/json';
  }
  const res = await fetch('/api/v1' + path, { method, headers: h, body: payload, credentials: 'same-origin' });
  if (res.status === 401 && auth && !retried) {
    const nt = await refresh();
    if (nt) return send(path, { method, body, headers, raw, auth }, true);
  }
  if (raw) {
    if (!res.ok) throw new ApiError(res.status, await problem(res));
    return res;
  }
  if (res.status === 204) return null;
  const ct = res.headers.get('Content-Type') || '';
  const data = ct.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) throw new ApiError(res.status, typeof data === 'object' && data ? data : { detail: String(data || res.statusText) });
  return data;
}

async function problem(res) {
  try { return await res.json(); } catch { return { detail: res.statusText }; }
}

export const api = {
  get: (p, o) => send(p, { ...o, method: 'GET' }),
  post: (p, body, o) => send(p, { ...o, method: 'POST', body: body === undefined ? {} : body }),
  put: (p, body, o) => send(p, { ...o, method: 'PUT', body }),
  patch: (p, body, o) => send(p, { ...o, method: 'PATCH', body }),
  del: (p, o) => send(p, { ...o, method: 'DELETE' }),
  raw: (p, o) => send(p, { ...o, raw: true }),
  anon: (p, body, o) => send(p, { ...o, method: body === undefined ? 'GET' : 'POST', body, auth: false }),
};

/** Query string from an object, skipping empty values. */
export function qs(o) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
}

export { token };
