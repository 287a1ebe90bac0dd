// A text/event-stream parser (the WHATWG rules): feed it decoded chunks, it calls onEvent with
// {type, data, id} for each dispatched event. Lines end in \n, \r\n or \r; comments start with ':'.
export function createSseParser(onEvent) {
  let buf = '';
  let data = [];
  let type = '';
  let id = null;
  let lastId = null;
  let pendingCR = false;

  function line(l) {
    if (l === '') {
      if (data.length) {
        if (id !== null) lastId = id;
        onEvent({ type: type || 'message', data: data.join('\n'), id: id !== null ? id : null, lastEventId: lastId });
      }
      data = []; type = ''; id = null;
      return;
    }
    if (l[0] === ':') return;
    const i = l.indexOf(':');
    const field = i < 0 ? l : l.slice(0, i);
    let value = i < 0 ? '' : l.slice(i + 1);
    if (value[0] === ' ') value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') type = value;
    else if (field === 'id') { if (!value.includes('\0')) id = value; }
    // 'retry' is ignored: the caller's backoff decides
  }

  return {
    push(chunk) {
      if (pendingCR && chunk[0] === '\n') chunk = chunk.slice(1);
      pendingCR = false;
      buf += chunk;
      let start = 0;
      for (let i = 0; i < buf.length; i++) {
        const c = buf[i];
        if (c === '\n' || c === '\r') {
          line(buf.slice(start, i));
          if (c === '\r') {
            if (i + 1 < buf.length) { if (buf[i + 1] === '\n') i++; }
            else pendingCR = true;
          }
          start = i + 1;
        }
      }
      buf = buf.slice(start);
    },
  };
}
