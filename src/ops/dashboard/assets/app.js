// carebridge admin dashboard: a small page over the admin JSON API. No framework on purpose.
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const TOKEN_KEY = 'carebridge.token';

function token() { return sessionStorage.getItem(TOKEN_KEY); }

async function api(path, options = {}) {
  const res = await fetch(path, {
    ...options,
    headers: { authorization: `Bearer ${token()}`, ...(options.body ? { 'content-type': 'application/json' } : {}), ...(options.headers || {}) },
  });
  if (res.status === 401) { logout(); throw new Error('signed out'); }
  const text = await res.text();
  const body = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new Error(body?.issue?.[0]?.diagnostics || `HTTP ${res.status}`);
  return body;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else if (v !== undefined) e.setAttribute(k, v);
  }
  for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(c ?? ''));
  return e;
}

// ---- login
async function login(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
  try {
    await api('/admin/api/whoami');
    $('#login').hidden = true; $('#tabs').hidden = false; $('#logout').hidden = false;
    openTab('flow');
  } catch (err) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('#login-error').textContent = err.message === 'signed out' ? 'Token not accepted.' : err.message;
  }
}
function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
  $('#login').hidden = false; $('#tabs').hidden = true; $('#logout').hidden = true;
  $$('.tab').forEach((t) => (t.hidden = true));
}
$('#login-form').addEventListener('submit', (e) => { e.preventDefault(); login($('#token').value.trim()); });
$('#logout').addEventListener('click', logout);

// ---- tabs
const loaders = { flow: loadFlow, messages: loadMessages, preview: loadPreview, outbound: loadOutbound, care: loadCare };
function openTab(name) {
  $$('#tabs button').forEach((b) => b.classList.toggle('active', b.dataset.tab === name));
  $$('.tab').forEach((t) => (t.hidden = t.id !== name));
  const section = document.getElementById(name);
  loaders[name]?.().catch((err) => section.prepend(el('p', { class: 'error', role: 'alert' }, String(err.message || err))));
}
$$('#tabs button').forEach((b) => b.addEventListener('click', () => openTab(b.dataset.tab)));

// ---- flow
async function loadFlow() {
  const flow = await api('/admin/api/flow?minutes=60');
  $('#flow-cards').replaceChildren(
    el('div', { class: 'card' }, el('b', {}, String(flow.total ?? 0)), 'messages'),
    ...Object.entries(flow.ackCodes ?? {}).map(([code, n]) => el('div', { class: `card ack-${code}` }, el('b', {}, String(n)), `ACK ${code}`)),
    el('div', { class: 'card' }, el('b', {}, flow.latency?.p50Ms != null ? `${flow.latency.p50Ms} ms` : '–'), 'processing p50'),
    el('div', { class: 'card' }, el('b', {}, flow.latency?.p99Ms != null ? `${flow.latency.p99Ms} ms` : '–'), 'processing p99'),
  );
  drawChart($('#flow-chart'), lastMinutes(flow.perMinute ?? [], 60));
  $('#flow-table tbody').replaceChildren(...(flow.bySenderType ?? []).map((r) => el('tr', {}, el('td', {}, r.sender), el('td', {}, r.type), el('td', {}, String(r.count)))));
}
// One bar per minute for the whole window, zeros included, oldest first.
function lastMinutes(perMinute, minutes) {
  const counts = new Map(perMinute.map((p) => [new Date(p.minute).getTime(), p.count]));
  const now = Math.floor(Date.now() / 60000) * 60000;
  return Array.from({ length: minutes }, (_, i) => { const t = now - (minutes - 1 - i) * 60000; return { minute: t, count: counts.get(t) ?? 0 }; });
}
function drawChart(canvas, points) {
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height, pad = 28;
  ctx.clearRect(0, 0, w, h);
  const max = Math.max(1, ...points.map((p) => p.count));
  ctx.strokeStyle = '#dfe3ea'; ctx.beginPath(); ctx.moveTo(pad, h - pad); ctx.lineTo(w - 4, h - pad); ctx.stroke();
  ctx.fillStyle = '#5b6675'; ctx.font = '11px system-ui'; ctx.fillText(String(max), 2, pad); ctx.fillText('0', 2, h - pad);
  const bw = (w - pad - 4) / Math.max(points.length, 1);
  ctx.fillStyle = '#0b6bcb';
  points.forEach((p, i) => { const bh = ((h - 2 * pad) * p.count) / max; ctx.fillRect(pad + i * bw + 1, h - pad - bh, Math.max(bw - 2, 1), bh); });
}

// ---- messages
let selectedMessage;
async function loadMessages() {
  const params = new URLSearchParams();
  for (const [k, v] of new FormData($('#msg-filter'))) if (v) params.set(k, v);
  params.set('limit', '100');
  const { items } = await api(`/admin/api/messages?${params}`);
  $('#msg-table tbody').replaceChildren(...items.map((m) =>
    el('tr', { class: 'clickable', 'data-id': m.id, onclick: (e) => { if (e.target.type !== 'checkbox') openMessage(m.id); } },
      el('td', {}, el('input', { type: 'checkbox', value: m.id, 'aria-label': `select ${m.controlId}` })),
      el('td', {}, new Date(m.receivedAt).toLocaleString()), el('td', {}, m.controlId), el('td', {}, m.sender), el('td', {}, m.type),
      el('td', { class: `status-${m.status}` }, m.status + (m.duplicates ? ` (+${m.duplicates} dup)` : '')),
      el('td', { class: `ack-${m.ackCode}` }, m.ackCode ?? ''), el('td', {}, m.error ?? ''))));
}
$('#msg-filter').addEventListener('submit', (e) => { e.preventDefault(); loadMessages(); });
$('#replay-selected').addEventListener('click', async () => {
  const ids = $$('#msg-table tbody input:checked').map((c) => c.value);
  if (!ids.length) return;
  await api('/admin/api/messages/replay', { method: 'POST', body: JSON.stringify({ ids }) });
  await loadMessages();
});

