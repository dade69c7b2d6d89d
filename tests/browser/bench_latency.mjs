// Browser benchmark (run by tests/bench/run_browser_latency.sh): opens the
// web viewer on a link, waits for the first decoded frame, lets it settle
// for --warmup seconds, then measures for --duration seconds and prints one
// JSON line:
//   - joinToFirstFrameMs: the page's own figure (stats(), join to first
//     frame shown), and firstFrameFromNavigationMs (this script's clock,
//     from the start of navigation, page load included);
//   - latencyMs: the page's capture-to-display p50/p95 over the window: its
//     stats().latencyMs.last read at every frame shown (pageRingLatencyMs:
//     its own summary at the end, which may include frames from before);
//   - harnessLatencyMs: the same quantity measured independently here, for
//     every frame shown during the window: requestVideoFrameCallback's
//     expectedDisplayTime minus the frame's abs-capture-time
//     (RTCRtpSynchronizationSource.captureTimestamp, NTP milliseconds),
//     matched by RTP timestamp, on the wall clock the capture stamped with.
//   - the page's frame rate, bitrate, loss, freezes and jitter buffer.
//
// node bench_latency.mjs --url https://127.0.0.1:PORT/ --room R --token JWT
//   [--warmup S (5)] [--duration S (20)] [--log FILE]
//   [--samples FILE (every per-frame value, JSON: {harness: [...], page: [...]})]

import fs from 'node:fs';
import os from 'node:os';
import { parseArgs, viewerUrl, newPage, run, stats, waitFor, sleep, say } from './lib.mjs';

const a = parseArgs(['url', 'room', 'token']);
const warmupS = Number(a.warmup || 5);
const durationS = Number(a.duration || 20);

// Keeps every RTCPeerConnection the page makes, so that the harness can read
// the receiver's synchronization sources without the app's help.
function recordPeerConnections() {
  const Orig = window.RTCPeerConnection;
  window.__tsnPcs = [];
  window.RTCPeerConnection = class extends Orig {
    constructor(...args) {
      super(...args);
      window.__tsnPcs.push(this);
    }
  };
}

// In the page: from now on, one latency sample per frame shown.
function startMeasuring() {
  const NTP_UNIX_OFFSET_MS = 2208988800000;
  const v = document.querySelector('video#stream');
  const byRtp = new Map();
  const out = { samples: [], appSamples: [], frames: 0, unmatched: 0, stop: false };
  let appCount = window.telesono.stats().latencyMs.count;
  window.__tsnBench = out;
  // getSynchronizationSources() tells only the last frame handed to the
  // track: when two frames arrive between two display callbacks, the first
  // one's capture time is overwritten. Reading it every few milliseconds
  // as well (and at each callback) keeps that from hiding late frames.
  const poll = () => {
    const pc = window.__tsnPcs[window.__tsnPcs.length - 1];
    const rec = pc && pc.getReceivers().find((r) => r.track && r.track.kind === 'video');
    if (!rec) return;
    for (const s of rec.getSynchronizationSources()) {
      if (s.captureTimestamp > 0) byRtp.set(s.rtpTimestamp, s.captureTimestamp);
    }
    while (byRtp.size > 256) byRtp.delete(byRtp.keys().next().value);
  };
  const timer = setInterval(poll, 2);
  const onFrame = (now, md) => {
    if (out.stop) {
      clearInterval(timer);
      return;
    }
    const wall = Date.now();
    const perf = performance.now();
    out.frames++;
    poll();
    const cap = byRtp.get(md.rtpTimestamp);
    if (cap === undefined) out.unmatched++;
    else out.samples.push(wall + (md.expectedDisplayTime - perf) - (cap - NTP_UNIX_OFFSET_MS));
    // The page's own value for this frame: its callback on the same video
    // runs before this one (registered first), so a new sample is this frame's.
    const l = window.telesono.stats().latencyMs;
    if (l.count > appCount) out.appSamples.push(l.last);
    appCount = l.count;
    v.requestVideoFrameCallback(onFrame);
  };
  v.requestVideoFrameCallback(onFrame);
}

