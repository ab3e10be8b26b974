// The fractal pool user's page: draws the points as they arrive over
// server-sent events, tinted by the PE that computed them, marks failovers,
// and (in demo mode) kills the PE serving a region. No build step.
'use strict';

const $ = (sel) => document.querySelector(sel);
const canvas = $('#image');
const marks = $('#marks');
const ctx = canvas.getContext('2d');
const mctx = marks.getContext('2d');
let state = null;
let image = null; // { number, image, rects }
let pixels = null; // ImageData
let dirty = false;
const peHue = new Map();
const failovers = [];
/** For tests: counters of what the page drew. */
window.fractalView = { number: 0, pixelsSet: 0, failovers: 0, complete: false, set: null };

function hueOf(pe) {
  if (!peHue.has(pe)) {
    // Golden-angle spacing in order of appearance: neighbouring PEs differ clearly.
    peHue.set(pe, (peHue.size * 137.508 + 20) % 360);
    renderLegend();
  }
  return peHue.get(pe);
}

function hsl(h, s, l) {
  s /= 100; l /= 100;
  const k = (n) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(255 * f(0)), Math.round(255 * f(8)), Math.round(255 * f(4))];
}

function colour(v, pe) {
  const max = image.image.maxIterations;
  const h = hueOf(pe);
  if (v >= max) return hsl(h, 60, 12);
  // Bright near the set's border, dark far out; the PE sets the hue.
  const t = Math.log(1 + v) / Math.log(1 + max);
  return hsl(h, 85, 14 + 66 * Math.pow(t, 0.8));
}

function scale() {
  const w = image.image.width;
  const avail = Math.max(300, document.querySelector('.layout > div').clientWidth - 4);
  return Math.max(1, Math.min(4, Math.floor(avail / w))) || 1;
}

function setupImage(img) {
  image = img;
  const { width, height } = img.image;
  canvas.width = width;
  canvas.height = height;
  marks.width = width;
  marks.height = height;
  const s = scale();
  for (const c of [canvas, marks]) {
    c.style.width = `${width * s}px`;
    c.style.height = `${height * s}px`;
  }
  pixels = ctx.createImageData(width, height);
  mctx.clearRect(0, 0, width, height);
  failovers.length = 0;
  window.fractalView = { number: img.number, pixelsSet: 0, failovers: 0, complete: false, set: new Uint8Array(width * height) };
  ctx.putImageData(pixels, 0, 0);
  renderRegions();
}

function drawPoints(p) {
  if (!image || p.n !== image.number) return;
  const r = image.rects[p.rect];
  if (!r) return;
  const W = image.image.width;
  let x = p.x - r.x;
  let y = p.y - r.y;
  const view = window.fractalView;
  for (const v of p.values) {
    if (y >= r.height) break;
    const i = (r.y + y) * W + r.x + x;
    const [cr, cg, cb] = colour(v, p.pe);
    pixels.data[i * 4] = cr;
    pixels.data[i * 4 + 1] = cg;
    pixels.data[i * 4 + 2] = cb;
    pixels.data[i * 4 + 3] = 255;
    if (!view.set[i]) {
      view.set[i] = 1;
      view.pixelsSet++;
    }
    if (++x >= r.width) {
      x = 0;
      y++;
    }
  }
  dirty = true;
}

function drawMarks() {
  mctx.clearRect(0, 0, marks.width, marks.height);
  for (const f of failovers) {
    mctx.lineWidth = 2;
    mctx.strokeStyle = '#fff';
    mctx.fillStyle = 'rgba(209,52,62,.85)';
    mctx.beginPath();
    mctx.arc(f.x, f.y, 5, 0, 2 * Math.PI);
    mctx.fill();
    mctx.stroke();
    mctx.beginPath();
    mctx.moveTo(f.x - 3, f.y - 3); mctx.lineTo(f.x + 3, f.y + 3);
    mctx.moveTo(f.x + 3, f.y - 3); mctx.lineTo(f.x - 3, f.y + 3);
    mctx.stroke();
  }
}

function renderRegions() {
  for (const e of document.querySelectorAll('.region')) e.remove();
  if (!image) return;
  const s = scale();
  const stage = $('#stage');
  image.rects.forEach((r, i) => {
    const d = document.createElement('div');
    d.className = 'region';
    d.dataset.rect = String(i);
    Object.assign(d.style, { left: `${r.x * s}px`, top: `${r.y * s}px`, width: `${r.width * s}px`, height: `${r.height * s}px` });
    const label = document.createElement('div');
    label.className = 'label';
    const pe = document.createElement('span');
    pe.className = 'pe';
    label.appendChild(pe);
    if (state && state.demo) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = 'kill PE';
      b.title = 'SIGKILL the PE serving this region';
      b.addEventListener('click', () => kill(i, b));
      label.appendChild(b);
    }
    d.appendChild(label);
    stage.appendChild(d);
  });
  updateRegions();
}

