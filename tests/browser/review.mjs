// Browser test, recording and review (issue 6), end to end on loopback:
//
//  1. a clinician (page A, the live viewer) turns recording on with the
//     REC button; an observer's page (O) shows "REC" and has no toggle;
//     A draws an arrow with the mouse ~2 s later, and stops recording with
//     the button ~3 s after that; O's REC goes away.
//  2. a reviewer opens review.html#token=...: the token leaves the address
//     bar; the session is listed (complete); opening it asks for the export
//     and follows it; the video plays (currentTime advances, frames are
//     presented); seeking to the arrow's frame K (from annotations.json)
//     shows its colour on the overlay and holds it in state(); one frame
//     back (stepFrame(-1)) shows neither; "." and "," and the buttons move
//     exactly one frame; the event list's button goes to K; the file links
//     answer a Range request with 206; a burned-in copy is asked for and
//     appears in the downloads.
//     While it records, a reviewer can list it but not open it (409, said
//     in words).
//  3. a reviewer token of another room gets "token is for another room" in
//     #error and no list; a token the relay cannot verify gets a 401
//     sentence; a recording without video (room --empty-room, nobody
//     publishing) fails to export and the page says why.
// Measured: open -> first frame shown, the export wait, the burn-in wait,
// REC indicator latency (click -> observer shows it).
//
// node review.mjs --url U --room R --token-clin JWT --token-obs JWT
//   --token-rev JWT --token-rev-other JWT --empty-room R2
//   --token-clin-empty JWT --token-rev-empty JWT [--screenshot FILE] [--log FILE]

import { parseArgs, viewerUrl, newPage, run, stats, text, waitFor, sleep, say } from './lib.mjs';

const a = parseArgs(['url', 'room', 'token-clin', 'token-obs', 'token-rev', 'token-rev-other', 'empty-room',
  'token-clin-empty', 'token-rev-empty']);
const SESSION_RE = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;
const MIN_COLOUR_PIXELS = 30;
const RECORD_BEFORE_MS = 2000;
const RECORD_AFTER_MS = 3000;

const reviewUrl = (base, token, room) => {
  const b = base.endsWith('/') ? base : `${base}/`;
  return `${b}review.html#token=${encodeURIComponent(token)}${room ? `&room=${encodeURIComponent(room)}` : ''}`;
};

async function openViewer(context, token, name, room = a.room, want = 'live') {
  const page = await newPage(context, a.log);
  page.tsnName = name;
  await page.goto(viewerUrl(a.url, room, token), { waitUntil: 'domcontentloaded' });
  await waitFor(`${name} ${want}`, async () => {
    const s = await stats(page);
    return s && s.state === want && (want !== 'live' || s.framesDecoded > 0) ? s : null;
  }, 20000, 100);
  return page;
}

// Pixels of a canvas within a small distance of a colour.
function colourPixels(page, canvasId, color) {
  return page.evaluate(({ id, hex }) => {
    const c = document.getElementById(id);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const R = parseInt(hex.slice(1, 3), 16);
    const G = parseInt(hex.slice(3, 5), 16);
    const B = parseInt(hex.slice(5, 7), 16);
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 200 && Math.abs(d[i] - R) + Math.abs(d[i + 1] - G) + Math.abs(d[i + 2] - B) < 48) n++;
    }
    return n;
  }, { id: canvasId, hex: color });
}

async function drag(page, from, to) {
  const r = await page.evaluate(() => {
    const b = document.getElementById('marks').getBoundingClientRect();
    return { left: b.left, top: b.top, width: b.width, height: b.height };
  });
  const at = (p) => [r.left + p[0] * r.width, r.top + p[1] * r.height];
  await page.mouse.move(...at(from));
  await page.mouse.down();
  await page.mouse.move(...at(to), { steps: 8 });
  await page.mouse.up();
}

const rv = (page, expr, arg) => page.evaluate(expr, arg);
const frameOf = (page) => rv(page, () => window.telesonoReview.frame());
const info = (page) => rv(page, () => window.telesonoReview.info());

