#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Captures real WebRTC offers from headless Chromium (fake camera and microphone) for the SDP tests.
//   node tests/data/capture-chromium-offer.js [OUTDIR]   (default: tests/data)
// Writes chromium-av.sdp (audio+video) and chromium-av-screen.sdp (audio+video+a second video for
// screen/slides, here a canvas capture track since headless has no screen picker) and chromium-av-data.sdp
// (audio+video+a data channel, which the MCU must reject with port 0), all with CRLF endings.
'use strict';
const path = require('path');
const fs = require('fs');
const http = require('http');
const { chromium } = require(path.join(__dirname, '..', 'node_modules', 'playwright-core'));

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run'];

async function makeOffer(page, withScreen, withData) {
  return page.evaluate(async ([withScreen, withData]) => {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    if (withScreen) {
      const canvas = document.createElement('canvas');
      canvas.width = 640; canvas.height = 360;
      canvas.getContext('2d').fillRect(0, 0, 10, 10);
      const screen = canvas.captureStream(5);
      pc.addTrack(screen.getVideoTracks()[0], screen);
    }
    if (withData) pc.createDataChannel('chat');
    await pc.setLocalDescription(await pc.createOffer());
    // Wait for host candidates so the offer carries them, as a non-trickle WHIP client sends it.
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve(); };
      setTimeout(resolve, 5000);
    });
    const sdp = pc.localDescription.sdp;
    pc.close();
    return sdp;
  }, [withScreen, withData]);
}

(async () => {
  const outDir = process.argv[2] || __dirname;
  // getUserMedia needs a secure context: a page served from 127.0.0.1 is one, about:blank is not.
  const server = http.createServer((req, res) => { res.end('<!doctype html><title>capture</title>'); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const offers = [['chromium-av.sdp', false, false], ['chromium-av-screen.sdp', true, false],
      ['chromium-av-data.sdp', false, true]];
    for (const [name, screen, data] of offers) {
      const sdp = (await makeOffer(page, screen, data)).replace(/\r?\n/g, '\r\n');
      fs.writeFileSync(path.join(outDir, name), sdp);
      console.log(`wrote ${name} (${sdp.length} bytes)`);
    }
  } finally {
    await browser.close();
    server.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
