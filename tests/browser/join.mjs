// Browser test 1, join: a page opened on the viewer link (room and token in
// the fragment) decodes the phantom within 3 s of navigation, keeps
// decoding, shows a picture that is not blank, says "live", shows the
// stream metadata and both participants, and leaves no token in the address
// bar. Takes the screenshot kept as the artifact.
//
// node join.mjs --url https://127.0.0.1:PORT/ --room R --token JWT
//   --probe NAME --depth MM --spacing MM --subs capture-sub,viewer-sub
//   --width W --height H --screenshot FILE [--log FILE]

import { parseArgs, viewerUrl, newPage, run, stats, text, waitFor, videoSample, sleep, say } from './lib.mjs';

const FIRST_FRAME_LIMIT_MS = 3000;
// Luma on 0..255: a black, grey or not-yet-painted video has a variance
// near 0; the phantom's speckle gives thousands.
const MIN_LUMA_VARIANCE = 100;
const MIN_LUMA_MEAN = 5;

const a = parseArgs(['url', 'room', 'token', 'probe', 'depth', 'spacing', 'subs', 'width', 'height', 'screenshot']);

run(async (checks, { context }) => {
  const r = checks.report;
  const page = await newPage(context, a.log);
  // A person's browser is already running: start the renderer for the
  // relay's origin first (GET /healthz), so that the 3 s below measure the
  // viewer and the relay, not Chromium spawning a process on a busy machine.
  const warm = await page.goto(new URL('/healthz', a.url).href, { waitUntil: 'load' }).then(() => true, () => false);
  if (!warm) await page.goto('about:blank'); // (a stub server without /healthz)
  const tNav = Date.now();
  const resp = await page.goto(viewerUrl(a.url, a.room, a.token), { waitUntil: 'domcontentloaded' });
  // Where the time goes when the first frame is late: page load, the
  // WebSocket, then the page's own join-to-first-frame.
  r.timeline = { domContentLoadedMs: Date.now() - tNav };
  checks.ok(resp && resp.status() === 200, 'GET / answers 200', resp && resp.status());

  const dom = await page.evaluate(() => {
    const v = document.querySelector('video#stream');
    const has = (s) => !!document.querySelector(s);
    return {
      video: !!v,
      autoplay: !!(v && v.autoplay),
      muted: !!(v && v.muted),
      playsinline: !!(v && v.playsInline),
      state: has('#state'),
      error: has('#error'),
      errorRole: document.querySelector('#error')?.getAttribute('role') || null,
      participants: has('#participants'),
      meta: has('#meta'),
      stats: has('#stats'),
    };
  });
  r.dom = dom;
  checks.ok(dom.video && dom.autoplay && dom.muted && dom.playsinline, 'video#stream is autoplay, muted, playsinline', dom);
  checks.ok(dom.state && dom.error && dom.participants && dom.meta && dom.stats, 'the page has #state #error #participants #meta #stats');
  checks.ok(dom.errorRole === 'alert', '#error has role="alert"', dom.errorRole);

  // 1. First decoded frame within 3 s of navigation.
  const first = await waitFor(
    'first decoded frame',
    async () => {
      const s = await stats(page);
      return s && s.framesDecoded > 0 ? s : null;
    },
    Math.max(0, FIRST_FRAME_LIMIT_MS - (Date.now() - tNav)),
    25,
  ).catch(async (e) => {
    r.timeline.websocketMs = page.tsnSockets.length ? page.tsnSockets[0].at - tNav : null;
    r.timeline.stats = await stats(page);
    throw e;
  });
  r.firstFrameMs = Date.now() - tNav;
  r.timeline.websocketMs = page.tsnSockets.length ? page.tsnSockets[0].at - tNav : null;
  r.timeline.firstFrameMs = r.firstFrameMs;
  r.timeline.pageJoinToFirstFrameMs = first.value.joinToFirstFrameMs;
  say(`timeline: ${JSON.stringify(r.timeline)}`);
  checks.ok(r.firstFrameMs <= FIRST_FRAME_LIMIT_MS, `first frame decoded within ${FIRST_FRAME_LIMIT_MS} ms of navigation`, r.firstFrameMs);

  // 2. The fragment (with the token) is gone from the address bar.
  r.urlAfterJoin = page.url().replace(/token=[^&]*/, 'token=…');
  checks.ok(!page.url().includes('token='), 'the token is removed from the address bar', r.urlAfterJoin);

  // 3. It keeps decoding (the phantom runs at 30 fps; a loaded sanitizer
  // run may encode far fewer, so only a steady trickle is required).
  const fd1 = (await stats(page)).framesDecoded;
  await sleep(2000);
  const s2 = await stats(page);
  r.framesIn2s = s2.framesDecoded - fd1;
  checks.ok(r.framesIn2s >= 10, 'framesDecoded rises by >= 10 in 2 s', r.framesIn2s);

  // 4. State "live", in stats() and on screen.
  const live = await waitFor('state live', async () => {
    const s = await stats(page);
    const t = await text(page, '#state');
    return s.state === 'live' && t === 'live' ? { s: s.state, t } : null;
  }, 2000).catch((e) => ({ value: e.last }));
  checks.ok(!!live.value, 'state is "live" (stats().state and #state)', { stats: (await stats(page)).state, shown: await text(page, '#state') });

  // 5. The picture is the phantom, not a blank.
  const sample = await videoSample(page);
  r.video = sample;
  checks.ok(sample.width === Number(a.width) && sample.height === Number(a.height), `video is ${a.width}x${a.height}`, [sample.width, sample.height]);
  checks.ok(sample.mean > MIN_LUMA_MEAN && sample.variance > MIN_LUMA_VARIANCE,
    `video sample not blank (luma mean > ${MIN_LUMA_MEAN}, variance > ${MIN_LUMA_VARIANCE})`, { mean: sample.mean, variance: sample.variance });

  // 6. No error shown.
  checks.ok((await text(page, '#error')) === '', '#error is empty', await text(page, '#error'));

  // 7. Stream metadata: probe, depth, pixel spacing.
  const metaOk = (t) => t && t.includes(a.probe) && t.includes(a.depth) && t.includes(a.spacing);
  const meta = await waitFor('metadata', async () => {
    const t = await text(page, '#meta');
    return metaOk(t) ? t : null;
  }, 2000).catch((e) => ({ value: null, last: e.last }));
  r.meta = await text(page, '#meta');
  checks.ok(!!meta.value, `#meta shows probe "${a.probe}", depth ${a.depth}, spacing ${a.spacing}`, r.meta);

  // 8. Participants: the capture and this page.
  const subs = a.subs.split(',');
  const parts = await waitFor('participants', async () => {
    const t = await text(page, '#participants');
    return t && subs.every((s) => t.includes(s)) ? t : null;
  }, 3000).catch(() => ({ value: null }));
  r.participants = await text(page, '#participants');
  checks.ok(!!parts.value, `#participants lists ${subs.join(' and ')}`, r.participants);

  // 9. The stats object of the contract, with live values.
  const s = await stats(page);
  r.stats = s;
  const num = (x) => typeof x === 'number' && Number.isFinite(x);
  checks.ok(num(s.joinToFirstFrameMs) && s.joinToFirstFrameMs > 0 && s.joinToFirstFrameMs <= FIRST_FRAME_LIMIT_MS,
    'stats().joinToFirstFrameMs in (0, 3000]', s.joinToFirstFrameMs);
  checks.ok(num(s.fps) && s.fps > 0, 'stats().fps > 0', s.fps);
  checks.ok(num(s.bitrateKbps) && s.bitrateKbps > 0, 'stats().bitrateKbps > 0', s.bitrateKbps);
  checks.ok(num(s.packetsLost), 'stats().packetsLost is a number', s.packetsLost);
  checks.ok('rttMs' in s, 'stats() has rttMs', s.rttMs);
  checks.ok(num(s.reconnects) && s.reconnects === 0, 'stats().reconnects is 0', s.reconnects);
  const l = s.latencyMs || {};
  checks.ok(num(l.count) && l.count > 0 && num(l.p50) && num(l.p95) && num(l.last),
    'stats().latencyMs has last, p50, p95 and count > 0', l);
  checks.ok(num(l.p50) && l.p50 > 0 && l.p50 < 1000, 'capture-to-display p50 is plausible (0..1000 ms)', l.p50);
  checks.ok((await text(page, '#stats')) !== '', '#stats shows something', await text(page, '#stats'));

  // 10. No uncaught exception in the page.
  r.pageErrors = page.tsnErrors;
  checks.ok(page.tsnErrors.length === 0, 'no uncaught exception in the page', page.tsnErrors);

  await page.screenshot({ path: a.screenshot });
  say(`screenshot kept: ${a.screenshot}`);
});