async function openMessage(id, reveal = false) {
  const m = await api(`/admin/api/messages/${encodeURIComponent(id)}${reveal ? '?reveal=true' : ''}`);
  selectedMessage = m;
  $('#msg-detail').hidden = false;
  $('#msg-id').textContent = `${m.controlId} · ${m.type} · ${m.status}${m.masked ? ' · patient data masked' : ''}`;
  $('#msg-segments').replaceChildren(...renderSegments(m.raw ?? ''));
  $('#msg-ack').textContent = (m.ack ?? '').replace(/\r/g, '\n');
  $('#msg-resources').replaceChildren(...(m.resources ?? []).map((r) => el('li', {}, `${r.resourceType}/${r.id}`)));
  $('#msg-unmapped').replaceChildren(...(m.unmapped ?? []).map((u) => el('li', {}, typeof u === 'string' ? u : `${u.path}${u.reason ? ` — ${u.reason}` : ''}`)));
  api(`/admin/api/messages/${encodeURIComponent(id)}/unmapped`).then(
    (r) => $('#msg-unmapped').replaceChildren(...(r.unmapped.length ? r.unmapped.map((u) => el('li', {}, `${u.path} — ${u.reason}`)) : [el('li', {}, r.note ?? 'every populated field was read by a rule')])),
    () => undefined,
  );
  $('#reveal').disabled = !m.masked;
}
function renderSegments(raw) {
  return raw.split(/\r\n|\r|\n/).filter(Boolean).map((line) => {
    const fieldSep = line.startsWith('MSH') ? line[3] : '|';
    const parts = line.split(fieldSep);
    const name = parts[0];
    return el('div', { class: 'seg' }, el('span', { class: 'name' }, name),
      ...parts.slice(1).map((f, i) => el('span', { class: 'f', title: `${name}-${name === 'MSH' ? i + 2 : i + 1}` }, f)));
  });
}
$('#reveal').addEventListener('click', () => selectedMessage && openMessage(selectedMessage.id, true));
$('#replay-one').addEventListener('click', async () => {
  if (!selectedMessage) return;
  await api(`/admin/api/messages/${encodeURIComponent(selectedMessage.id)}/replay`, { method: 'POST' });
  await openMessage(selectedMessage.id); await loadMessages();
});

// ---- mapping preview
async function loadPreview() {
  try {
    const status = await api('/admin/api/mappings');
    const maps = status.messageMaps ?? [];
    $('#preview-mapping').replaceChildren(el('option', { value: '' }, '(chosen by message type)'), ...maps.map((m) => el('option', { value: m.id }, m.id)));
  } catch { /* the list is optional; preview still works */ }
}
$('#preview-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const out = await api('/admin/map/preview', { method: 'POST', body: JSON.stringify({ message: $('#preview-input').value, mapping: $('#preview-mapping').value || undefined, explain: true }) });
    $('#preview-bundle').textContent = JSON.stringify(out.bundle, null, 2);
    $('#preview-explain').textContent = (out.explain ?? [])
      .map((x) => (typeof x === 'string' ? x : `${x.resource}.${x.path} ← ${x.from ? `${x.from} by ` : ''}${x.rule}`))
      .join('\n');
  } catch (err) { $('#preview-bundle').textContent = err.message; }
});

// ---- outbound
async function loadOutbound() {
  const { destinations } = await api('/admin/api/outbound/destinations');
  $('#out-table tbody').replaceChildren(...destinations.map((d) => el('tr', {},
    el('td', {}, `${d.name} · ${d.channel}${d.paused ? ' (paused)' : ''}${d.enabled === false ? ` (disabled: ${d.disabledReason ?? ''})` : ''}${d.circuit === 'open' ? ' (circuit open)' : ''}`), el('td', {}, String(d.pending)), el('td', {}, String(d.inFlight)), el('td', {}, String(d.failed)),
    el('td', {}, String(d.deadLettered)), el('td', { class: 'error' }, d.lastError ?? ''),
    el('td', {}, el('button', { onclick: () => act(d.name, d.paused ? 'resume' : 'pause') }, d.paused ? 'Resume' : 'Pause'), ' ',
      el('button', { onclick: () => act(d.name, 'replay') }, 'Replay dead letters')))));
}
async function act(name, action) {
  await api(`/admin/api/outbound/destinations/${encodeURIComponent(name)}/${action}`, { method: 'POST' });
  await loadOutbound();
}

// ---- care
async function loadCare() {
  const c = await api('/admin/api/care/summary');
  const pct = (v) => (v == null ? '–' : `${Math.round(v * 100)} %`);
  $('#care-cards').replaceChildren(
    el('div', { class: 'card' }, el('b', {}, String(c.activeCarePlans ?? 0)), 'active care plans'),
    el('div', { class: 'card' }, el('b', {}, String(c.dueActivities ?? 0)), 'activities due'),
    el('div', { class: 'card' }, el('b', {}, String(c.overdueActivities ?? 0)), 'overdue'),
    el('div', { class: 'card' }, el('b', {}, pct(c.followUpCompletionRate)), 'follow-ups completed'),
    el('div', { class: 'card' }, el('b', {}, pct(c.reminderNoShowRate)), 'no-shows after reminder'),
    el('div', { class: 'card' }, el('b', {}, String(c.urgentRepliesWaiting ?? 0)), 'urgent replies waiting'),
  );
}

if (token()) login(token());
