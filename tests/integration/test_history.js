// SPDX-License-Identifier: MIT
// The console's link history view in headless Chromium (playwright-core): logs in with the admin token,
// opens the room, clicks the "Link history" tab and waits (through the view's 'history' DOM event, not
// a sleep) until @site shows at least --min-samples samples; prints what the view shows for each site
// (samples, tier, RTT, outages, the table row's sparklines) as one JSON line for test_history.py.
//
//   node test_history.js --base URL --room ROOM --token ADMIN --site NAME [--min-samples 5] [--min-outages 0]
'use strict';
const path = require('path');
const { chromium } = require(path.join(__dirname, '..', 'node_modules', 'playwright-core'));

function parseArgs(argv) {
  const args = { 'min-samples': '5', 'min-outages': '0' };
  for (let i = 2; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  return args;
}

async function main() {
  const args = parseArgs(process.argv);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  const result = { ok: false };
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(new URL('#room=' + encodeURIComponent(args.room), args.base).toString());
    await page.fill('#token', args.token);
    await page.click('#login-form button');
    await page.waitForSelector('#view-history', { timeout: 10000 });
    // Resolves with the first render that shows the site with enough samples (and outages).
    const seen = page.evaluate(({ site, minSamples, minOutages }) => new Promise((resolve) => {
      document.addEventListener('history', (e) => {
        const s = e.detail.sites.find((x) => x.name === site);
        if (s && s.samples >= minSamples && s.outages >= minOutages) resolve(e.detail);
      });
    }), { site: args.site, minSamples: Number(args['min-samples']), minOutages: Number(args['min-outages']) });
    await page.click('#view-history');
    result.detail = await Promise.race([seen, new Promise((r) => setTimeout(() => r(null), 20000))]);
    result.visible = await page.isVisible('#history table');
    result.grid_hidden = await page.isHidden('#grid');
    result.rows = await page.$$eval('#history tbody tr', (trs) => trs.map((tr) => ({
      site: tr.dataset.site, cells: [...tr.children].map((td) => td.textContent.trim()),
      sparklines: tr.querySelectorAll('svg.spark path').length })));
    await page.click('#view-grid');
    result.hidden_after = await page.isHidden('#history');
    result.errors = errors;
    result.ok = result.detail !== null && errors.length === 0;
  } catch (e) {
    result.error = String(e);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}

main();