function updateRegions() {
  if (!state) return;
  for (const d of document.querySelectorAll('.region')) {
    const r = state.rects[Number(d.dataset.rect)];
    const pe = d.querySelector('.pe');
    const b = d.querySelector('button');
    const serving = r && r.pe;
    pe.textContent = serving ? `region ${d.dataset.rect}: PE ${serving}` : `region ${d.dataset.rect}: done`;
    if (serving) pe.style.borderLeft = `4px solid hsl(${hueOf(serving)}, 80%, 55%)`;
    d.classList.toggle('done', !serving);
    if (b) b.disabled = !serving;
  }
}

async function kill(rect, button) {
  button.disabled = true;
  const res = await fetch('api/kill', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rect }) });
  if (!res.ok) rspLive.addFeed({ seq: -Date.now(), time: Date.now(), kind: 'error', text: (await res.json()).error });
}

function renderLegend() {
  const ul = $('#legend');
  ul.replaceChildren(
    ...[...peHue.entries()].map(([pe, h]) => {
      const li = document.createElement('li');
      const sw = document.createElement('i');
      sw.style.background = `hsl(${h}, 80%, 55%)`;
      li.appendChild(sw);
      const running = !state || !state.demo || state.pes.some((p) => p.id === pe);
      li.appendChild(document.createTextNode(`PE ${pe}${running ? '' : ' (killed)'}`));
      li.dataset.pe = pe;
      return li;
    }),
  );
}

function tile(value, label) {
  const t = document.createElement('div');
  t.className = 'tile';
  const b = document.createElement('b');
  b.textContent = String(value);
  const s = document.createElement('span');
  s.textContent = label;
  t.append(b, s);
  return t;
}

function renderState(s) {
  const first = state === null || state.demo !== s.demo;
  state = s;
  const total = s.image.width * s.image.height;
  const pct = total ? Math.floor((100 * s.progress) / total) : 0;
  $('#tiles').replaceChildren(tile(s.number, 'image'), tile(`${pct} %`, 'points received'), tile(s.rects.length, 'sessions'), tile(s.failovers, 'failovers'), tile(s.imagesDone, 'images complete'));
  $('#bar').style.width = `${pct}%`;
  $('#status').textContent = s.complete ? '(complete)' : s.running ? '(computing)' : '';
  if (first) {
    fillForm(s.image);
    if (image) renderRegions();
  }
  updateRegions();
  renderLegend();
}

function fillForm(img) {
  const f = $('#params');
  f.width.value = img.width;
  f.height.value = img.height;
  f.maxIterations.value = img.maxIterations;
  f.sessions.value = img.sessions;
  f.algorithm.value = String(img.algorithm);
  f.n.value = img.n;
  f.c1re.value = img.c1.re;
  f.c1im.value = img.c1.im;
  f.c2re.value = img.c2.re;
  f.c2im.value = img.c2.im;
}

$('#params').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const num = (n) => Number(f[n].value);
  const body = { width: num('width'), height: num('height'), maxIterations: num('maxIterations'), sessions: num('sessions'), algorithm: num('algorithm'), n: num('n'), c1: { re: num('c1re'), im: num('c1im') }, c2: { re: num('c2re'), im: num('c2im') } };
  const res = await fetch('api/start', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) rspLive.addFeed({ seq: -Date.now(), time: Date.now(), kind: 'error', text: (await res.json()).error });
});

function frame() {
  if (dirty && pixels) {
    ctx.putImageData(pixels, 0, 0);
    dirty = false;
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

async function loadCurrent() {
  // Points that arrived before this page connected.
  const s = await (await fetch('api/fractal')).json();
  if (!s.running) return;
  const img = await (await fetch('api/image')).json();
  if (!image || image.number !== s.number || !img.values.length) return;
  const W = img.width;
  for (let i = 0; i < img.values.length; i++) {
    if (img.owners[i] === null) continue;
    drawPoints({ n: s.number, rect: rectOf(i % W, Math.floor(i / W)), x: i % W, y: Math.floor(i / W), values: [img.values[i]], pe: img.owners[i] });
  }
}

function rectOf(x, y) {
  return image.rects.findIndex((r) => x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height);
}

function onState(s) {
  if (!image || image.number !== s.number) {
    if (s.running) {
      setupImage({ number: s.number, image: s.image, rects: s.rects });
      loadCurrent();
    }
  }
  renderState(s);
  if (s.complete && image && image.number === s.number) window.fractalView.complete = true;
}

function onFailover(f) {
  if (!image || f.n !== image.number) return;
  failovers.push(f);
  window.fractalView.failovers++;
  drawMarks();
}

rspLive.connect({
  state: onState,
  image: setupImage,
  points: drawPoints,
  failover: onFailover,
  complete: (c) => {
    if (image && c.n === image.number) window.fractalView.complete = true;
  },
  feed: (e) => rspLive.addFeed(e, 200),
});