run(async (checks, { context }) => {
  const r = checks.report;

  // ---- 1. record a few seconds with an arrow in the middle ----
  const A = await openViewer(context, a['token-clin'], 'clinician');
  const O = await openViewer(context, a['token-obs'], 'observer');
  checks.ok(await A.isVisible('#btn-record'), 'the clinician has the Record button');
  checks.ok(!(await O.isVisible('#btn-record')), 'the observer has no Record button');
  checks.ok((await text(O, '#rec')) === '', 'no REC before recording', await text(O, '#rec'));
  const clickAt = Date.now();
  await A.click('#btn-record');
  const recSeen = await waitFor('REC on the observer', async () => ((await text(O, '#rec')).includes('REC') ? Date.now() : null), 5000, 10);
  r.recIndicatorMs = recSeen.value - clickAt;
  const recA = await waitFor('REC on the clinician', () => A.evaluate(() => window.telesono.recording()), 3000);
  const session = recA.value.session;
  r.session = session;
  checks.ok(SESSION_RE.test(session) && recA.value.by === 'dr-rec', 'recording on, with a session id, by the clinician', recA.value);
  checks.ok((await A.getAttribute('#btn-record', 'aria-pressed')) === 'true' && /Stop/.test(await text(A, '#btn-record')),
    'the clinician\'s button is pressed and says Stop recording', await text(A, '#btn-record'));
  // A reviewer meanwhile: listed as recording, cannot be opened yet.
  const t409 = Date.now();
  const R0 = await newPage(context, a.log);
  await R0.goto(reviewUrl(a.url, a['token-rev']), { waitUntil: 'domcontentloaded' });
  const live = (await waitFor('the list while recording', () => R0.evaluate(() => window.telesonoReview && window.telesonoReview.sessions()), 10000)).value;
  const liveRow = live.find((x) => x.id === session);
  checks.ok(liveRow && liveRow.state === 'recording', 'while recording, the session is listed as recording', liveRow || live);
  checks.ok(await R0.isDisabled(`#sessions-body tr[data-id="${session}"] button.open`), 'and its Open button is disabled');
  const early = await R0.evaluate((id) => window.telesonoReview.open(id).then(() => 'opened', (e) => e.message), session);
  r.openWhileRecording = early;
  checks.ok(/409/.test(early) && /still being recorded/.test(early) && (await text(R0, '#error')) === early,
    'opening it anyway: 409 said in words in #error', early);
  await R0.close();
  await sleep(Math.max(0, RECORD_BEFORE_MS - (Date.now() - t409)));
  await A.click('button[data-tool="arrow"]');
  const seqBefore = (await A.evaluate(() => window.telesono.annotations())).seq;
  await drag(A, [0.3, 0.3], [0.55, 0.5]);
  const arrow = (await waitFor('the arrow', async () => {
    const s = await A.evaluate(() => window.telesono.annotations());
    return s.items.find((m) => m.kind === 'arrow' && m.id > seqBefore) || null;
  }, 3000)).value;
  r.arrow = { id: arrow.id, color: arrow.color, media: arrow.media };
  await sleep(RECORD_AFTER_MS);
  await A.click('#btn-record');
  await waitFor('REC gone on the observer', async () => ((await text(O, '#rec')) === '' ? true : null), 5000);
  checks.ok(true, 'stopping recording clears REC on the observer');
  checks.ok((await text(A, '#rec-alert')) === '' && (await text(A, '#error')) === '', 'no alert on the clinician', await text(A, '#rec-alert'));
  for (const p of [A, O]) checks.ok(p.tsnErrors.length === 0, `no uncaught exception in the ${p.tsnName}'s page`, p.tsnErrors);
  await O.close();
  await A.close();

  // ---- 2. review ----
  const R = await newPage(context, a.log);
  await R.goto(reviewUrl(a.url, a['token-rev']), { waitUntil: 'domcontentloaded' });
  const list = (await waitFor('the list of recordings', () => R.evaluate(() => window.telesonoReview && window.telesonoReview.sessions()), 10000)).value;
  checks.ok(!R.url().includes('token') && !(await R.evaluate(() => window.location.href)).includes('token'), 'the token is gone from the address bar', R.url());
  const row = list.find((s) => s.id === session);
  r.listed = row || list;
  checks.ok(!!row && row.state === 'complete', 'the session is listed, complete', row || list);
  checks.ok(await R.isVisible(`#sessions-body tr[data-id="${session}"] button.open`), 'its row has an Open button');

  const t0 = Date.now();
  await R.click(`#sessions-body tr[data-id="${session}"] button.open`);
  await waitFor('the first frame of the recording', async () => {
    const i = await info(R);
    if (i.error) throw new Error(`the page shows an error: ${i.error}`);
    return i.metrics.openToFirstFrameMs ? i : null;
  }, 30000, 50);
  const opened = await info(R);
  r.openClickToFirstFrameMs = Date.now() - t0;
  r.exportWaitMs = opened.metrics.exportWaitMs;
  r.openToFirstFrameMs = opened.metrics.openToFirstFrameMs;
  r.frames = opened.frames;
  r.videoSize = opened.videoSize;
  say(`opened: ${JSON.stringify(opened)}`);
  checks.ok(opened.frame === 0 && opened.frames >= 30, 'frame 0 shown, the recording has >= 30 frames', opened);
  checks.ok(opened.videoSize[0] > 0 && opened.videoSize[1] > 0, 'the video has a picture size', opened.videoSize);

  const tl = await rv(R, () => window.telesonoReview.timeline());
  const ev = tl.events.find((e) => e.kind === 'draw' && e.seq === arrow.id);
  checks.ok(!!ev, 'annotations.json has the arrow\'s draw event', tl.events);
  const K = ev ? ev.frame : -1;
  r.arrowFrame = K;
  r.recordedMs = Math.round(tl.pts[tl.pts.length - 1]);
  checks.ok(K >= 5 && K < tl.frames - 5, 'the arrow is on a frame inside the recording (drawn ~2 s in, stopped ~3 s after)', { K, frames: tl.frames });
  r.arrowPtsMs = ev ? ev.ms : null;

  // Plays: currentTime advances and frames are presented.
  const before = await info(R);
  await R.click('#btn-play');
  await sleep(1200);
  const playing = await info(R);
  await R.click('#btn-play');
  r.played = { currentTime: [before.currentTime, playing.currentTime], presented: [before.presented, playing.presented] };
  checks.ok(playing.currentTime - before.currentTime > 0.5 && playing.presented - before.presented >= 5,
    'Play: currentTime advances and frames are presented', r.played);
  const paused = await waitFor('the Play button again', async () => ((await text(R, '#btn-play')) === 'Play' ? true : null), 3000)
    .catch(() => ({ value: false }));
  checks.ok(paused.value && (await info(R)).paused, 'Pause: paused, the button says Play again', await text(R, '#btn-play'));

  // The arrow's frame, and the one before.
  const ids = (s) => s.items.map((m) => m.id);
  const atK = await rv(R, (k) => window.telesonoReview.seekFrame(k), K);
  const stateK = await rv(R, () => window.telesonoReview.state());
  await sleep(50);
  r.pixelsAtK = await colourPixels(R, 'marks', arrow.color);
  checks.ok(atK === K && (await frameOf(R)) === K, `seekFrame(${K}) shows frame ${K}`, atK);
  checks.ok(ids(stateK).includes(arrow.id), 'state() at K holds the arrow', ids(stateK));
  checks.ok(r.pixelsAtK >= MIN_COLOUR_PIXELS, `the arrow's colour ${arrow.color} is on the overlay at K`, r.pixelsAtK);
  const back = await rv(R, () => window.telesonoReview.stepFrame(-1));
  const stateK1 = await rv(R, () => window.telesonoReview.state());
  await sleep(50);
  r.pixelsAtKminus1 = await colourPixels(R, 'marks', arrow.color);
  checks.ok(back === K - 1 && (await frameOf(R)) === K - 1, 'stepFrame(-1) shows K-1', back);
  checks.ok(!ids(stateK1).includes(arrow.id), 'state() at K-1 has no arrow', ids(stateK1));
  checks.ok(r.pixelsAtKminus1 === 0, 'no arrow colour on the overlay at K-1', r.pixelsAtKminus1);
  checks.ok((await text(R, '#marks-list')).includes('Arrow') === false, 'the marks list at K-1 has no arrow', await text(R, '#marks-list'));

  // Keys and buttons move exactly one frame.
  await R.locator('body').focus();
  const steps = [];
  for (const [how, d] of [['.', 1], [',', -1], ['.', 1], ['#btn-fwd', 1], ['#btn-back', -1]]) {
    const f0 = await frameOf(R);
    if (how.startsWith('#')) await R.click(how);
    else await R.keyboard.press(how);
    const f1 = (await waitFor(`frame after ${how}`, async () => {
      const f = await frameOf(R);
      return f !== f0 ? f : null;
    }, 3000, 20).catch(() => ({ value: f0 }))).value;
    steps.push([how, f0, f1]);
    checks.ok(f1 - f0 === d, `"${how}" moves exactly ${d > 0 ? 'one frame forward' : 'one frame back'}`, [f0, f1]);
  }
  r.steps = steps;
  checks.ok((await frameOf(R)) === K, 'after the steps the arrow\'s frame is shown again');
  checks.ok((await text(R, '#marks-list')).includes('Arrow'), 'the marks list at K names the arrow', await text(R, '#marks-list'));
  checks.ok(/Frame \d+/.test(await text(R, '#position')), 'the position readout', await text(R, '#position'));

  // The event list goes to the event's frame.
  await rv(R, () => window.telesonoReview.seekFrame(0));
  await R.click(`#events-list li[data-seq="${arrow.id}"] button`);
  const viaList = await waitFor('the event list to seek', async () => ((await frameOf(R)) === K ? K : null), 3000)
    .catch(async () => ({ value: await frameOf(R) }));
  checks.ok(viaList.value === K, 'clicking the arrow in the event list shows its frame', viaList.value);

  if (a.screenshot) {
    await sleep(100);
    await R.screenshot({ path: a.screenshot });
  }

  // Downloads: the files answer a Range request (as <video> seeking needs).
  const links = await R.evaluate(() => [...document.querySelectorAll('#downloads a')].map((x) => ({ file: x.dataset.file, href: x.getAttribute('href') })));
  checks.ok(links.some((l) => l.file === 'recording.mp4') && links.some((l) => l.file === 'annotations.json'), 'download links for the MP4 and the JSON', links);
  const mp4 = links.find((l) => l.file === 'recording.mp4');
  const range = await R.evaluate(async (href) => {
    const res = await fetch(href, { headers: { Range: 'bytes=4-11' } });
    const b = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, len: b.length, box: String.fromCharCode(...b.slice(0, 4)), contentRange: res.headers.get('content-range') };
  }, mp4 && mp4.href);
  checks.ok(range.status === 206 && range.len === 8 && range.box === 'ftyp', 'the MP4 link answers bytes=4-11 with 206 and "ftyp"', range);

  // ---- 3. refusals ----
  const X = await newPage(context, a.log);
  await X.goto(reviewUrl(a.url, a['token-rev-other'], a.room), { waitUntil: 'domcontentloaded' });
  const err = (await waitFor('the error for another room', async () => {
    const t = await text(X, '#error');
    return t ? t : null;
  }, 10000)).value;
  r.otherRoomError = err;
  checks.ok(err.includes('token is for another room'), 'a token for another room: "token is for another room" in #error', err);
  checks.ok((await X.evaluate(() => window.telesonoReview.sessions())) === null &&
    (await X.evaluate(() => document.querySelectorAll('#sessions-body tr').length)) === 0, 'and no list');
  // A new page: the same URL with another fragment would not load again.
  const Y = await newPage(context, a.log);
  await Y.goto(reviewUrl(a.url, `${a['token-rev'].slice(0, -4)}AAAA`, a.room), { waitUntil: 'domcontentloaded' });
  const err401 = (await waitFor('the error for a bad token', async () => {
    const t = await text(Y, '#error');
    return t ? t : null;
  }, 10000)).value;
  r.badTokenError = err401;
  checks.ok(/401/.test(err401) && /token/.test(err401), 'a token with a bad signature: a 401 sentence', err401);

  // A recording without video: its export fails, with the exporter's reason.
  const E = await openViewer(context, a['token-clin-empty'], 'clinician, empty room', a['empty-room'], 'waiting for the stream');
  await E.click('#btn-record');
  const emptyRec = (await waitFor('recording the empty room', () => E.evaluate(() => window.telesono.recording()), 5000)).value;
  await sleep(1000);
  await E.click('#btn-record');
  await waitFor('the empty room stopped', async () => ((await text(E, '#rec')) === '' ? true : null), 5000);
  await E.close();
  const Z = await newPage(context, a.log);
  await Z.goto(reviewUrl(a.url, a['token-rev-empty']), { waitUntil: 'domcontentloaded' });
  await waitFor('the empty room\'s list', () => Z.evaluate(() => window.telesonoReview && window.telesonoReview.sessions()), 10000);
  const failedMsg = await Z.evaluate((id) => window.telesonoReview.open(id).then(() => 'opened', (e) => e.message), emptyRec.session);
  r.exportFailed = failedMsg;
  checks.ok(/export failed: .*no decodable video/.test(failedMsg) && !failedMsg.includes('{"') && (await text(Z, '#error')) === failedMsg,
    'a recording without video: "the export failed: <reason>" in #error', failedMsg);
  checks.ok((await Z.evaluate(() => window.telesonoReview.frame())) === -1, 'and nothing plays');
  checks.ok(X.tsnErrors.length + Y.tsnErrors.length + Z.tsnErrors.length === 0, 'no uncaught exception on the refused pages',
    [...X.tsnErrors, ...Y.tsnErrors, ...Z.tsnErrors]);

  // ---- 4. a burned-in copy (last: it takes the longest) ----
  const tb = Date.now();
  await R.click('#btn-burn');
  const burned = await waitFor('annotated.mp4 in the downloads', async () => {
    const note = await text(R, '#burn-note');
    if (/failed|Could not|Not allowed/.test(note)) throw new Error(`burn-in: ${note}`);
    return R.evaluate(() => !!document.querySelector('#downloads a[data-file="annotated.mp4"]'));
  }, 45000, 200);
  r.burnInWaitMs = Date.now() - tb;
  checks.ok(!!burned.value, 'the burned-in copy appears in the downloads', await text(R, '#burn-note'));
  checks.ok((await text(R, '#error')) === '', '#error is empty on the review page', await text(R, '#error'));
  checks.ok(R.tsnErrors.length === 0, 'no uncaught exception on the review page', R.tsnErrors);
  await R.close();
});
