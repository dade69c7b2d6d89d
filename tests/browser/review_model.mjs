// Unit checks of the review page's pure logic (viewer/web/review_model.js),
// run by node without a browser: the frame of a media time and the time to
// seek to for a frame, the annotation state at a frame (initial snapshot +
// the events whose frame <= k, in seq order, with the live viewer's
// AnnotationState), states shared between frames with the same events,
// malformed files refused with a sentence, token claims, formatting, and
// the sentences for refusals. Prints one JSON report line; exit 0 only when
// every check passed.
//
// node review_model.mjs

import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '../../viewer/web');
const M = await import(pathToFileURL(path.join(web, 'review_model.js')).href);

const failed = [];
let passed = 0;
function ok(cond, what, value) {
  if (cond) {
    passed++;
  } else {
    failed.push(`${what}${value === undefined ? '' : ` (${JSON.stringify(value)})`}`);
    process.stderr.write(`FAIL: ${what} ${value === undefined ? '' : JSON.stringify(value)}\n`);
  }
}
function throwsFormat(fn, what, re) {
  try {
    fn();
    ok(false, `${what}: refused`);
  } catch (e) {
    ok(e instanceof M.FormatError && re.test(e.message), `${what}: refused with a sentence`, e.message);
  }
}

// ---- frames and times: 30 fps with the rounding a muxer gives, and an irregular tail ----
const pts = [];
for (let i = 0; i < 90; i++) pts.push(Math.round((i * 1000) / 30 * 1000) / 1000);
pts.push(3050, 3120.5); // a late frame, then one after a gap
const mark = (id, kind, pointsArr, extra = {}) => ({ id, kind, by: 'dr-a', color: '#e6194b', points: pointsArr, time: 1, media: null, ...extra });
const ev = (seq, frame, op, fields) => ({ type: 'event', seq, time: 1000 + seq, from: 'dr-a', media: null, op, ...fields, frame, pts_ms: pts[Math.min(frame, pts.length - 1)] });
const doc = {
  format: 'telesono-annotations',
  version: 1,
  session: '20261127T075012Z-3fa9c2d1',
  room: 'ward5',
  stream: { width: 820, height: 616 },
  video: { file: 'recording.mp4', frames: pts.length, duration_ms: 3153.8, frame_pts_ms: pts },
  initial: { type: 'annotations', seq: 4, items: [mark(3, 'line', [[0.1, 0.1], [0.2, 0.2]])], bookmarks: [], frozen: null, chat: [] },
  events: [
    ev(5, 10, 'draw', { item: mark(5, 'arrow', [[0.3, 0.3], [0.5, 0.5]]) }),
    ev(6, 40, 'delete', { item: 3 }),
    ev(7, 12, 'chat', { text: '<img src=x onerror=alert(1)> look here' }), // seq after 6, frame before it
    ev(8, 50, 'draw', { item: mark(8, 'caliper', [[0.4, 0.4], [0.6, 0.4]], { mm: 20.04 }) }),
    ev(9, 60, 'freeze', { frozen: true }),
    ev(10, 61, 'bookmark', { bookmark: { id: 10, label: 'max diameter', by: 'dr-a', time: 1, media: null } }),
    ev(11, 70, 'clear', { count: 2 }),
    ev(12, 75, 'freeze', { frozen: false, reason: 'left the room' }),
    ev(13, 500, 'draw', { item: mark(13, 'text', [[0.1, 0.9]], { text: 'late' }) }), // past the end: clamped
    { type: 'event', seq: 14, op: 'draw' }, // no frame: skipped
  ],
};
const tl = new M.Timeline(doc);
ok(tl.frames === 92 && tl.events.length === 9 && tl.skipped === 1, 'timeline: 92 frames, 9 usable events, 1 skipped', [tl.frames, tl.events.length, tl.skipped]);
ok(tl.events[tl.events.length - 1].frame === 91, 'an event past the end is clamped to the last frame', tl.events[tl.events.length - 1].frame);
ok(tl.durationMs === 3153.8, 'duration from video.duration_ms', tl.durationMs);

