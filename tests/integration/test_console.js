// SPDX-License-Identifier: MIT
// Console and join page in headless Chromium (playwright-core), in a mix room: a site joins from
// /join/ROOM with a fake camera and microphone; the console (token asked once, kept in sessionStorage)
// shows it within a second — waited for through the DOM, not a sleep; a second site joins to listen;
// mute from the console silences the first site for the listener (inbound audio energy), floor moves it
// to the main tile (/metrics mcu_site_video_tile) and unmutes it; a raised hand shows in the console;
// a re-join inside the grace period keeps the seat; screenshots go to tests/artifacts/.
//
//   node test_console.js --base http://127.0.0.1:8080/ --room demo --token ADMIN --artifacts DIR
'use strict';
const path = require('path');
const { chromium } = require(path.join(__dirname, '..', 'node_modules', 'playwright-core'));

function parseArgs(argv) {
  const args = {};
  for (let i = 2; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  return args;
}

function expect(cond, what) {
  if (!cond) throw new Error('FAIL: ' + what);
}

async function roster(args, request) {
  const r = await request.get(new URL('api/rooms/' + args.room, args.base).toString(),
    { headers: { Authorization: 'Bearer ' + args.token } });
  return r.json();
}

// What a join page hears: the inbound audio energy Chromium has played so far.
function audioEnergy(page) {
  return page.evaluate(async () => {
    let energy = 0;
    (await site.pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') energy = r.totalAudioEnergy || 0;
    });
    return energy;
  });
}

