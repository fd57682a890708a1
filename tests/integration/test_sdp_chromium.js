#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Chromium must accept the MCU's answers: for several offers made live in headless Chromium (audio+video,
// +screen as a second video, +data channel, a sendonly site, audio only), `mcu-sdp answer` builds the
// answer and setRemoteDescription(answer) on the same RTCPeerConnection must succeed, with the
// directions and the rejected data channel as expected. Exits 77 (skip) without chromium.
'use strict';
const path = require('path');
const fs = require('fs');
const http = require('http');
const { execFileSync } = require('child_process');

const BUILD = process.env.MCU_BUILD_DIR || path.join(__dirname, '..', '..', 'build');
const SOURCE = process.env.MCU_SOURCE_DIR || path.join(__dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const TOOL = path.join(BUILD, 'tools', 'mcu-sdp');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run'];

const CASES = [
  { name: 'audio+video', video: true, want: ['sendrecv', 'sendrecv'] },
  { name: 'audio+video+screen', video: true, screen: true, want: ['sendrecv', 'sendrecv', 'sendrecv'] },
  { name: 'audio+video+datachannel', video: true, data: true, want: ['sendrecv', 'sendrecv'], sctp: false },
  { name: 'sendonly site', video: true, direction: 'sendonly', want: ['sendonly', 'sendonly'] },
  { name: 'audio only', video: false, want: ['sendrecv'] },
];

function fail(what) {
  console.error(`FAIL: ${what}`);
  process.exit(1);
}

async function runCase(page, c) {
  const offer = await page.evaluate(async (c) => {
    window.pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: c.video });
    for (const track of stream.getTracks())
      window.pc.addTransceiver(track, { direction: c.direction || 'sendrecv', streams: [stream] });
    if (c.screen) {
      const canvas = document.createElement('canvas');
      canvas.getContext('2d').fillRect(0, 0, 4, 4);
      window.pc.addTrack(canvas.captureStream(5).getVideoTracks()[0]);
    }
    if (c.data) window.pc.createDataChannel('chat');
    const o = await window.pc.createOffer();
    await window.pc.setLocalDescription(o);
    return o.sdp;
  }, c);
  let answer;
  try {
    answer = execFileSync(TOOL, ['answer'], { input: offer, encoding: 'utf8' });
  } catch (e) {
    fail(`${c.name}: mcu-sdp answer failed: ${e.stderr}`);
  }
  const result = await page.evaluate(async (answer) => {
    try {
      await window.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    } catch (e) {
      return { error: String(e) };
    }
    const dirs = window.pc.getTransceivers().map((t) => t.currentDirection);
    const sctp = window.pc.sctp !== null;
    window.pc.close();
    return { dirs, sctp };
  }, answer);
  if (result.error) fail(`${c.name}: Chromium refused the answer: ${result.error}\n${answer}`);
  if (JSON.stringify(result.dirs) !== JSON.stringify(c.want))
    fail(`${c.name}: directions ${JSON.stringify(result.dirs)}, want ${JSON.stringify(c.want)}`);
  if (c.sctp === false && result.sctp) fail(`${c.name}: data channel should be rejected`);
  console.log(`ok - ${c.name}: Chromium accepted the answer, directions ${result.dirs.join(',')}`);
}

(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    console.log('SKIP: no /usr/bin/chromium');
    process.exit(77);
  }
  const playwright = path.join(SOURCE, 'tests', 'node_modules', 'playwright-core');
  if (!fs.existsSync(playwright)) {
    console.log('SKIP: no tests/node_modules/playwright-core (npm install in tests/)');
    process.exit(77);
  }
  const { chromium } = require(playwright);
  // getUserMedia needs a secure context: a page served from 127.0.0.1 is one.
  const server = http.createServer((req, res) => res.end('<!doctype html><title>sdp</title>'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    for (const c of CASES) await runCase(page, c);
  } finally {
    await browser.close();
    server.close();
  }
})().catch((e) => fail(String(e)));