let mapOk = true;
for (let k = 0; k < tl.frames; k++) {
  const mid = tl.seekMs(k);
  const next = k + 1 < tl.frames ? pts[k + 1] : tl.durationMs;
  if (tl.frameAtMs(pts[k]) !== k || tl.frameAtMs(pts[k] - 0.4) !== k || tl.frameAtMs(pts[k] + 0.4) !== k ||
      tl.frameAtMs(mid) !== k || !(mid > pts[k] && mid < next)) {
    mapOk = false;
    ok(false, `frame ${k}: its time, its time ±0.4 ms and its seek time map back to it`, { k, mid, at: tl.frameAtMs(pts[k]) });
    break;
  }
}
ok(mapOk, 'every frame: frameAtMs(pts), frameAtMs(pts ± 0.4 ms) and frameAtMs(seekMs) give it back; seekMs is inside its interval');
let nearOk = true;
for (let k = 0; k < tl.frames; k++) {
  const prev = k > 0 ? pts[k] - pts[k - 1] : 10;
  const next = k + 1 < tl.frames ? pts[k + 1] - pts[k] : 10;
  // A container time a little off either way (a coarse time scale) still names frame k.
  if (tl.frameNearestMs(pts[k]) !== k || tl.frameNearestMs(pts[k] - prev * 0.45) !== k || tl.frameNearestMs(pts[k] + next * 0.45) !== k) {
    nearOk = false;
    ok(false, `frame ${k}: frameNearestMs within 45% of the neighbouring intervals`, k);
    break;
  }
}
ok(nearOk, 'every frame: frameNearestMs(pts), and up to 45% of an interval either side, give it back');
ok(tl.frameNearestMs(-5) === 0 && tl.frameNearestMs(1e9) === 91 && tl.frameNearestMs(undefined) === 0, 'frameNearestMs clamps');
ok(tl.frameAtMs(pts[5] - 2) === 4, '2 ms before a frame is still the previous one', tl.frameAtMs(pts[5] - 2));
ok(tl.frameAtMs(-50) === 0 && tl.frameAtMs(1e9) === 91 && tl.frameAtMs(NaN) === 0, 'times outside the video clamp to its ends');
ok(Math.abs(tl.seekMs(90) - (3050 + 3120.5) / 2) < 1e-9 && Math.abs(tl.seekMs(91) - (3120.5 + 3153.8) / 2) < 1e-9,
  'seek time of an irregular frame and of the last one (up to duration_ms)', [tl.seekMs(90), tl.seekMs(91)]);
ok(tl.clampFrame(-3) === 0 && tl.clampFrame(200) === 91 && tl.clampFrame('7') === 7, 'clampFrame');

// ---- the state at a frame ----
const ids = (s) => s.items.map((m) => m.id);
const st = (k) => tl.stateAt(k).snapshot();
ok(JSON.stringify(ids(st(0))) === '[3]' && st(0).seq === 4, 'frame 0: the initial snapshot only', st(0));
ok(JSON.stringify(ids(st(9))) === '[3]', 'frame 9: the arrow (frame 10) is not there yet', ids(st(9)));
ok(JSON.stringify(ids(st(10))) === '[3,5]', 'frame 10: the arrow appears at its frame', ids(st(10)));
ok(st(11).chat.length === 0 && st(12).chat.length === 1 && st(12).chat[0].text.startsWith('<img'),
  'frame 12: the chat appears (seq 7 applied before seq 6, whose frame is later), its text unchanged', st(12).chat);
ok(JSON.stringify(ids(st(39))) === '[3,5]' && JSON.stringify(ids(st(40))) === '[5]', 'frame 40: the initial line is deleted', ids(st(40)));
ok(st(40).chat.length === 1, 'frame 40: the chat of seq 7 stays after seq 6 is applied');
ok(JSON.stringify(ids(st(50))) === '[5,8]' && st(50).items[1].mm === 20.04, 'frame 50: the caliper with its mm');
ok(st(59).frozen === null && st(60).frozen && st(60).frozen.by === 'dr-a', 'frame 60: frozen by dr-a', st(60).frozen);
ok(st(61).bookmarks.length === 1 && st(61).bookmarks[0].label === 'max diameter', 'frame 61: the bookmark');
ok(ids(st(69)).length === 2 && ids(st(70)).length === 0, 'frame 70: clear empties the marks', ids(st(70)));
ok(st(75).frozen === null, 'frame 75: unfrozen');
ok(JSON.stringify(ids(st(91))) === '[13]' && st(91).seq === 13, 'last frame: the clamped late text, seq 13', st(91));
ok(tl.stateAt(20) === tl.stateAt(30), 'frames with the same events share one state object');
ok(tl.stateAt(10) !== tl.stateAt(9), 'a frame with one more event has another state');
// Stepping back and forth gives the same answers as fresh computations.
const fresh = new M.Timeline(doc);
let same = true;
for (const k of [91, 0, 50, 49, 10, 9, 61, 60, 12, 11, 40, 39, 91]) {
  if (JSON.stringify(tl.stateAt(k).snapshot()) !== JSON.stringify(fresh.stateAt(k).snapshot())) same = false;
}
ok(same, 'states after random seeks equal freshly built ones (the cache changes nothing)');
ok(tl.appliedAt(9) === 0 && tl.appliedAt(10) === 1 && tl.appliedAt(12) === 2 && tl.appliedAt(91) === 9, 'appliedAt counts the events at or before a frame');

const entries = tl.entries();
ok(entries.length === 9 && entries[0].frame === 10 && entries[0].ms === pts[10] && /Arrow drawn by dr-a/.test(entries[0].text),
  'entries: one row per event with its frame, time and words', entries[0]);
