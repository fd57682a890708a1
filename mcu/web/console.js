// SPDX-License-Identifier: MIT
// Operator console: pick a room, follow it live over the event WebSocket, moderate through the admin
// API. The roster comes whole on connect ("roster" event) and after each change (a GET, cheap); the
// "stats" event refreshes link figures every 2 s. Each render dispatches a 'roster' DOM event on
// document (tests wait for it instead of sleeping). The admin token is asked once and kept in
// sessionStorage (gone when the tab closes).
'use strict';

const $ = (sel) => document.querySelector(sel);
const state = { token: sessionStorage.getItem('mcu-admin-token') || '', room: null, roster: null, ws: null,
  view: 'grid', retry: 0 };

async function api(method, path, body) {
  const resp = await fetch(path, { method, headers: { Authorization: 'Bearer ' + state.token,
    'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  const data = await resp.json().catch(() => ({}));
  if (resp.status === 401 || resp.status === 403) { showLogin(true); throw new Error(data.detail || resp.status); }
  if (!resp.ok) throw new Error(data.detail || ('HTTP ' + resp.status));
  return data;
}

function showLogin(failed) {
  $('#login').hidden = false;
  $('#main').hidden = true;
  $('#login-error').hidden = !failed;
  if (failed) sessionStorage.removeItem('mcu-admin-token');
}

async function loadRooms() {
  const data = await api('GET', '/api/rooms');
  $('#login').hidden = true;
  $('#main').hidden = false;
  const select = $('#room');
  select.textContent = '';
  for (const room of data.rooms) {
    const opt = document.createElement('option');
    opt.value = room.id;
    opt.textContent = room.title + ' (' + room.id + ')';
    select.appendChild(opt);
  }
  const wanted = new URLSearchParams(location.hash.slice(1)).get('room');
  if (wanted && data.rooms.some((r) => r.id === wanted)) select.value = wanted;
  if (data.rooms.length === 0) $('#summary').textContent = mcuI18n.t('no.rooms');
  else openRoom(select.value);
}

function openRoom(id) {
  state.room = id;
  state.roster = null;
  history.replaceState(null, '', '#room=' + encodeURIComponent(id));
  if (state.ws) { state.ws.onclose = null; state.ws.close(); }
  const url = new URL('/api/rooms/' + encodeURIComponent(id) + '/events', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('token', state.token);
  const ws = new WebSocket(url);
  state.ws = ws;
  ws.onopen = () => { state.retry = 0; $('#events-down').hidden = true; };
  ws.onmessage = (msg) => onEvent(JSON.parse(msg.data));
  ws.onclose = () => {
    if (state.ws !== ws) return;
    $('#events-down').hidden = false;
    state.retry = Math.min(state.retry + 1, 5);
    setTimeout(() => { if (state.ws === ws) openRoom(id); }, 500 * state.retry);
  };
}

let refreshing = null;
async function refreshRoster() {
  if (refreshing) return refreshing;
  refreshing = api('GET', '/api/rooms/' + encodeURIComponent(state.room)).then((roster) => {
    state.roster = roster;
    render();
  }).finally(() => { refreshing = null; });
  return refreshing;
}

function onEvent(ev) {
  if (ev.room !== state.room) return;
  if (ev.event === 'roster') { state.roster = ev; render(); return; }
  if (!state.roster) return;
  if (ev.event === 'stats') {
    for (const fresh of ev.sites) {
      const site = state.roster.sites.find((s) => s.id === fresh.id);
      if (site) site.link = fresh.link;
    }
    render();
    return;
  }
  if (ev.event === 'talking') {
    const site = state.roster.sites.find((s) => s.id === ev.site_id);
    if (site) site.talking = ev.talking;
    render();
    return;
  }
  if (ev.event === 'closed') { loadRooms(); return; }
  refreshRoster();
}

// Link quality: good under 2 % loss and 200 ms RTT, poor over 8 % or 500 ms; fair between.
function quality(link) {
  if (link.loss === null || link.loss === undefined) return 'unknown';
  const loss = Math.max(link.loss, link.loss_out || 0);
  const rtt = link.rtt_ms === null ? 0 : link.rtt_ms;
  if (loss > 0.08 || rtt > 500) return 'poor';
  if (loss > 0.02 || rtt > 200) return 'fair';
  return 'good';
}

function fmtTime(ms) {
  return ms ? new Date(ms).toLocaleTimeString(mcuI18n.lang === 'vi' ? 'vi-VN' : 'en-GB') : '—';
}

function fmtLink(link) {
  if (link.loss === null) return '—';
  const rtt = link.rtt_ms === null ? '?' : Math.round(link.rtt_ms);
  return mcuI18n.t('rtt') + ' ' + rtt + ' ms · ' + mcuI18n.t('loss') + ' ' + (100 * link.loss).toFixed(1) + ' % · ' +
    mcuI18n.t('jitter') + ' ' + Math.round(link.jitter_ms) + ' ms · ' + mcuI18n.t('in') + ' ' +
    Math.round(link.bitrate_in / 1000) + ' / ' + mcuI18n.t('out') + ' ' + Math.round(link.bitrate_out / 1000) + ' kbit/s';
}

function button(key, action, site) {
  const b = document.createElement('button');
  b.textContent = mcuI18n.t(key);
  b.dataset.action = action;
  b.onclick = () => {
    if (action === 'kick' && !confirm(mcuI18n.t('confirm.kick'))) return;
    api('POST', '/api/rooms/' + encodeURIComponent(state.room) + '/sites/' + encodeURIComponent(site.id) + '/' + action)
      .then(refreshRoster).catch((e) => alert(e.message));
  };
  return b;
}

function tile(site) {
  const el = document.createElement('article');
  el.className = 'tile ' + site.state + ' q-' + quality(site.link);
  el.dataset.site = site.id;
  el.dataset.state = site.state;
  el.dataset.muted = site.muted;
  if (site.talking) el.classList.add('talking');
  const head = document.createElement('h3');
  head.textContent = site.name + (site.guest ? ' (' + mcuI18n.t('guest') + ')' : '');
  const badges = document.createElement('div');
  badges.className = 'badges';
  const add = (cls, key) => { const s = document.createElement('span'); s.className = 'badge ' + cls; s.textContent = mcuI18n.t(key); badges.appendChild(s); };
  add('state', 'state.' + site.state);
  if (site.muted) add('muted', 'muted');
  if (site.talking) add('talking', 'talking');
  if (site.floor) add('floor', 'on.floor');
  if (site.pinned) add('pinned', 'pinned');
  if (site.hand_raised) add('hand', 'hands');
  const link = document.createElement('p');
  link.className = 'link';
  link.textContent = fmtLink(site.link);
  const buttons = document.createElement('div');
  buttons.className = 'buttons';
  buttons.append(site.muted ? button('unmute', 'unmute', site) : button('mute', 'mute', site),
    button('floor', 'floor', site), site.pinned ? button('unpin', 'unpin', site) : button('pin', 'pin', site),
    button('kick', 'kick', site));
  el.append(head, badges, link, buttons);
  return el;
}

function renderRoll(roster) {
  const body = $('#roll tbody');
  body.textContent = '';
  for (const site of roster.sites) {
    const tr = document.createElement('tr');
    tr.dataset.site = site.id;
    const cells = [site.name, mcuI18n.t('state.' + site.state), site.connected ? fmtTime(site.since) : '—',
      site.first_joined ? fmtTime(site.first_joined) : mcuI18n.t('never'), String(site.reconnects)];
    for (const text of cells) { const td = document.createElement('td'); td.textContent = text; tr.appendChild(td); }
    if (!site.first_joined) tr.className = 'never';
    body.appendChild(tr);
  }
}

function renderHands(roster) {
  const list = $('#hands');
  list.textContent = '';
  if (roster.hands.length === 0) {
    const li = document.createElement('li'); li.className = 'none'; li.textContent = mcuI18n.t('hands.none'); list.appendChild(li);
  }
  for (const id of roster.hands) {
    const site = roster.sites.find((s) => s.id === id);
    if (!site) continue;
    const li = document.createElement('li');
    li.textContent = site.name + ' ';
    li.append(button('floor', 'floor', site), button('lower', 'lower-hand', site));
    list.appendChild(li);
  }
}

function render() {
  const roster = state.roster;
  if (!roster) return;
  const grid = $('#grid');
  grid.textContent = '';
  for (const site of roster.sites) grid.appendChild(tile(site));
  renderRoll(roster);
  renderHands(roster);
  $('#layout').value = roster.layout;
  const lock = $('#lock');
  lock.dataset.i18n = roster.locked ? 'unlock' : 'lock';
  lock.textContent = mcuI18n.t(lock.dataset.i18n);
  document.body.classList.toggle('locked', roster.locked);
  $('#summary').textContent = roster.connected + ' / ' + roster.sites.length + ' ' + mcuI18n.t('connected.count');
  grid.hidden = state.view !== 'grid';
  $('#roll').hidden = state.view !== 'roll';
  document.dispatchEvent(new CustomEvent('roster', { detail: roster }));
}

function roomAction(action, body) {
  return api('POST', '/api/rooms/' + encodeURIComponent(state.room) + '/' + action, body)
    .then((roster) => { state.roster = roster; render(); }).catch((e) => alert(e.message));
}

function setView(view) {
  state.view = view;
  $('#view-grid').classList.toggle('active', view === 'grid');
  $('#view-roll').classList.toggle('active', view === 'roll');
  render();
}

$('#login-form').onsubmit = (e) => {
  e.preventDefault();
  state.token = $('#token').value;
  sessionStorage.setItem('mcu-admin-token', state.token);
  loadRooms().catch(() => {});
};
$('#room').onchange = (e) => openRoom(e.target.value);
$('#layout').onchange = (e) => roomAction('layout', { layout: e.target.value });
$('#mute-all').onclick = () => roomAction('mute-all');
$('#lock').onclick = () => roomAction(state.roster && state.roster.locked ? 'unlock' : 'lock');
$('#view-grid').onclick = () => setView('grid');
$('#view-roll').onclick = () => setView('roll');
$('#lang').onclick = () => { mcuI18n.toggle(); render(); };

mcuI18n.apply();
if (state.token) loadRooms().catch(() => {});
else showLogin(false);
