// SPDX-License-Identifier: MIT
// Browser join page: camera/mic preview, WHIP join (same origin), the composite video and the mix,
// mute, raise hand, leave. After a network drop it first tries an ICE restart (PATCH with new
// credentials, RFC 9725 §4.3), then a full re-join with backoff and jitter — reusing the open camera
// and microphone. The state is mirrored in body[data-state] and a 'joinstate' DOM event (for tests).
'use strict';

const $ = (sel) => document.querySelector(sel);
const room = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop());
const site = { pc: null, location: null, stream: null, muted: false, hand: false, name: '', token: '',
  leaving: false, attempt: 0, watchdog: null };

function setState(name, detail) {
  document.body.dataset.state = name;
  $('#status').dataset.i18n = 'join.state.' + name;
  $('#status').textContent = mcuI18n.t('join.state.' + name);
  document.dispatchEvent(new CustomEvent('joinstate', { detail: { state: name, detail } }));
}

async function openMedia() {
  if (site.stream) return site.stream;
  try {
    site.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
  } catch (err) {
    $('#error').textContent = mcuI18n.t('join.nocam') + err.message;
    site.stream = new MediaStream();   // join receive-only
  }
  $('#preview').srcObject = site.stream;
  return site.stream;
}

function gathered(pc, ms) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const done = () => { if (pc.iceGatheringState === 'complete') resolve(); };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, ms);
  });
}

function newPeer(stream) {
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  for (const kind of ['audio', 'video']) {
    const track = stream.getTracks().find((t) => t.kind === kind);
    if (track) pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
    else pc.addTransceiver(kind, { direction: 'recvonly' });
  }
  pc.ontrack = (e) => {
    const el = e.track.kind === 'video' ? $('#meeting') : $('#mix');
    el.srcObject = new MediaStream([e.track]);
    el.play().catch(() => {});
  };
  pc.onconnectionstatechange = () => onConnectionState(pc);
  return pc;
}

async function join() {
  const stream = await openMedia();
  const pc = newPeer(stream);
  site.pc = pc;
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc, 3000);
  const headers = { 'Content-Type': 'application/sdp' };
  if (site.token) headers.Authorization = 'Bearer ' + site.token;
  const query = site.token ? '' : '?name=' + encodeURIComponent(site.name);
  const resp = await fetch('/whip/' + encodeURIComponent(room) + query, { method: 'POST', headers, body: pc.localDescription.sdp });
  const body = await resp.text();
  if (resp.status !== 201) {
    let detail = body;
    try { detail = JSON.parse(body).detail; } catch (e) { /* not JSON */ }
    const err = new Error(detail);
    err.status = resp.status;
    throw err;
  }
  site.location = new URL(resp.headers.get('Location'), location.href).toString();
  document.body.dataset.joinedAt = Date.now();
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  site.attempt = 0;
  setState('in', site.location);
  for (const id of ['#mute', '#hand', '#leave']) $(id).disabled = false;
  $('#join').disabled = true;
}

// ---- recovery ------------------------------------------------------------------------------------

function onConnectionState(pc) {
  if (pc !== site.pc || site.leaving) return;
  if (pc.connectionState === 'connected') {
    clearTimeout(site.watchdog);
    if (document.body.dataset.state !== 'in') setState('in', site.location);
  } else if (pc.connectionState === 'disconnected' || pc.connectionState === 'failed') {
    clearTimeout(site.watchdog);
    // 'disconnected' often heals by itself; give it 3 s before restarting ICE.
    site.watchdog = setTimeout(() => recover(pc), pc.connectionState === 'failed' ? 0 : 3000);
  }
}