function summary(values) {
  if (!values.length) return { count: 0 };
  const s = [...values].sort((x, y) => x - y);
  const pct = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  const r1 = (x) => Math.round(x * 10) / 10;
  return { p50: r1(pct(50)), p95: r1(pct(95)), p99: r1(pct(99)), max: r1(s[s.length - 1]), min: r1(s[0]), count: s.length };
}

run(async (checks, { context }) => {
  const r = checks.report;
  r.bench = 'browser_latency';
  const page = await newPage(context, a.log);
  await page.addInitScript(recordPeerConnections);
  const tNav = Date.now();
  await page.goto(viewerUrl(a.url, a.room, a.token), { waitUntil: 'domcontentloaded' });
  await waitFor('first frame', async () => {
    const s = await stats(page);
    return s && s.framesDecoded > 0 ? s : null;
  }, 15000, 10);
  r.firstFrameFromNavigationMs = Date.now() - tNav;
  // The page sets it when the first frame is shown, a little after decoding.
  r.joinToFirstFrameMs = (await waitFor('joinToFirstFrameMs', async () => {
    const s = await stats(page);
    return s.joinToFirstFrameMs !== null && s.joinToFirstFrameMs !== undefined ? s.joinToFirstFrameMs : null;
  }, 5000, 10)).value;
  say(`first frame after ${r.firstFrameFromNavigationMs} ms (page: join to first frame ${r.joinToFirstFrameMs} ms); warming up ${warmupS} s`);
  await sleep(warmupS * 1000);

  const s0 = await stats(page);
  await page.evaluate(startMeasuring);
  const t0 = Date.now();
  await sleep(durationS * 1000);
  const bench = await page.evaluate(() => {
    window.__tsnBench.stop = true;
    return window.__tsnBench;
  });
  const s1 = await stats(page);
  const windowS = (Date.now() - t0) / 1000;

  if (a.samples) {
    fs.writeFileSync(a.samples, JSON.stringify({ harness: bench.samples, page: bench.appSamples }) + '\n');
  }
  r.durationS = Math.round(windowS * 10) / 10;
  r.loadAverage = os.loadavg().map((x) => Math.round(x * 100) / 100);
  // The page's figures over exactly the window (its ring may still hold
  // frames from before it), its own summary at the end, and the harness's.
  r.latencyMs = { ...summary(bench.appSamples), framesWithout: bench.frames - bench.appSamples.length };
  r.pageRingLatencyMs = s1.latencyMs;
  r.latencySource = s1.latencySource;
  r.captureToReceiveMs = s1.captureToReceiveMs;
  r.harnessLatencyMs = { ...summary(bench.samples), framesShown: bench.frames, unmatched: bench.unmatched };
  r.framesDecoded = s1.framesDecoded - s0.framesDecoded;
  r.fps = Math.round((r.framesDecoded / windowS) * 10) / 10;
  r.bitrateKbps = s1.bitrateKbps;
  r.packetsLost = s1.packetsLost - s0.packetsLost;
  r.freezes = (s1.freezeCount || 0) - (s0.freezeCount || 0);
  r.jitterBufferMs = s1.jitterBufferMs;
  r.rttMs = s1.rttMs;
  r.codec = s1.codec;
  r.size = s1.width && s1.height ? `${s1.width}x${s1.height}` : null;
  r.reconnects = s1.reconnects;
  r.p95TargetMet = typeof r.latencyMs.p95 === 'number' ? r.latencyMs.p95 < 80 : null;
  // A benchmark that measured nothing fails (no silent empty numbers).
  checks.ok(r.harnessLatencyMs.count > 0 && r.latencyMs.count > 0, 'latency samples were taken',
    { harness: r.harnessLatencyMs.count, page: r.latencyMs.count });
  checks.ok(s1.state === 'live', 'the page stayed live', s1.state);
});
