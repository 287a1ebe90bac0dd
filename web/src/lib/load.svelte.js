// A tiny async-resource helper for views: {loading, error, data} with reload().
export function resource(fn) {
  const r = $state({ loading: true, error: null, data: null });
  let seq = 0;
  async function reload(quiet = false) {
    const my = ++seq;
    if (!quiet) r.loading = true;
    r.error = null;
    try {
      const d = await fn();
      if (my === seq) r.data = d;
    } catch (e) {
      if (my === seq) r.error = e;
    } finally {
      if (my === seq) r.loading = false;
    }
  }
  r.reload = reload;
  return r;
}

/** All pages of a cursor-paged list (up to `max` items, `limit` a page). */
export async function allPages(get, path, max = 5000, limit = 200) {
  const out = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const r = await get(path + sep + 'limit=' + limit + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    out.push(...r.items);
    cursor = r.next_cursor;
  } while (cursor && out.length < max);
  return out;
}
