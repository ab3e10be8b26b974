// Shared by the pages: the live connection (server-sent events from
// /events) with its status badge, and the event feed list.
'use strict';

window.rspLive = {
  /** Opens /events; `handlers` maps event names to functions of the parsed data. */
  connect(handlers) {
    const source = new EventSource('events');
    const conn = document.querySelector('#conn');
    source.onopen = () => {
      conn.textContent = 'live';
      conn.className = 'badge on';
    };
    source.onerror = () => {
      conn.textContent = 'disconnected, retrying';
      conn.className = 'badge off';
    };
    for (const [name, fn] of Object.entries(handlers)) source.addEventListener(name, (m) => fn(JSON.parse(m.data)));
    return source;
  },

  /** Adds a feed event (newest first) to #feed, once per sequence number. */
  addFeed(e, keep = 300) {
    const feed = document.querySelector('#feed');
    if (feed.querySelector(`li[data-seq="${e.seq}"]`)) return;
    const li = document.createElement('li');
    li.className = 'new';
    li.dataset.kind = e.kind;
    li.dataset.seq = String(e.seq);
    if (e.pe) li.dataset.pe = e.pe;
    const t = document.createElement('time');
    t.textContent = new Date(e.time).toLocaleTimeString();
    const k = document.createElement('span');
    k.className = 'kind';
    k.textContent = e.kind;
    const x = document.createElement('span');
    x.textContent = e.text;
    li.append(t, k, x);
    feed.insertBefore(li, feed.firstChild);
    while (feed.children.length > keep) feed.removeChild(feed.lastChild);
  },
};
