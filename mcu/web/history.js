// SPDX-License-Identifier: MIT
// Console: the link history view (issue 10). A "Link history" tab beside the console's own views shows,
// per site, the meeting's one-second samples the mcu keeps (GET /api/rooms/ROOM/report.csv, the same
// record the operator exports after the meeting): sparklines of RTT, loss each way, bit rate to the site
// and the tier / ladder rung it receives, plus its outages (count and seconds). Refreshed every 5 s
// while shown; each render dispatches a 'history' DOM event on document (tests wait for it).
// Uses the console's `state` (token, room, view) and `mcuI18n`; loaded after console.js.
'use strict';

const HISTORY_STRINGS = {
  vi: { tab: 'Lịch sử đường truyền', site: 'Điểm cầu', rtt: 'Trễ (ms)', loss: 'Mất gói nhận / gửi (%)',
    rate: 'Tốc độ gửi (kbit/s)', tier: 'Mức hình (0 = lớn nhất)', outages: 'Mất kết nối', none: 'Chưa có số liệu.',
    times: 'lần', error: 'Không tải được lịch sử: ' },
  en: { tab: 'Link history', site: 'Site', rtt: 'RTT (ms)', loss: 'Loss in / out (%)', rate: 'Rate out (kbit/s)',
    tier: 'Tier (0 = largest)', outages: 'Outages', none: 'No samples yet.', times: 'times',
    error: 'Cannot load the history: ' },
};
const HISTORY_POINTS = 120;   // the last two minutes in the sparklines

function historyT(key) {
  return (HISTORY_STRINGS[mcuI18n.lang] || HISTORY_STRINGS.vi)[key];
}