ok(entries.find((e) => e.kind === 'chat').text === 'dr-a: <img src=x onerror=alert(1)> look here', 'a chat row keeps the text as is');
ok(entries.find((e) => e.kind === 'bookmark').text === 'Bookmark “max diameter” by dr-a', 'bookmark row');
ok(/Caliper 20\.04 mm/.test(entries.find((e) => e.seq === 8).text), 'caliper row has its measurement');
ok(entries.find((e) => e.seq === 12).text === 'Unfrozen: dr-a left the room', 'unfreeze by the relay row');

// An empty initial snapshot and no events.
const bare = new M.Timeline({ format: 'telesono-annotations', version: 1, video: { frame_pts_ms: [0, 100] }, initial: {}, events: [] });
ok(bare.stateAt(1).snapshot().items.length === 0 && bare.stateAt(0).seq === 0 && bare.durationMs === 200,
  'no initial seq, no events, no duration: empty state, duration = last + one frame');

// ---- malformed files ----
throwsFormat(() => new M.Timeline(null), 'null', /not a Telesono annotations file/);
throwsFormat(() => new M.Timeline({ format: 'x' }), 'wrong format', /not a Telesono annotations file/);
throwsFormat(() => new M.Timeline({ format: 'telesono-annotations', version: 2, video: { frame_pts_ms: [0] } }), 'version 2', /version 2/);
throwsFormat(() => new M.Timeline({ format: 'telesono-annotations', version: 1, video: { frame_pts_ms: [] } }), 'no frames', /no frame times/);
throwsFormat(() => new M.Timeline({ format: 'telesono-annotations', version: 1, video: { frame_pts_ms: [0, 10, 10] } }), 'repeated time', /frame 2/);
throwsFormat(() => new M.Timeline({ format: 'telesono-annotations', version: 1, video: { frame_pts_ms: [0, 'a'] } }), 'a string time', /no frame times/);

// ---- tokens, formatting, sentences ----
const b64u = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const tok = `${b64u({ alg: 'HS256', typ: 'JWT' })}.${b64u({ room: 'ward5', role: 'reviewer', sub: 'dr-rév', exp: 2e9 })}.c2ln`;
const c = M.tokenClaims(tok);
ok(c && c.room === 'ward5' && c.role === 'reviewer' && c.sub === 'dr-rév', 'tokenClaims reads the claims (UTF-8)', c);
ok(M.tokenClaims('a.b') === null && M.tokenClaims('x.!!.y') === null && M.tokenClaims(`a.${b64u('str').slice(0, -1)}x.c`) === null &&
  M.tokenClaims(42) === null, 'tokenClaims: null for what is not a JWT');
ok(M.fmtMediaTime(0) === '0:00.000' && M.fmtMediaTime(61234.4) === '1:01.234' && M.fmtMediaTime(3723004) === '1:02:03.004',
  'fmtMediaTime', [M.fmtMediaTime(61234.4), M.fmtMediaTime(3723004)]);
ok(M.fmtDuration(12400) === '12 s' && M.fmtDuration(185000) === '3 min 05 s' && M.fmtDuration(3720000) === '1 h 02 min', 'fmtDuration');
ok(M.fmtBytes(512) === '512 B' && M.fmtBytes(5 * 1024 * 1024) === '5.0 MiB', 'fmtBytes');
ok(M.SESSION_RE.test('20261127T075012Z-3fa9c2d1') && !M.SESSION_RE.test('20261127T075012Z-3FA9C2D1') &&
  !M.SESSION_RE.test('../x'), 'SESSION_RE is the relay\'s id shape');
const m403 = M.explainFailure(403, 'token is for another room', 'list the recordings of room ward5');
ok(m403.includes('token is for another room') && m403.includes('403'), 'a 403 sentence carries the relay\'s reason', m403);
ok(/still being recorded/.test(M.explainFailure(409, 'still recording', 'x')) && /deleted/.test(M.explainFailure(404, '', 'x')) &&
  /new review link/.test(M.explainFailure(401, 'invalid token: token expired', 'x')) && /Try again later/.test(M.explainFailure(503, 'busy', 'x')) &&
  /Cannot reach the relay/.test(M.explainFailure(0, 'Failed to fetch', 'x')), 'sentences for 409, 404, 401, 503, no answer');

ok(M.exportReason('{"error":"media.tsr: no decodable video: no key frame","exit":3} (exporter exit status 3)') ===
  'media.tsr: no decodable video: no key frame (exporter exit status 3)', 'exportReason unwraps the exporter\'s JSON line');
ok(M.exportReason('cannot write the output') === 'cannot write the output' && M.exportReason('{broken') === '{broken' &&
  M.exportReason('') === 'no reason given' && M.exportReason(null) === 'no reason given', 'exportReason keeps plain text');

process.stdout.write(JSON.stringify({ passed: failed.length === 0, checks: passed + failed.length, failed }) + '\n');
process.exit(failed.length ? 1 : 0);
