// The web figures of docs/PERFORMANCE.md (## Web): the admin app's first-load size and the widget's size (gzip),
// the widget's time to interactive (on a bare local page, and on the demo shop page, first visit and a later page),
// and how long the first streamed text takes to be rendered
// after it arrives. Runs the real `parley` binary (a fresh demo data folder) and Debian's headless Chromium.
//   node bench/web/web_bench.mjs [BUILD_DIR] [RUNS]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const build = resolve(process.argv[2] ?? join(root, 'build'));
const runs = Number(process.argv[3] ?? 20);
const { chromium } = await import(join(root, 'tests/web/node_modules/playwright-core/index.mjs'));

const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.round(p * (values.length - 1)))];

// Sizes: what a first visit to /admin downloads (the page and the script and stylesheet it names; the other pages'
// scripts load when they are opened: web/src/admin/lazy.tsx), everything the app has, and widget.js.
const dist = join(build, 'src/web/dist');
const page = readFileSync(join(dist, 'admin/index.html'), 'utf8');
const firstLoad = [...page.matchAll(/(?:src|href)="\/admin\/(assets\/[^"]+\.(?:js|css))"/g)].map((match) => match[1]);
const adminBytes = gz(join(dist, 'admin/index.html')) + firstLoad.reduce((sum, name) => sum + gz(join(dist, 'admin', name)), 0);
const allAdminBytes = readdirSync(join(dist, 'admin/assets'))
  .filter((name) => /\.(js|css)$/.test(name))
  .reduce((sum, name) => sum + gz(join(dist, 'admin/assets', name)), 0);
const widgetBytes = gz(join(dist, 'widget.js'));

const parley = join(build, 'src/app/parley');
const data = mkdtempSync(join(tmpdir(), 'parley-web-bench-'));
const init = spawnSync(parley, ['--data', data, 'init', '--demo', '--json'], { encoding: 'utf8' });
if (init.status !== 0) throw new Error(init.stderr);
const server = spawn(parley, ['--data', data, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
const url = await new Promise((ready) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    const match = /listening on (http:\/\/\S+)/.exec(out);
    if (match) ready(match[1]);
  });
});
// A bare local page on another origin with nothing but the snippet: the widget's own time, without a page's
// rendering in the way. The demo bot is allowed on it.
const ids = JSON.parse(init.stdout);
const bare = createServer((_request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  response.end(`<!doctype html><html><head><meta charset="utf-8"><title>bare</title></head><body><p>A local page.</p><script src="${url}/widget.js" data-bot="${ids.demo_bot_id}" async></script></body></html>`);
});
await new Promise((listening) => bare.listen(0, '127.0.0.1', listening));
const bareUrl = `http://127.0.0.1:${bare.address().port}`;
const patched = await fetch(`${url}/api/v1/bots/${ids.demo_bot_id}`, {
  method: 'PATCH',
  headers: { Authorization: `Bearer ${ids.api_key}`, 'Content-Type': 'application/json' },
  body: JSON.stringify({ settings: { allowed_domains: [bareUrl] } }),
});
if (!patched.ok) throw new Error(await patched.text());
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
});

const ready = [];
const readyBare = [];
const afterScript = [];
const firstToken = [];
const scriptLoaded = [];
const readyRepeat = [];
const afterScriptRepeat = [];
const configWait = [];
try {
  for (let run = 0; run < runs; run++) {
    const bareContext = await browser.newContext();
    const barePage = await bareContext.newPage();
    await barePage.goto(bareUrl);
    await barePage.locator('parley-chat .launcher').waitFor();
    readyBare.push(await barePage.evaluate(() => performance.getEntriesByName('parley:widget-ready')[0].startTime));
    await bareContext.close();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url + '/demo');
    await page.locator('parley-chat .launcher').waitFor();
    const timing = await page.evaluate(() => {
      const mark = performance.getEntriesByName('parley:widget-ready')[0];
      const resources = performance.getEntriesByType('resource');
      const script = resources.find((entry) => entry.name.endsWith('/widget.js'));
      const config = resources.find((entry) => entry.name.endsWith('/config'));
      return { ready: mark.startTime, script: script ? script.responseEnd : 0, configStart: config.startTime, configEnd: config.responseEnd };
    });
    ready.push(timing.ready);
    scriptLoaded.push(timing.script);
    configWait.push(timing.configEnd - timing.configStart);
    afterScript.push(timing.ready - timing.script);
    // A second page of the same site: the widget starts from the configuration it cached.
    await page.reload();
    await page.locator('parley-chat .launcher').waitFor();
    const repeat = await page.evaluate(() => {
      const script = performance.getEntriesByType('resource').find((entry) => entry.name.endsWith('/widget.js'));
      return { ready: performance.getEntriesByName('parley:widget-ready')[0].startTime, script: script ? script.responseEnd : 0 };
    });
    readyRepeat.push(repeat.ready);
    afterScriptRepeat.push(repeat.ready - repeat.script);
    await page.locator('parley-chat .launcher').click();
    await page.locator('parley-chat textarea').fill('How much is shipping?');
    await page.locator('parley-chat textarea').press('Enter');
    await page.waitForFunction(() => performance.getEntriesByName('parley:first-delta-rendered').length > 0);
    firstToken.push(await page.evaluate(() =>
      performance.getEntriesByName('parley:first-delta-rendered')[0].startTime - performance.getEntriesByName('parley:first-delta-received')[0].startTime));
    await context.close();
  }
} finally {
  await browser.close();
  bare.close();
  server.kill('SIGTERM');
  await new Promise((done) => server.once('exit', done));
  rmSync(data, { recursive: true, force: true });
}

const ms = (values, p) => `${percentile(values, p).toFixed(1)} ms`;
console.log(`| admin app first load (gzip: page, script, stylesheet) | ${kb(adminBytes)} | ≤ 80 KB |`);
console.log(`| admin app, every page's scripts and stylesheets (gzip) | ${kb(allAdminBytes)} | loaded page by page |`);
console.log(`| widget.js (gzip) | ${kb(widgetBytes)} | ≤ 20 KB |`);
console.log(`| widget ready on a bare local page, first visit, from navigation start (median / p90) | ${ms(readyBare, 0.5)} / ${ms(readyBare, 0.9)} | ≤ 200 ms |`);
console.log(`| widget ready on the demo shop page, first visit, from navigation start (median / p90 of ${runs}) | ${ms(ready, 0.5)} / ${ms(ready, 0.9)} | ≤ 200 ms |`);
console.log(`| widget.js loaded, from navigation start (median / p90) | ${ms(scriptLoaded, 0.5)} / ${ms(scriptLoaded, 0.9)} | |`);
console.log(`| widget ready, from widget.js loaded (median / p90) | ${ms(afterScript, 0.5)} / ${ms(afterScript, 0.9)} | |`);
console.log(`| of which the config request (median / p90) | ${ms(configWait, 0.5)} / ${ms(configWait, 0.9)} | |`);
console.log(`| widget ready on a later page of the site, from navigation start (median / p90) | ${ms(readyRepeat, 0.5)} / ${ms(readyRepeat, 0.9)} | ≤ 200 ms |`);
console.log(`| widget ready on a later page, from widget.js loaded (median / p90) | ${ms(afterScriptRepeat, 0.5)} / ${ms(afterScriptRepeat, 0.9)} | |`);
console.log(`| first streamed text rendered after it arrived (median / p90) | ${ms(firstToken, 0.5)} / ${ms(firstToken, 0.9)} | ≤ 30 ms |`);
