// Live updates: GET /api/v1/stream read with fetch (EventSource cannot send Authorization),
// parsed as SSE, resumed with Last-Event-ID, reconnected with capped exponential backoff and
// jitter. After every reconnect `onReconnect` runs so views refetch what they show over REST
// (prices and values are state, not stored events).
import { CLIENT_HEADER, freshToken, refresh } from './auth.js';
import { createSseParser } from './sse.js';

export function openStream({ onEvent, onState = () => {}, onReconnect = () => {} }) {
  let lastId = null;
  let stopped = false;
  let controller = null;
  let attempt = 0;
  let connectedOnce = false;
  let timer = null;

  async function connect() {
    if (stopped) return;
    controller = new AbortController();
    onState('connecting');
    try {
      const t = await freshToken();
      if (!t) { onState('signed-out'); return; }
      const headers = { Authorization: `Bearer ${t}`, Accept: 'text/event-stream', ...CLIENT_HEADER };
      if (lastId) headers['Last-Event-ID'] = lastId;
      const res = await fetch('/api/v1/stream', { headers, signal: controller.signal, cache: 'no-store', credentials: 'same-origin' });
      if (res.status === 401) { await refresh(); throw new Error('unauthorized'); }
      if (res.status === 400 && lastId) { lastId = null; throw new Error('stale id'); }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      onState('open');
      if (connectedOnce) onReconnect();
      connectedOnce = true;
      attempt = 0;
      const parser = createSseParser((ev) => {
        if (ev.id) lastId = ev.id;
        let data = ev.data;
        try { data = JSON.parse(ev.data); } catch { /* keep text */ }
        onEvent(ev.type, data, ev.id);
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
      throw new Error('stream ended');
    } catch (e) {
      if (stopped) return;
      onState('reconnecting');
      attempt++;
      const base = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
      timer = setTimeout(connect, base / 2 + Math.random() * base / 2);
    }
  }

  connect();
  return {
    stop() { stopped = true; clearTimeout(timer); controller && controller.abort(); },
    /** Drops the current connection as a network failure would (it reconnects and resumes). */
    drop() { controller && controller.abort(); },
    get lastEventId() { return lastId; },
  };
}
