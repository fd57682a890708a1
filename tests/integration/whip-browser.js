// SPDX-License-Identifier: MIT
// A headless Chromium site (a peer we did not write): joins an MCU room over WHIP with fake camera and
// microphone, plays what it receives, and prints a JSON summary of its WebRTC stats once a second and at
// the end. Driven by the Python integration tests.
//
//   node whip-browser.js --base http://127.0.0.1:8080/ --room echo [--name N] [--token T] [--seconds 10]
//                        [--restart-at 5] [--video-file f.y4m] [--audio-file f.wav]
'use strict';
const path = require('path');
const { chromium } = require(path.join(__dirname, '..', 'node_modules', 'playwright-core'));

function parseArgs(argv) {
  const args = { seconds: 10, name: 'chromium', token: '', restartAt: -1, videoFile: '', audioFile: '' };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    args[key] = argv[i + 1];
  }
  args.seconds = Number(args.seconds);
  args.restartAt = Number(args.restartAt);
  return args;
}

// Runs inside the page (same origin as the MCU, so no CORS is involved in these tests).
async function siteInPage(opts) {
  const log = [];
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
  for (const track of media.getTracks()) pc.addTransceiver(track, { direction: 'sendrecv', streams: [media] });
  const remote = new MediaStream();
  pc.ontrack = (e) => {
    remote.addTrack(e.track);
    if (e.track.kind === 'audio') {
      const el = document.createElement('audio');
      el.srcObject = new MediaStream([e.track]);
      el.autoplay = true;
      document.body.appendChild(el);
      el.play().catch((err) => log.push('audio play: ' + err));
    } else {
      const el = document.createElement('video');
      el.srcObject = new MediaStream([e.track]);
      el.autoplay = true; el.muted = true;
      document.body.appendChild(el);
    }
  };
  const gathered = () => new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
  });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered();
  const headers = { 'Content-Type': 'application/sdp' };
  if (opts.token) headers.Authorization = 'Bearer ' + opts.token;
  const query = opts.token ? '' : '?name=' + encodeURIComponent(opts.name);
  const t0 = performance.now();
  const resp = await fetch('/whip/' + opts.room + query, { method: 'POST', headers, body: pc.localDescription.sdp });
  const body = await resp.text();
  if (resp.status !== 201) return { error: 'POST ' + resp.status + ': ' + body, log };
  const location = new URL(resp.headers.get('Location'), location_base()).toString();
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  const joinMs = performance.now() - t0;

  function location_base() { return window.location.href; }

  async function iceRestart() {
    const offer = await pc.createOffer({ iceRestart: true });
    await pc.setLocalDescription(offer);
    await gathered();
    const sdp = pc.localDescription.sdp;
    const ufrag = sdp.match(/a=ice-ufrag:(.*)/)[1].trim();
    const pwd = sdp.match(/a=ice-pwd:(.*)/)[1].trim();
    const cands = sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
    const mid = sdp.match(/a=mid:(.*)/)[1].trim();
    const frag = ['a=ice-ufrag:' + ufrag, 'a=ice-pwd:' + pwd, 'm=audio 9 UDP/TLS/RTP/SAVPF 0',
      'a=mid:' + mid, ...cands, 'a=end-of-candidates', ''].join('\r\n');
    const r = await fetch(location, { method: 'PATCH', headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' }, body: frag });
    const answerFrag = await r.text();
    if (r.status !== 200) { log.push('PATCH ' + r.status + ': ' + answerFrag); return false; }
    // Build the new remote description from the previous one with the server's new credentials.
    let remoteSdp = pc.remoteDescription.sdp;
    const newUfrag = answerFrag.match(/a=ice-ufrag:(.*)/)[1].trim();
    const newPwd = answerFrag.match(/a=ice-pwd:(.*)/)[1].trim();
    remoteSdp = remoteSdp.replace(/a=ice-ufrag:.*/g, 'a=ice-ufrag:' + newUfrag).replace(/a=ice-pwd:.*/g, 'a=ice-pwd:' + newPwd);
    const newCands = answerFrag.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
    remoteSdp = remoteSdp.split(/\r\n/).filter((l) => !l.startsWith('a=candidate:')).join('\r\n');
    remoteSdp = remoteSdp.replace(/(a=ice-pwd:.*\r\n)/g, '$1' + newCands.map((c) => c + '\r\n').join(''));
    await pc.setRemoteDescription({ type: 'answer', sdp: remoteSdp });
    return true;
  }

  async function snapshot() {
    const s = { t: Math.round(performance.now() - t0), connection: pc.connectionState, ice: pc.iceConnectionState };
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type === 'inbound-rtp') {
        const k = r.kind;
        s['in_' + k + '_packets'] = r.packetsReceived;
        s['in_' + k + '_lost'] = r.packetsLost;
        s['in_' + k + '_nacks_sent'] = r.nackCount;
        s['in_' + k + '_retransmitted'] = r.retransmittedPacketsReceived;
        if (k === 'video') { s.frames_decoded = r.framesDecoded; s.keyframes_decoded = r.keyFramesDecoded; s.freeze_count = r.freezeCount; s.frame_width = r.frameWidth; }
        if (k === 'audio') {
          s.audio_samples = r.totalSamplesReceived; s.concealed_samples = r.concealedSamples;
          // what the concealment is made of: FEC used or not, loss runs (events), the jitter buffer
          s.audio_fec_received = r.fecPacketsReceived; s.audio_fec_discarded = r.fecPacketsDiscarded;
          s.concealment_events = r.concealmentEvents; s.silent_concealed_samples = r.silentConcealedSamples;
          s.jitter_delay_s = r.jitterBufferDelay; s.jitter_emitted = r.jitterBufferEmittedCount;
          s.jitter_target_s = r.jitterBufferTargetDelay;
        }
      } else if (r.type === 'outbound-rtp') {
        const k = r.kind;
        s['out_' + k + '_packets'] = r.packetsSent;
        s['out_' + k + '_retransmitted'] = r.retransmittedPacketsSent;
        s['out_' + k + '_nacks_received'] = r.nackCount;
        if (k === 'video') { s.out_video_bitrate_target = r.targetBitrate; s.frames_encoded = r.framesEncoded; }
      } else if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') {
        s.available_outgoing_bitrate = r.availableOutgoingBitrate;
        s.rtt_ms = r.currentRoundTripTime * 1000;
      }
    });
    return s;
  }

  const samples = [];
  let restarted = null;
  for (let i = 1; i <= opts.seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    if (i === opts.restartAt) restarted = await iceRestart();
    samples.push(await snapshot());
  }
  const del = await fetch(location, { method: 'DELETE' });
  return { joinMs, location, restarted, deleteStatus: del.status, samples, log };
}

(async () => {
  const args = parseArgs(process.argv);
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required',
    // getUserMedia needs a secure context: an MCU on a LAN address is plain http.
    '--unsafely-treat-insecure-origin-as-secure=' + new URL(args.base).origin];
  if (args.videoFile) flags.push('--use-file-for-fake-video-capture=' + args.videoFile);
  if (args.audioFile) flags.push('--use-file-for-fake-audio-capture=' + args.audioFile);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: flags });
  let result;
  try {
    const page = await browser.newPage();
    page.on('console', (m) => process.stderr.write('[page] ' + m.text() + '\n'));
    await page.goto(new URL('health', args.base).toString());
    result = await page.evaluate(siteInPage, args);
  } catch (err) {
    result = { error: String(err) };
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(result.error ? 1 : 0);
})();
