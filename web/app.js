// The live pool view: renders /api/state snapshots and the event feed pushed
// over server-sent events (/events). No build step, no external code.
'use strict';

const $ = (sel) => document.querySelector(sel);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells, cls) {
  const tr = el('tr', null, cls);
  for (const c of cells) {
    const td = el('td');
    if (c instanceof Node) td.appendChild(c);
    else td.textContent = c === undefined || c === null ? '' : String(c);
    tr.appendChild(td);
  }
  return tr;
}

function age(ms) {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function loadCell(load) {
  if (load === null || load === undefined) return '–';
  const span = el('span');
  const bar = el('span', null, 'bar');
  const fill = el('i');
  fill.style.width = `${Math.round(Math.min(1, Math.max(0, load)) * 100)}%`;
  bar.appendChild(fill);
  span.appendChild(bar);
  span.appendChild(document.createTextNode(`${(load * 100).toFixed(0)} %`));
  return span;
}

function code(text) {
  return el('code', text);
}

function tile(value, label) {
  const t = el('div', null, 'tile');
  t.appendChild(el('b', value));
  t.appendChild(el('span', label));
  return t;
}

function renderRegistrar(s) {
  const tiles = $('#tiles');
  tiles.replaceChildren(
    tile(s.pools.reduce((n, p) => n + p.size, 0), 'pool elements'),
    tile(s.pools.length, 'pools'),
    tile(s.registrars.length, 'registrars'),
    tile(s.stats.associations, 'ASAP associations'),
    tile(s.stats.registrations, 'registrations'),
    tile(s.stats.handleResolutions, 'handle resolutions'),
    tile(s.stats.keepAliveTimeouts, 'keep-alives missed'),
    tile(s.stats.failureReports, 'failure reports'),
  );
  const body = $('#pools tbody');
  const rows = [];
  for (const p of s.pools) {
    p.elements.forEach((pe, i) => {
      const peCell = el('span');
      peCell.appendChild(code(pe.id));
      if (pe.own) peCell.appendChild(el('span', 'home here', 'own'));
      const tr = row([i === 0 ? el('b', p.pool) : '', peCell, pe.policy, loadCell(pe.load), code(pe.home), pe.transport, age(pe.ageMs)], i === 0 ? 'pool-first' : '');
      tr.dataset.pe = pe.id;
      tr.dataset.pool = p.pool;
      rows.push(tr);
    });
  }
  if (s.omitted > 0) rows.push(row([`… and ${s.omitted} more pool elements (not listed)`, '', '', '', '', '', ''], 'more'));
  body.replaceChildren(...rows);
  $('#no-pools').hidden = rows.length > 0;
  const regs = $('#registrars tbody');
  regs.replaceChildren(
    ...s.registrars.map((r) => {
      const tr = row([code(r.id), r.address, el('span', r.state === 'self' ? 'this registrar' : r.state, `state ${r.state}`), r.state === 'self' ? '–' : `${age(r.lastHeardMs)} ago`, r.pes]);
      tr.dataset.registrar = r.id;
      return tr;
    }),
  );
}

function renderComponents(list) {
  const section = $('#components-section');
  section.hidden = !list || list.length === 0;
  if (section.hidden) return;
  $('#components tbody').replaceChildren(
    ...list.map((c) => {
      const tr = row([
        code(c.id),
        c.kind,
        c.location,
        el('span', c.final ? `${c.status || ''} (stopped)` : c.status, c.final ? 'state final' : ''),
        c.workload === null ? '–' : loadCell(c.workload),
        c.associations.map((a) => `${a.receiver} (${a.ppidName})`).join(', ') || '–',
        `${age(c.lastReportMs)} ago`,
      ]);
      tr.dataset.component = c.id;
      return tr;
    }),
  );
}

function renderPe(s) {
  $('#tiles').replaceChildren(tile(s.registered ? 'yes' : 'no', 'registered'), tile(s.sessions, 'sessions open'), tile(s.stats.sessionsAccepted, 'sessions accepted'), tile(s.stats.cookiesEchoed, 'sessions taken over by failover'));
  $('#pools tbody').replaceChildren(row([s.pool, code(s.id), `${s.policy || '–'} (service ${s.service})`, loadCell(s.load), s.home ? code(s.home) : 'not known yet', s.address, age(s.uptimeMs)]));
  $('#no-pools').hidden = true;
  $('#registrars-section').hidden = true;
}

function render(s) {
  $('#role').textContent = s.role === 'registrar' ? 'registrar' : s.role === 'pe' ? 'pool element' : s.role === 'monitor' ? 'monitor' : s.role;
  $('#self').textContent = s.id || '';
  document.title = `rserpool ${s.role} ${s.id || ''}`;
  if (s.role === 'registrar') renderRegistrar(s);
  else if (s.role === 'pe') renderPe(s);
  else if (s.role === 'monitor') {
    $('#tiles').replaceChildren(tile(s.components.length, 'components reporting'), tile(s.reports, 'reports received'));
    $('#pools').hidden = true;
    $('#no-pools').hidden = true;
    $('#pools').previousElementSibling.hidden = true;
    $('#registrars-section').hidden = true;
  }
  renderComponents(s.components);
}

rspLive.connect({ state: render, feed: (e) => rspLive.addFeed(e) });
