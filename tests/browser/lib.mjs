// Shared helpers for the browser tests and the browser benchmark: launching
// Debian's Chromium headless through playwright-core (no browser download),
// reading the web viewer's state through its page contract (window.telesono,
// #state, #error, ...), measuring the picture the page shows, and a small
// check/report frame so that every script prints one JSON report line on
// stdout and exits 0 only when every check passed.
//
// It does not start the relay or the capture: the bash drivers do (they
// source tests/integration/lib.sh) and pass URLs, tokens and file names as
// --options.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

export const CHROMIUM = process.env.TSN_CHROMIUM || '/usr/bin/chromium';

// Loopback-only WebRTC in a private network namespace (see
// /work/shared/FACTS.md): without --allow-loopback-in-peer-connection
// Chromium gathers no candidate there, and with mDNS hiding it would
// announce *.local names instead of 127.0.0.1.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  // A hidden headless page must not be throttled: the stats poller and
  // requestVideoFrameCallback would slow down and the latency would lie.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  '--autoplay-policy=no-user-gesture-required',
];

const t0 = Date.now();

// A script never hangs a test run: past TSN_BROWSER_TIMEOUT_S (default 150)
// it fails, and playwright closes the browser as the process exits.
const WATCHDOG_S = Number(process.env.TSN_BROWSER_TIMEOUT_S || 150);
setTimeout(() => {
  say(`FAIL: still running after ${WATCHDOG_S} s`);
  process.stdout.write(JSON.stringify({ passed: false, failed: [`watchdog: ${WATCHDOG_S} s`] }) + '\n');
  process.exit(1);
}, WATCHDOG_S * 1000).unref();

export function say(...parts) {
  const t = new Date();
  const hms = t.toTimeString().slice(0, 8) + '.' + String(t.getMilliseconds()).padStart(3, '0');
  process.stderr.write(`[${hms} ${path.basename(process.argv[1], '.mjs')}] ${parts.join(' ')}\n`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --name value pairs from the command line; every name in `required` must be there.
export function parseArgs(required = []) {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
      throw new Error(`bad argument list near '${argv[i]}' (expected --name value pairs)`);
    }
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const name of required) {
    if (!(name in out)) throw new Error(`missing --${name}`);
  }
  return out;
}

// The page URL of THE CONTRACT: the room and the token travel in the
// fragment, which never reaches the server.
export function viewerUrl(base, room, token) {
  const b = base.endsWith('/') || base.includes('?') ? base : base + '/';
  return `${b}#room=${encodeURIComponent(room)}&token=${encodeURIComponent(token)}`;
}

// Launches Chromium with a fresh profile (playwright makes a temporary
// user-data-dir and removes it at close). The context accepts the relay's
// self-signed certificate for HTTPS and WSS alike.
export async function launch({ width = 1280, height = 800 } = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: scripts/bootstrap.sh installs Debian's chromium`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30000,
  });
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width, height },
  });
  return { browser, context };
}

// A new page whose console output and uncaught exceptions go to logFile
// (appended) and are counted in page.tsnErrors.
export async function newPage(context, logFile) {
  const page = await context.newPage();
  page.tsnErrors = [];
  page.tsnSockets = [];
  const write = (line) => {
    if (logFile) fs.appendFileSync(logFile, `${((Date.now() - t0) / 1000).toFixed(3)} ${line}\n`);
  };
  page.on('console', (m) => write(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => {
    page.tsnErrors.push(String(e && e.message ? e.message : e));
    write(`pageerror: ${e && e.stack ? e.stack : e}`);
  });
  page.on('requestfailed', (r) => write(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  // Every WebSocket the page opens, to tell a retry loop from one attempt.
  page.on('websocket', (ws) => {
    page.tsnSockets.push({ url: ws.url(), at: Date.now() });
    write(`websocket opened: ${ws.url()}`);
    ws.on('close', () => write(`websocket closed: ${ws.url()}`));
  });
  return page;
}

// window.telesono.stats(), or null while the app has not set it up.
export async function stats(page) {
  return page.evaluate(() =>
    window.telesono && typeof window.telesono.stats === 'function' ? window.telesono.stats() : null,
  );
}

// The visible text of a selector ('' when absent), whitespace collapsed.
export async function text(page, selector) {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    return el ? (el.textContent || '').replace(/\s+/g, ' ').trim() : null;
  }, selector);
}

// Polls fn() every intervalMs until it returns a truthy value; returns
// {value, ms} or throws after timeoutMs with the last value seen.
export async function waitFor(what, fn, timeoutMs, intervalMs = 50) {
  const start = Date.now();
  let last;
  for (;;) {
    last = await fn();
    if (last) return { value: last, ms: Date.now() - start };
    if (Date.now() - start >= timeoutMs) {
      const err = new Error(`${what}: not within ${timeoutMs} ms`);
      err.last = last;
      throw err;
    }
    await sleep(intervalMs);
  }
}

// Draws the current picture of video#stream into a canvas in the page and
// measures it: Rec. 601 luma mean and variance on a 0..255 scale, and the
// intrinsic size. An empty video element (no frame yet) draws as
// transparent black: mean 0, variance 0.
export async function videoSample(page) {
  return page.evaluate(() => {
    const v = document.querySelector('video#stream');
    if (!v) return { error: 'no video#stream element' };
    const w = v.videoWidth;
    const h = v.videoHeight;
    if (!w || !h) return { width: w, height: h, mean: 0, variance: 0, readyState: v.readyState };
    const c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    const g = c.getContext('2d', { willReadFrequently: true });
    g.drawImage(v, 0, 0, w, h);
    const d = g.getImageData(0, 0, w, h).data;
    let sum = 0;
    let sum2 = 0;
    const n = w * h;
    for (let i = 0; i < d.length; i += 4) {
      const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      sum += y;
      sum2 += y * y;
    }
    const mean = sum / n;
    return {
      width: w,
      height: h,
      mean: Math.round(mean * 100) / 100,
      variance: Math.round((sum2 / n - mean * mean) * 100) / 100,
      readyState: v.readyState,
      paused: v.paused,
    };
  });
}

// Collects named checks; the report printed at the end lists them all.
export class Checks {
  constructor() {
    this.failed = [];
    this.report = {};
  }

  ok(cond, what, value) {
    const shown = value === undefined ? '' : ` (${JSON.stringify(value)})`;
    if (cond) {
      say(`ok: ${what}${shown}`);
    } else {
      say(`FAIL: ${what}${shown}`);
      this.failed.push(what + shown);
    }
    return cond;
  }
}

// Runs body(checks, ctx) with a launched browser, always closes it, prints
// the JSON report (checks.report plus the failures) on stdout and exits 0
// only if nothing failed and nothing threw.
export async function run(body, launchOptions) {
  const checks = new Checks();
  let ctx = null;
  let code = 0;
  try {
    ctx = await launch(launchOptions);
    await body(checks, ctx);
  } catch (e) {
    checks.failed.push(`exception: ${e.message}${e.last !== undefined ? ` (last: ${JSON.stringify(e.last)})` : ''}`);
    say(`FAIL: ${e.stack || e}`);
    if (e.last !== undefined) say(`last value: ${JSON.stringify(e.last)}`);
  } finally {
    if (ctx) await ctx.browser.close().catch(() => {});
  }
  if (checks.failed.length) code = 1;
  process.stdout.write(JSON.stringify({ ...checks.report, passed: code === 0, failed: checks.failed }) + '\n');
  process.exit(code);
}
