// @ts-check
// JSON over fetch with the access token, one retry after a refresh on 401, and problem+json
// errors as ApiError (status, detail, code, field errors).
//
// Typed from the API's document (src/lib/api/types.ts): a path is written as the document writes
// it, its {parameters} and query given apart, and the answer has the document's type:
//
//     const h = await api.get('/portfolios/{id}/holdings', { path: { id } });   // Schema<'Holdings'>
//
// A plain path ('/portfolios/' + id) still works at run time, untyped; the files that
// svelte-check checks (`// @ts-check`) use the typed form.
/** @import { Answer, Body, Options, PathOf } from './api/types' */
import { ApiError, CLIENT_HEADER, freshToken, refresh, token } from './auth.js';

export { ApiError };

/**
 * @param {string} path
 * @param {{method?: string, body?: any, headers?: Record<string, string>, raw?: boolean, auth?: boolean}} [o]
 * @param {boolean} [retried]
 * @returns {Promise<any>}
 */
async function send(path, { method = 'GET', body, headers = {}, raw = false, auth = true } = {}, retried = false) {
  /** @type {Record<string, string>} */
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

/** @param {Response} res */
async function problem(res) {
  try { return await res.json(); } catch { return { detail: res.statusText }; }
}

/**
 * The URL path below /api/v1: {name} replaced by o.path.name (URL-encoded), o.query appended.
 * @param {string} path
 * @param {{path?: Record<string, any>, query?: Record<string, any>}} [o]
 */
export function expand(path, o = {}) {
  const filled = path.replace(/\{(\w+)\}/g, (_, name) => {
    const v = o.path?.[name];
    if (v === undefined || v === null) throw new Error(`api: ${path} needs the path parameter ${name}`);
    return encodeURIComponent(String(v));
  });
  return filled + (o.query ? qs(o.query) : '');
}

/** @param {{path?: any, query?: any, headers?: Record<string, string>}} [o] */
function call(o) {
  return { headers: o?.headers };
}

export const api = {
  /**
   * @template {PathOf<'get'>} P
   * @param {P} p
   * @param {Options<P, 'get'>} [o]
   * @returns {Promise<Answer<P, 'get'>>}
   */
  get: (p, o) => send(expand(p, o), { ...call(o), method: 'GET' }),
  /**
   * @template {PathOf<'post'>} P
   * @param {P} p
   * @param {Body<P, 'post'> | string} [body]  a string goes as is (CSV imports set Content-Type)
   * @param {Options<P, 'post'>} [o]
   * @returns {Promise<Answer<P, 'post'>>}
   */
  post: (p, body, o) => send(expand(p, o), { ...call(o), method: 'POST', body: body === undefined ? {} : body }),
  /**
   * @template {PathOf<'put'>} P
   * @param {P} p
   * @param {Body<P, 'put'>} body
   * @param {Options<P, 'put'>} [o]
   * @returns {Promise<Answer<P, 'put'>>}
   */
  put: (p, body, o) => send(expand(p, o), { ...call(o), method: 'PUT', body }),
  /**
   * @template {PathOf<'patch'>} P
   * @param {P} p
   * @param {Body<P, 'patch'>} body
   * @param {Options<P, 'patch'>} [o]
   * @returns {Promise<Answer<P, 'patch'>>}
   */
  patch: (p, body, o) => send(expand(p, o), { ...call(o), method: 'PATCH', body }),
  /**
   * @template {PathOf<'delete'>} P
   * @param {P} p
   * @param {Options<P, 'delete'>} [o]
   * @returns {Promise<Answer<P, 'delete'>>}
   */
  del: (p, o) => send(expand(p, o), { ...call(o), method: 'DELETE' }),
  /**
   * The Response itself (downloads); throws ApiError when not ok.
   * @param {string} p
   * @param {{path?: Record<string, any>, query?: Record<string, any>, headers?: Record<string, string>}} [o]
   * @returns {Promise<Response>}
   */
  raw: (p, o) => send(expand(p, o), { ...call(o), raw: true }),
  /**
   * Without credentials (sign-up, reset, setup): GET without a body, POST with one.
   * @param {string} p
   * @param {any} [body]
   * @param {{headers?: Record<string, string>}} [o]
   * @returns {Promise<any>}
   */
  anon: (p, body, o) => send(p, { ...call(o), method: body === undefined ? 'GET' : 'POST', body, auth: false }),
};

/**
 * Query string from an object, skipping empty values.
 * @param {Record<string, any>} o
 */
export function qs(o) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
}

export { token };