async function iceRestart(pc) {
  const offer = await pc.createOffer({ iceRestart: true });
  await pc.setLocalDescription(offer);
  await gathered(pc, 3000);
  const sdp = pc.localDescription.sdp;
  const line = (re) => (sdp.match(re) || [])[1].trim();
  const cands = sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
  const frag = ['a=ice-ufrag:' + line(/a=ice-ufrag:(.*)/), 'a=ice-pwd:' + line(/a=ice-pwd:(.*)/),
    'm=audio 9 UDP/TLS/RTP/SAVPF 0', 'a=mid:' + line(/a=mid:(.*)/), ...cands, 'a=end-of-candidates', ''].join('\r\n');
  const r = await fetch(site.location, { method: 'PATCH', headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' }, body: frag });
  const answer = await r.text();
  if (r.status !== 200) throw new Error('PATCH ' + r.status);
  let remote = pc.remoteDescription.sdp;
  const ufrag = answer.match(/a=ice-ufrag:(.*)/)[1].trim();
  const pwd = answer.match(/a=ice-pwd:(.*)/)[1].trim();
  const fresh = answer.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
  remote = remote.replace(/a=ice-ufrag:.*/g, 'a=ice-ufrag:' + ufrag).replace(/a=ice-pwd:.*/g, 'a=ice-pwd:' + pwd);
  remote = remote.split(/\r\n/).filter((l) => !l.startsWith('a=candidate:')).join('\r\n');
  remote = remote.replace(/(a=ice-pwd:.*\r\n)/g, '$1' + fresh.map((c) => c + '\r\n').join(''));
  await pc.setRemoteDescription({ type: 'answer', sdp: remote });
}

async function recover(pc) {
  if (pc !== site.pc || site.leaving || pc.connectionState === 'connected') return;
  setState('restart');
  try {
    await iceRestart(pc);
    site.watchdog = setTimeout(() => { if (pc === site.pc && pc.connectionState !== 'connected') rejoin(); }, 8000);
  } catch (err) {
    rejoin();
  }
}

async function rejoin() {
  if (site.leaving) return;
  setState('rejoin');
  if (site.pc) { site.pc.onconnectionstatechange = null; site.pc.close(); site.pc = null; }
  const old = site.location;
  site.location = null;
  if (old) fetch(old, { method: 'DELETE' }).catch(() => {});
  // Backoff 1, 2, 4 … 30 s with ±30 % jitter, so a district's sites do not all return at once.
  const delay = Math.min(30000, 1000 * 2 ** site.attempt) * (0.7 + 0.6 * Math.random());
  site.attempt++;
  await new Promise((r) => setTimeout(r, site.attempt === 1 ? 0 : delay));
  try {
    await join();
  } catch (err) {
    $('#error').textContent = err.message;
    if (err.status && err.status < 500 && err.status !== 423 && err.status !== 408) { setState('idle'); return; }
    rejoin();
  }
}

window.addEventListener('online', () => {
  if (site.pc && site.pc.connectionState !== 'connected' && !site.leaving) recover(site.pc);
});

// ---- controls ------------------------------------------------------------------------------------

$('#join-form').onsubmit = async (e) => {
  e.preventDefault();
  site.name = $('#name').value.trim();
  site.token = $('#site-token').value.trim();
  site.leaving = false;
  if (!site.name && !site.token) { $('#error').textContent = mcuI18n.t('join.need.name'); return; }
  $('#error').textContent = '';
  setState('joining');
  try {
    await join();
  } catch (err) {
    $('#error').textContent = err.message;
    setState('idle', err.message);
  }
};

$('#mute').onclick = () => {
  site.muted = !site.muted;
  for (const t of site.stream.getAudioTracks()) t.enabled = !site.muted;
  $('#mute').dataset.i18n = site.muted ? 'join.unmute' : 'join.mute';
  $('#mute').textContent = mcuI18n.t($('#mute').dataset.i18n);
};

$('#hand').onclick = async () => {
  const raised = !site.hand;
  const r = await fetch('/api/rooms/' + encodeURIComponent(room) + '/hand', { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ session: site.location, raised }) });
  if (!r.ok) { $('#error').textContent = (await r.json()).detail; return; }
  site.hand = raised;
  $('#hand').dataset.i18n = raised ? 'join.hand.down' : 'join.hand';
  $('#hand').textContent = mcuI18n.t($('#hand').dataset.i18n);
};

$('#leave').onclick = async () => {
  site.leaving = true;
  clearTimeout(site.watchdog);
  if (site.location) await fetch(site.location, { method: 'DELETE' }).catch(() => {});
  if (site.pc) site.pc.close();
  site.pc = null;
  site.location = null;
  for (const id of ['#mute', '#hand', '#leave']) $(id).disabled = true;
  $('#join').disabled = false;
  setState('left');
};

$('#lang').onclick = () => mcuI18n.toggle();
$('#room-name').textContent = room;
mcuI18n.apply();
openMedia();