// Polls @cond (async) every 250 ms until it holds or @ms pass; returns its last value.
async function until(cond, ms) {
  const end = Date.now() + ms;
  let value;
  while (Date.now() < end) {
    value = await cond();
    if (value.ok) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  return value;
}

// Energy heard over a 2 s window (the window is the measurement, not a wait for an event).
async function heardOver2s(page) {
  const before = await audioEnergy(page);
  await new Promise((r) => setTimeout(r, 2000));
  return (await audioEnergy(page)) - before;
}

async function metricValue(args, request, name, siteId) {
  const text = await (await request.get(new URL('metrics', args.base).toString())).text();
  const m = text.match(new RegExp(`${name}\\{room="${args.room}",site="${siteId}"\\} (-?[\\d.e+-]+)`));
  return m ? Number(m[1]) : null;
}

async function main() {
  const args = parseArgs(process.argv);
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required'];
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: flags });
  const result = {};
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const consolePage = await context.newPage();
    const joinPage = await context.newPage();
    for (const [name, page] of [['console', consolePage], ['join', joinPage]])
      page.on('console', (m) => process.stderr.write(`[${name}] ${m.text()}\n`));

    // Console: asks for the token once, keeps it for the tab.
    await consolePage.goto(new URL('#room=' + args.room, args.base).toString());
    await consolePage.waitForSelector('#login:not([hidden])');
    expect(await consolePage.textContent('#view-roll') === 'Điểm danh', 'Vietnamese by default');
    await consolePage.fill('#token', args.token);
    const firstRoster = consolePage.evaluate(() => new Promise((r) => document.addEventListener('roster', () => r(true), { once: true })));
    await consolePage.click('#login-form button');
    await firstRoster;
    expect(await consolePage.evaluate(() => sessionStorage.getItem('mcu-admin-token')) === args.token, 'token kept');

    // Join page: a guest joins from the browser.
    await joinPage.goto(new URL('join/' + args.room, args.base).toString());
    await joinPage.fill('#name', 'Xã Thử Nghiệm');
    // The console notes when the tile turns up (Date.now() is one clock for both pages of the browser).
    const shown = consolePage.evaluate(() => new Promise((resolve) => {
      const seen = () => {
        const el = document.querySelector('article.tile[data-state="connected"]');
        if (el) { resolve({ at: Date.now(), site: el.dataset.site }); return true; }
        return false;
      };
      if (!seen()) document.addEventListener('roster', function check() { if (seen()) document.removeEventListener('roster', check); });
    }));
    await joinPage.click('#join');
    await joinPage.waitForSelector('body[data-state="in"]', { timeout: 15000 }).catch(async (e) => {
      throw new Error(e.message + ' page error: ' + await joinPage.textContent('#error') + ' state ' +
        await joinPage.getAttribute('body', 'data-state'));
    });
    const joinedAt = Number(await joinPage.getAttribute('body', 'data-joined-at'));
    const tile = await Promise.race([shown, new Promise((r) => setTimeout(() => r(null), 5000))]);
    expect(tile !== null, 'the console shows the site');
    result.console_shows_join_ms = tile.at - joinedAt;
    expect(result.console_shows_join_ms < 1000, 'console shows the site within 1 s of the 201: ' + result.console_shows_join_ms);
    const siteId = tile.site;

    // The composite comes back and plays.
    await joinPage.waitForFunction(() => document.querySelector('#meeting').videoWidth > 0, null, { timeout: 15000 });
    result.meeting_video_width = await joinPage.evaluate(() => document.querySelector('#meeting').videoWidth);

    // A second site joins to listen: its mix is everyone but itself, here the first site's microphone.
    const listenerPage = await context.newPage();
    await listenerPage.goto(new URL('join/' + args.room, args.base).toString());
    await listenerPage.fill('#name', 'Điểm nghe');
    await listenerPage.click('#join');
    await listenerPage.waitForSelector('body[data-state="in"]', { timeout: 15000 });
    const before = await until(async () => { const e = await heardOver2s(listenerPage); return { ok: e > 1e-4, e }; }, 20000);
    result.heard_before_mute = before.e;
    expect(before.ok, 'the listener hears the first site: energy ' + before.e);

    // Mute from the console: reflected in the tile and in the roster, and the site falls silent.
    await consolePage.click(`article.tile[data-site="${siteId}"] button[data-action="mute"]`);
    await consolePage.waitForSelector(`article.tile[data-site="${siteId}"][data-muted="true"]`, { timeout: 3000 });
    let r = await roster(args, context.request);
    expect(r.sites.find((s) => s.id === siteId).muted === true, 'roster says muted');
    const after = await until(async () => { const e = await heardOver2s(listenerPage); return { ok: e < before.e / 50, e }; }, 10000);
    result.heard_after_mute = after.e;
    expect(after.ok, 'mute from the console silences the site: energy ' + after.e + ' (was ' + before.e + ')');

    // The listener talks meanwhile and takes the main tile; the muted site sits in a small one.
    const small = await until(async () => { const t = await metricValue(args, context.request, 'mcu_site_video_tile', siteId); return { ok: t !== null && t > 0, t }; }, 15000);
    expect(small.ok, 'the muted site is out of the main tile: tile ' + small.t);

    // Raise a hand from the join page: it appears in the console's hands list.
    await joinPage.click('#hand');
    await consolePage.waitForSelector('#hands li button[data-action="lower-hand"]', { timeout: 3000 });

    // Floor from the console: unmuted, on the floor.
    await consolePage.click(`article.tile[data-site="${siteId}"] button[data-action="floor"]`);
    await consolePage.waitForSelector(`article.tile[data-site="${siteId}"][data-muted="false"] .badge.floor`, { timeout: 3000 });
    r = await roster(args, context.request);
    expect(r.floor === siteId && r.hands.length === 0, 'floor given, hand lowered: ' + JSON.stringify(r.hands));
    const main = await until(async () => { const t = await metricValue(args, context.request, 'mcu_site_video_tile', siteId); return { ok: t === 0, t }; }, 10000);
    expect(main.ok, 'floor moves the site to the main tile: tile ' + main.t);
    const again = await until(async () => { const e = await heardOver2s(listenerPage); return { ok: e > before.e / 10, e }; }, 10000);
    expect(again.ok, 'the floor unmutes the site: energy ' + again.e);
    await listenerPage.click('#leave');

    // Link figures arrive with the stats event.
    await consolePage.waitForFunction((id) => {
      const el = document.querySelector(`article.tile[data-site="${id}"] .link`);
      return el && el.textContent.includes('ms');
    }, siteId, { timeout: 6000 });
    result.link_text = await consolePage.textContent(`article.tile[data-site="${siteId}"] .link`);
    const metrics = await (await context.request.get(new URL('metrics', args.base).toString())).text();
    const m = metrics.match(new RegExp(`mcu_site_packets_received_total\\{room="${args.room}",site="${siteId}"\\} (\\d+)`));
    expect(m && Number(m[1]) > 0, 'per-site packets in /metrics');
    result.metrics_packets_in = Number(m[1]);

    await joinPage.screenshot({ path: path.join(args.artifacts, 'join-page.png') });
    await consolePage.screenshot({ path: path.join(args.artifacts, 'console.png'), fullPage: true });

    // Re-join inside the grace period (what the page does after a drop): the same seat, one reconnect.
    await joinPage.evaluate(() => rejoin());
    await joinPage.waitForSelector('body[data-state="in"]', { timeout: 15000 });
    await consolePage.waitForFunction((id) => {
      const el = document.querySelector(`#roll tr[data-site="${id}"]`);
      return el && el.lastChild.textContent === '1';
    }, siteId, { timeout: 5000 });
    r = await roster(args, context.request);
    const seat = r.sites.filter((s) => s.name === 'Xã Thử Nghiệm');
    expect(seat.length === 1 && seat[0].id === siteId && seat[0].reconnects === 1 && seat[0].floor,
      'seat kept through the re-join: ' + JSON.stringify(seat));

    await consolePage.click('#view-roll');
    await consolePage.click('#lang');
    expect(await consolePage.textContent('#view-roll') === 'Roll-call', 'English switch');
    await consolePage.screenshot({ path: path.join(args.artifacts, 'console-rollcall-en.png'), fullPage: true });

    await joinPage.click('#leave');
    await consolePage.waitForSelector(`article.tile[data-site="${siteId}"][data-state="held"]`, { timeout: 3000 });
    result.ok = true;
  } catch (err) {
    result.error = String(err);
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(result.error ? 1 : 0);
}

main();