// RFC 4180 fields: quoted fields may hold commas, quotes ("") and line breaks.
function parseCsv(text) {
  const rows = [];
  let row = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n') { row.push(field); rows.push(row); row = []; field = ''; }
    else if (c !== '\r') field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

// The report's titled sections ("attendance", "link history"): title row, header row, rows, blank row.
function csvSections(text) {
  const sections = {};
  let current = null;
  for (const row of parseCsv(text)) {
    if (row.length === 1 && row[0] === '') { current = null; continue; }
    if (current === null && row.length === 1) { current = { title: row[0], header: null, rows: [] }; sections[row[0]] = current; continue; }
    if (current && !current.header) { current.header = row; continue; }
    if (current) current.rows.push(Object.fromEntries(current.header.map((h, i) => [h, row[i]])));
  }
  return sections;
}

function num(text) {
  return text === undefined || text === '' ? null : Number(text);
}

// A small SVG line of @values (nulls are gaps); @step draws a staircase (tiers).
function sparkline(values, step) {
  const w = 160, h = 28;
  const known = values.filter((v) => v !== null && isFinite(v));
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('width', w);
  svg.setAttribute('height', h);
  svg.classList.add('spark');
  if (known.length === 0) return svg;
  const lo = Math.min(0, ...known), hi = Math.max(...known, lo + 1e-9);
  const x = (i) => (values.length > 1 ? i * (w - 2) / (values.length - 1) : 0) + 1;
  const y = (v) => h - 2 - (v - lo) * (h - 4) / (hi - lo);
  let d = '', pen = false;
  values.forEach((v, i) => {
    if (v === null || !isFinite(v)) { pen = false; return; }
    if (pen && step) d += ' H' + x(i).toFixed(1);
    d += (pen ? ' L' : ' M') + x(i).toFixed(1) + ' ' + y(v).toFixed(1);
    pen = true;
  });
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', d);
  svg.appendChild(path);
  return svg;
}

function cell(tr, content, last) {
  const td = document.createElement('td');
  if (content) td.appendChild(content);
  if (last !== undefined) { const span = document.createElement('span'); span.className = 'last'; span.textContent = last; td.appendChild(span); }
  tr.appendChild(td);
  return td;
}

function fmt(v, digits) {
  return v === null || !isFinite(v) ? '—' : v.toFixed(digits || 0);
}

function renderHistory(sections) {
  const body = document.querySelector('#history tbody');
  body.textContent = '';
  const links = (sections['link history'] || { rows: [] }).rows;
  const people = (sections.attendance || { rows: [] }).rows;
  const bySite = new Map();
  for (const r of links) {
    if (!bySite.has(r.site_id)) bySite.set(r.site_id, { name: r.site_name, rows: [] });
    bySite.get(r.site_id).rows.push(r);
  }
  const sites = [];
  for (const [id, site] of bySite) {
    const rows = site.rows.slice(-HISTORY_POINTS);
    const col = (k) => rows.map((r) => (r.connected === '1' ? num(r[k]) : null));
    const last = rows[rows.length - 1];
    const who = people.find((p) => p.site_id === id) || {};
    const tr = document.createElement('tr');
    tr.dataset.site = id;
    cell(tr, null).textContent = site.name;
    cell(tr, sparkline(col('rtt_ms')), fmt(num(last.rtt_ms)));
    const lossTd = cell(tr, sparkline(col('loss_in_pct')), fmt(num(last.loss_in_pct), 1) + ' / ' + fmt(num(last.loss_out_pct), 1));
    lossTd.appendChild(sparkline(col('loss_out_pct')));
    cell(tr, sparkline(col('bitrate_out_kbps')), fmt(num(last.bitrate_out_kbps)));
    cell(tr, sparkline(col('tier'), true), last.tier === '' ? '—' : last.tier);
    cell(tr, null).textContent = (who.outages || last.outages || '0') + ' ' + historyT('times') +
      (who.outage_s ? ' (' + who.outage_s + ' s)' : '');
    body.appendChild(tr);
    sites.push({ id, name: site.name, samples: site.rows.length, tier: last.tier, rtt_ms: num(last.rtt_ms),
      outages: Number(who.outages || last.outages || 0) });
  }
  if (sites.length === 0) {
    const tr = document.createElement('tr');
    const td = cell(tr, null);
    td.colSpan = 6;
    td.textContent = historyT('none');
    body.appendChild(tr);
  }
  document.dispatchEvent(new CustomEvent('history', { detail: { room: state.room, sites } }));
}

async function loadHistory() {
  if (state.view !== 'history' || !state.room) return;
  const error = document.querySelector('#history .error');
  try {
    const resp = await fetch('/api/rooms/' + encodeURIComponent(state.room) + '/report.csv',
      { headers: { Authorization: 'Bearer ' + state.token } });
    if (!resp.ok) throw new Error('HTTP ' + resp.status);
    error.hidden = true;
    renderHistory(csvSections(await resp.text()));
  } catch (e) {
    error.hidden = false;
    error.textContent = historyT('error') + e.message;
  }
}

function buildHistoryView() {
  const style = document.createElement('style');
  style.textContent = '.spark { vertical-align: middle; } .spark path { fill: none; stroke: var(--accent); ' +
    'stroke-width: 1.5; } #history { flex: 1; } #history .last { margin-left: .4em; font-variant-numeric: tabular-nums; } ' +
    'body.history-view #grid { display: none; }';   /* .grid's display: grid outranks [hidden] */
  document.head.appendChild(style);
  const tab = document.createElement('button');
  tab.id = 'view-history';
  tab.className = 'tab';
  document.querySelector('#view-roll').after(tab);
  const section = document.createElement('section');
  section.id = 'history';
  section.hidden = true;
  section.innerHTML = '<p class="error" hidden></p><table><thead><tr></tr></thead><tbody></tbody></table>';
  document.querySelector('.columns').prepend(section);
  const labels = () => {
    tab.textContent = historyT('tab');
    const head = section.querySelector('thead tr');
    head.textContent = '';
    for (const k of ['site', 'rtt', 'loss', 'rate', 'tier', 'outages']) {
      const th = document.createElement('th'); th.textContent = historyT(k); head.appendChild(th);
    }
  };
  labels();
  tab.onclick = () => {
    state.view = 'history';
    section.hidden = false;
    document.body.classList.add('history-view');
    for (const id of ['#view-grid', '#view-roll']) document.querySelector(id).classList.remove('active');
    tab.classList.add('active');
    render();
    loadHistory();
  };
  // The console's own tabs and language button re-render: follow them.
  document.addEventListener('roster', () => {
    section.hidden = state.view !== 'history';
    document.body.classList.toggle('history-view', state.view === 'history');
    tab.classList.toggle('active', state.view === 'history');
    labels();
  });
  setInterval(loadHistory, 5000);
}

buildHistoryView();
