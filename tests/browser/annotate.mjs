// Browser test 4, annotations (issue 5): two clinicians and an observer on
// the phantom, then a late joiner. Everything is done through the page as a
// person would (real mouse events on the canvas, buttons, the chat box, the
// in-page question box), and read back through window.telesono
// .annotations(), the DOM and the canvas pixels.
//
//  1. arrow latency: A drags an arrow; from A's pointerup (A's clock:
//     performance.timeOrigin + performance.now()) to B holding it (B polls
//     annotations() every animation frame, same clock) < 200 ms, --runs
//     times; B's points equal A's within 0.002; the arrow's colour is on
//     B's canvas.
//  2. the observer sees the arrows (state and pixels), has no tools, says
//     why, cannot chat; a draw it sends anyway (test hook) is refused 403,
//     shown in #annot-status (not #error), and nothing changes anywhere.
//     A burst of 45 draws from A meets the rate limit: 429 in A's status
//     line; then Clear, confirmed in the page, empties everyone's marks.
//  3. caliper: the phantom's two point targets are found in the video's
//     pixels; A drags a caliper between them; the relay's mm is 20 within
//     one pixel's worth of mm (the stream's pixel spacing).
//  4. ellipse, freehand, text, line + Ctrl+Z, delete, chat both ways,
//     B's pointer on A's canvas (and gone on leave), bookmark, freeze banner.
//  5. a late joiner's state equals A's and B's; the overlay is aligned with
//     the picture at DPR 2, at tablet size and at 1024x768 (screenshots).
//
// node annotate.mjs --url U --room R --token-a JWT --token-b JWT
//   --token-obs JWT --token-late JWT --sub-a S --sub-b S --runs N
//   --screenshot FILE --tablet-screenshot FILE [--log FILE]

import { parseArgs, viewerUrl, newPage, run, stats, text, waitFor, sleep, say } from './lib.mjs';

const LATENCY_LIMIT_MS = 200;
const POINT_TOLERANCE = 0.002;
const TARGET_SEPARATION_MM = 20; // capture/phantom.h TSN_PHANTOM_TARGET_SEPARATION_MM
const MIN_COLOUR_PIXELS = 30;

const a = parseArgs(['url', 'room', 'token-a', 'token-b', 'token-obs', 'token-late', 'sub-a', 'sub-b', 'screenshot']);
const RUNS = Math.max(1, Number(a.runs || 5));

// ---- page helpers ----

async function openViewer(context, token, name) {
  const page = await newPage(context, a.log);
  page.tsnName = name;
  // The annotation messages the page sends (to check frame_ms).
  page.tsnSent = [];
  page.on('websocket', (ws) => ws.on('framesent', (f) => {
    if (typeof f.payload === 'string' && /"type":"(draw|bookmark|freeze)"/.test(f.payload)) page.tsnSent.push(JSON.parse(f.payload));
  }));
  await page.goto(viewerUrl(a.url, a.room, token), { waitUntil: 'domcontentloaded' });
  await waitFor(`${name} live with the overlay placed`, async () => {
    const s = await stats(page);
    const ok = await page.evaluate(() => {
      const c = document.getElementById('marks');
      const r = c.getBoundingClientRect();
      return !c.hidden && r.width > 50 && r.height > 50 && typeof window.telesono.annotations === 'function';
    });
    return s && s.state === 'live' && s.framesDecoded > 0 && ok ? s : null;
  }, 15000, 100);
  return page;
}

const annots = (page) => page.evaluate(() => window.telesono.annotations());
const rectOf = (page) => page.evaluate(() => {
  const r = document.getElementById('marks').getBoundingClientRect();
  return { left: r.left, top: r.top, width: r.width, height: r.height };
});
const toClient = (r, p) => [r.left + p[0] * r.width, r.top + p[1] * r.height];

// A press-move-release with the real mouse, in normalised picture points.
async function drag(page, from, to, steps = 8) {
  const r = await rectOf(page);
  const [x0, y0] = toClient(r, from);
  const [x1, y1] = toClient(r, to);
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  await page.mouse.move(x1, y1, { steps });
  await page.mouse.up();
}

async function clickAt(page, p) {
  const [x, y] = toClient(await rectOf(page), p);
  await page.mouse.click(x, y);
}

// Pixels of the marks canvas within a small distance of a colour.
function colourPixels(page, color) {
  return page.evaluate((hex) => {
    const c = document.getElementById('marks');
    const g = c.getContext('2d');
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const R = parseInt(hex.slice(1, 3), 16);
    const G = parseInt(hex.slice(3, 5), 16);
    const B = parseInt(hex.slice(5, 7), 16);
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 200 && Math.abs(d[i] - R) + Math.abs(d[i + 1] - G) + Math.abs(d[i + 2] - B) < 48) n++;
    }
    return n;
  }, color);
}

// The canvas against the picture's content rectangle computed here from
// the video element (object-fit: contain) and its intrinsic size.
function alignment(page) {
  return page.evaluate(() => {
    const v = document.getElementById('stream');
    const c = document.getElementById('marks');
    const vr = v.getBoundingClientRect();
    const s = Math.min(vr.width / v.videoWidth, vr.height / v.videoHeight);
    const w = v.videoWidth * s;
    const h = v.videoHeight * s;
    const want = { left: vr.left + (vr.width - w) / 2, top: vr.top + (vr.height - h) / 2, width: w, height: h };
    const r = c.getBoundingClientRect();
    const dpr = window.devicePixelRatio;
    const err = Math.max(Math.abs(r.left - want.left), Math.abs(r.top - want.top),
      Math.abs(r.width - want.width), Math.abs(r.height - want.height));
    return {
      errPx: Math.round(err * 1000) / 1000,
      dpr,
      backing: [c.width, c.height],
      wantBacking: [Math.round(r.width * dpr), Math.round(r.height * dpr)],
      rect: [r.left, r.top, r.width, r.height].map((x) => Math.round(x * 10) / 10),
    };
  });
}

// Waits up to 3 s for the overlay to follow a resize (the page redraws at
// its next rendering step, which a loaded machine may delay), then checks.
async function checkAligned(checks, page, where) {
  const good = (al) => al.errPx <= 1 && al.backing[0] === al.wantBacking[0] && al.backing[1] === al.wantBacking[1];
  const t0 = Date.now();
  const got = await waitFor(`overlay aligned ${where}`, async () => {
    const al = await alignment(page);
    return good(al) ? al : null;
  }, 3000, 50).catch(async () => ({ value: null }));
  const al = got.value || (await alignment(page));
  al.afterMs = Date.now() - t0;
  checks.ok(good(al), `overlay on the picture ${where} (<= 1 px, backing store = CSS size x DPR ${al.dpr})`, al);
  return al;
}

// The two point targets of the phantom, from the pixels of the frame shown:
// a bright spot in a dark halo. Score = mean of a 5x5 box minus the mean of
// the ring between 13x13 and 25x25 boxes (integral image); the two best
// spots far apart, then each refined to the intensity centroid above half
// its peak (the spot is a symmetric Gaussian).
function findTargets(page) {
  return page.evaluate(() => {
    const v = document.getElementById('stream');
    const W = v.videoWidth;
    const H = v.videoHeight;
    const cv = document.createElement('canvas');
    cv.width = W;
    cv.height = H;
    const g = cv.getContext('2d', { willReadFrequently: true });
    g.drawImage(v, 0, 0, W, H);
    const d = g.getImageData(0, 0, W, H).data;
    const L = new Float64Array(W * H);
    for (let i = 0; i < W * H; i++) L[i] = 0.299 * d[4 * i] + 0.587 * d[4 * i + 1] + 0.114 * d[4 * i + 2];
    const S = W + 1;
    const I = new Float64Array(S * (H + 1));
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) I[(y + 1) * S + x + 1] = L[y * W + x] + I[y * S + x + 1] + I[(y + 1) * S + x] - I[y * S + x];
    }
    const box = (cx, cy, r) => I[(cy + r + 1) * S + cx + r + 1] - I[(cy - r) * S + cx + r + 1] -
      I[(cy + r + 1) * S + cx - r] + I[(cy - r) * S + cx - r];
    const score = (x, y) => {
      const inner = box(x, y, 2) / 25;
      const ring = (box(x, y, 12) - box(x, y, 6)) / (625 - 169);
      return inner - ring;
    };
    const found = [];
    for (let k = 0; k < 2; k++) {
      let best = -Infinity;
      let bx = 0;
      let by = 0;
      for (let y = 14; y < H - 14; y++) {
        for (let x = 14; x < W - 14; x++) {
          if (found.some((f) => Math.hypot(f.ix - x, f.iy - y) < 40)) continue;
          const sc = score(x, y);
          if (sc > best) {
            best = sc;
            bx = x;
            by = y;
          }
        }
      }
      let peak = 0;
      for (let y = by - 7; y <= by + 7; y++) for (let x = bx - 7; x <= bx + 7; x++) peak = Math.max(peak, L[y * W + x]);
      let sw = 0;
      let sx = 0;
      let sy = 0;
      for (let y = by - 9; y <= by + 9; y++) {
        for (let x = bx - 9; x <= bx + 9; x++) {
          if (Math.hypot(x - bx, y - by) > 9) continue;
          const w = L[y * W + x] - peak / 2;
          if (w <= 0) continue;
          sw += w;
          sx += w * x;
          sy += w * y;
        }
      }
      found.push({ ix: bx, iy: by, x: sx / sw, y: sy / sw, score: Math.round(best * 10) / 10, peak: Math.round(peak) });
    }
    found.sort((p, q) => p.y - q.y);
    return { width: W, height: H, targets: found };
  });
}

// Keys sorted at every level: states compared as values, not as text.
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

const maxPointError = (p, q) => Math.max(...p.map((pt, i) => Math.max(Math.abs(pt[0] - q[i][0]), Math.abs(pt[1] - q[i][1]))));

async function waitState(page, what, pred, timeoutMs = 3000) {
  return (await waitFor(what, async () => {
    const s = await annots(page);
    return pred(s) ? s : null;
  }, timeoutMs, 25)).value;
}

run(async (checks, { context }) => {
  const r = checks.report;
  // Only A and B while the latency is measured: each page decodes the
  // video, and the machine may be shared.
  const A = await openViewer(context, a['token-a'], 'A');
  const B = await openViewer(context, a['token-b'], 'B');
  const pages = [A, B];
  say('A and B are live');

  // ---- 1. arrow latency, A -> B ----
  await A.click('button[data-tool="arrow"]');
  r.arrowLatencyMs = [];
  r.arrowPointError = 0;
  let arrowColor = null;
  const arrows = [];
  for (let i = 0; i < RUNS; i++) {
    const tail = [0.14 + 0.12 * i, 0.22];
    const head = [0.22 + 0.12 * i, 0.36];
    const base = (await annots(A)).seq;
    await B.evaluate(({ sub, seq }) => {
      window.__seen = null;
      const tick = () => {
        const m = window.telesono.annotations().items.find((x) => x.kind === 'arrow' && x.by === sub && x.id > seq);
        if (m) {
          window.__seen = { at: performance.timeOrigin + performance.now(), item: m };
          return;
        }
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }, { sub: a['sub-a'], seq: base });
    await A.evaluate(() => {
      window.__upAt = null;
      window.addEventListener('pointerup', () => { window.__upAt = performance.timeOrigin + performance.now(); },
        { capture: true, once: true });
    });
    await drag(A, tail, head);
    const seen = (await waitFor('the arrow on page B', () => B.evaluate(() => window.__seen), 3000, 10)).value;
    const upAt = await A.evaluate(() => window.__upAt);
    const ms = Math.round((seen.at - upAt) * 10) / 10;
    r.arrowLatencyMs.push(ms);
    // Where the time goes: upAt and seen.at are each page's performance
    // clock on the wall clock (timeOrigin); item.time is the relay's clock
    // when it accepted the draw (the same machine's).
    r.arrowLatencyToRelayMs = r.arrowLatencyToRelayMs || [];
    r.arrowLatencyToRelayMs.push(Math.round((seen.item.time - upAt) * 10) / 10);
    const mine = await waitState(A, 'the arrow in A', (s) => s.items.some((m) => m.id === seen.item.id));
    const itemA = mine.items.find((m) => m.id === seen.item.id);
    const err = Math.max(maxPointError(seen.item.points, [tail, head]), maxPointError(seen.item.points, itemA.points));
    r.arrowPointError = Math.max(r.arrowPointError, Math.round(err * 1e5) / 1e5);
    checks.ok(ms >= 0 && ms < LATENCY_LIMIT_MS, `run ${i + 1}: arrow from A's pointerup to B's state < ${LATENCY_LIMIT_MS} ms`, ms);
    checks.ok(err <= POINT_TOLERANCE, `run ${i + 1}: B's arrow points equal A's within ${POINT_TOLERANCE}`,
      { b: seen.item.points, a: itemA.points, dragged: [tail, head] });
    // The draw carried the capture time of the frame A showed, and the
    // relay made it the mark's media time. Within 1 ms: Chromium rounds the
    // frame's NTP capture time to whole ms, the relay truncates it, and a
    // frame_ms 1 ms above the newest frame's is replaced by that frame's.
    const sent = A.tsnSent.filter((m) => m.type === 'draw').pop();
    checks.ok(sent && Number.isInteger(sent.frame_ms) && itemA.media && Math.abs(itemA.media.capture_ms - sent.frame_ms) <= 1 &&
      sent.frame_ms <= upAt && upAt - sent.frame_ms < 2000,
    `run ${i + 1}: the draw carried frame_ms (the shown frame's capture time); the mark's media.capture_ms is it (±1 ms)`,
    { frameMs: sent && sent.frame_ms, media: itemA.media, msBeforePointerup: sent && Math.round(upAt - sent.frame_ms) });
    arrowColor = seen.item.color;
    arrows.push(seen.item);
  }
  const sorted = [...r.arrowLatencyMs].sort((x, y) => x - y);
  r.arrowLatencySummary = { min: sorted[0], median: sorted[Math.floor((sorted.length - 1) / 2)], max: sorted[sorted.length - 1], runs: RUNS };
  say(`arrow latency A -> B: ${JSON.stringify(r.arrowLatencyMs)} ms`);
  await sleep(100); // B's next paint
  r.arrowPixelsOnB = await colourPixels(B, arrowColor);
  checks.ok(r.arrowPixelsOnB >= MIN_COLOUR_PIXELS, `B's canvas has >= ${MIN_COLOUR_PIXELS} pixels of the arrow colour ${arrowColor}`, r.arrowPixelsOnB);
  r.arrowColor = arrowColor;

  // ---- 2. the observer ----
  const O = await openViewer(context, a['token-obs'], 'observer');
  pages.push(O);
  // The participants list shows everyone with a colour swatch.
  const swatches = await O.evaluate(() => [...document.querySelectorAll('#participants li')].map((li) => ({
    text: li.textContent, color: li.querySelector('.swatch') ? getComputedStyle(li.querySelector('.swatch')).backgroundColor : null,
  })));
  checks.ok(swatches.length >= 4 && swatches.every((x) => x.color && x.color !== 'rgba(0, 0, 0, 0)'),
    '#participants lists 4 people, each with a colour swatch', swatches);
  const seqNow = (await annots(A)).seq;
  const obsState = await waitState(O, 'the arrows in the observer', (s) => s.seq === seqNow);
  checks.ok(arrows.every((m) => obsState.items.some((x) => x.id === m.id && canonical(x) === canonical(m))),
    'the observer holds the same arrows', obsState.items.length);
  r.arrowPixelsOnObserver = await colourPixels(O, arrowColor);
  checks.ok(r.arrowPixelsOnObserver >= MIN_COLOUR_PIXELS, 'the observer\'s canvas shows the arrows', r.arrowPixelsOnObserver);
  const obsUi = await O.evaluate(() => ({
    toolsHidden: document.getElementById('tools').hidden,
    visibleToolButtons: [...document.querySelectorAll('#tools button')].filter((b) => b.getClientRects().length > 0).length,
    canvasTakesPointer: getComputedStyle(document.getElementById('marks')).pointerEvents !== 'none',
    note: document.getElementById('annot-note').textContent,
    chatDisabled: document.getElementById('chat-input').disabled,
    chatNote: document.getElementById('chat-note').textContent,
  }));
  r.observerUi = obsUi;
  checks.ok(obsUi.toolsHidden && obsUi.visibleToolButtons === 0 && !obsUi.canvasTakesPointer,
    'the observer has no tools and its canvas takes no pointer', obsUi);
  checks.ok(/observer/.test(obsUi.note) && /clinician/.test(obsUi.note), 'the observer is told why (annot-note)', obsUi.note);
  checks.ok(obsUi.chatDisabled && obsUi.chatNote !== '', 'the observer cannot write in the chat and is told why', obsUi.chatNote);
  const before = canonical(await annots(O));
  const refused = await O.evaluate(() => window.telesono.sendAnnotation(
    { type: 'draw', item: { kind: 'arrow', points: [[0.1, 0.1], [0.3, 0.3]] } }));
  r.observerDraw = refused;
  checks.ok(!refused.ok && refused.code === 403, 'the observer\'s draw is refused with 403', refused);
  const status = await text(O, '#annot-status');
  checks.ok(status.includes(refused.reason || '\u0000') && status.includes('403'), '#annot-status shows the refusal', status);
  checks.ok((await text(O, '#error')) === '', '#error stays empty on the observer', await text(O, '#error'));
  const chatRefused = await O.evaluate(() => window.telesono.sendAnnotation({ type: 'chat', text: 'hello' }));
  checks.ok(!chatRefused.ok && chatRefused.code === 403, 'the observer\'s chat is refused with 403', chatRefused);
  await sleep(300);
  checks.ok(canonical(await annots(O)) === before, 'the observer\'s state is unchanged');
  checks.ok((await annots(A)).seq === seqNow && (await annots(B)).seq === seqNow, 'A and B got no event from it', seqNow);
  checks.ok((await stats(O)).state === 'live', 'the observer is still live (the socket stays open)');

  // ---- 2b. a burst past the rate limit, then Clear (confirmed in the page) ----
  // 80 at once: the bucket holds 40 and refills 20 a second, so unless the
  // relay needs 2 s to take them all, some are refused.
  const BURST = 80;
  const burst = await A.evaluate((n) => Promise.all(Array.from({ length: n }, (_, k) =>
    window.telesono.sendAnnotation({ type: 'draw', item: { kind: 'line', points: [[0.04, 0.1 + k * 0.01], [0.08, 0.1 + k * 0.01]] } }))), BURST);
  r.burst = { sent: BURST, accepted: burst.filter((x) => x.ok).length, refused429: burst.filter((x) => !x.ok && x.code === 429).length };
  checks.ok(r.burst.refused429 > 0 && r.burst.accepted + r.burst.refused429 === BURST,
    `a burst of ${BURST} draws: the relay refuses some with 429, accepts the rest`, r.burst);
  const st429 = await text(A, '#annot-status');
  checks.ok(/429/.test(st429) && /too many/.test(st429), 'the 429 reason is in A\'s status line', st429);
  checks.ok((await text(A, '#error')) === '', '#error stays empty after the refusals', await text(A, '#error'));
  await sleep(2100); // the rate limiter refills before the next marks
  await waitState(B, 'the burst on B', (st) => st.items.filter((m) => m.kind === 'line').length === r.burst.accepted);
  await A.click('button[data-action="clear"]');
  await A.waitForSelector('#ask[open] #ask-ok', { timeout: 2000 });
  checks.ok(/every mark/i.test(await text(A, '#ask')), 'Clear asks first, in the page', await text(A, '#ask'));
  await A.click('#ask-ok');
  await waitState(B, 'the clear on B', (st) => st.items.length === 0);
  checks.ok(true, 'Clear (confirmed) empties B\'s marks');
  await A.click('button[data-tool="arrow"]');
  const keep = [];
  for (const [tail, head] of [[[0.2, 0.2], [0.3, 0.32]], [[0.62, 0.2], [0.54, 0.32]]]) {
    const before2 = (await annots(A)).seq;
    await drag(A, tail, head);
    const st2 = await waitState(B, 'an arrow on B', (st) => st.items.some((m) => m.kind === 'arrow' && m.id > before2));
    keep.push(st2.items.find((m) => m.kind === 'arrow' && m.id > before2));
  }

  // ---- 3. caliper on the phantom's targets ----
  const spacing = await A.evaluate(() => window.telesono.stream()?.pixel_spacing_mm || null);
  const tg = await findTargets(A);
  const [t1, t2] = tg.targets;
  const sx = spacing ? spacing.x : NaN;
  const sy = spacing ? spacing.y : NaN;
  const pixelMm = Math.max(sx, sy);
  const n1 = [(t1.x + 0.5) / tg.width, (t1.y + 0.5) / tg.height];
  const n2 = [(t2.x + 0.5) / tg.width, (t2.y + 0.5) / tg.height];
  const foundMm = Math.hypot((t2.x - t1.x) * sx, (t2.y - t1.y) * sy);
  say(`targets in the picture: ${JSON.stringify(tg)}; spacing ${JSON.stringify(spacing)}; ${foundMm.toFixed(3)} mm apart`);
  checks.ok(spacing && sx > 0 && sy > 0, 'the stream has pixel_spacing_mm', spacing);
  checks.ok(Math.abs(foundMm - TARGET_SEPARATION_MM) <= pixelMm / 2, 'the targets found in the pixels are 20 mm apart (half a pixel)', foundMm);
  await A.click('button[data-tool="caliper"]');
  const cBase = (await annots(A)).seq;
  await drag(A, n1, n2, 12);
  const cState = await waitState(A, 'the caliper', (s) => s.items.some((m) => m.kind === 'caliper' && m.id > cBase));
  const cal = cState.items.find((m) => m.kind === 'caliper' && m.id > cBase);
  const calErr = maxPointError(cal.points, [n1, n2]);
  r.caliper = {
    mm: cal.mm,
    trueMm: TARGET_SEPARATION_MM,
    errorMm: typeof cal.mm === 'number' ? Math.round((cal.mm - TARGET_SEPARATION_MM) * 1000) / 1000 : null,
    pixelMm: Math.round(pixelMm * 1e5) / 1e5,
    targetsPx: tg.targets.map((t) => [Math.round(t.x * 100) / 100, Math.round(t.y * 100) / 100]),
    targetsMm: Math.round(foundMm * 1000) / 1000,
    pointErrorPx: Math.round(calErr * tg.width * 100) / 100,
    picture: [tg.width, tg.height],
  };
  say(`caliper: ${JSON.stringify(r.caliper)}`);
  checks.ok(typeof cal.mm === 'number' && Math.abs(cal.mm - TARGET_SEPARATION_MM) <= pixelMm,
    `the relay's caliper reads ${TARGET_SEPARATION_MM} mm within one pixel's worth (${pixelMm.toFixed(4)} mm)`, cal.mm);
  const label = `${cal.mm.toFixed(2)} mm`;
  const bMarks = await waitFor('the caliper label on B', async () => {
    const t = await text(B, '#marks-list');
    return t.includes(label) ? t : null;
  }, 3000).catch((e) => ({ value: null, last: e.last }));
  checks.ok(!!bMarks.value, `B's list of marks shows the caliper "${label}"`, await text(B, '#marks-list'));

  // ---- 4. the other tools, chat, pointer, bookmark, freeze ----
  await A.click('button[data-tool="ellipse"]');
  let seq = (await annots(A)).seq;
  await drag(A, [0.7, 0.62], [0.78, 0.7]);
  let s = await waitState(B, 'the ellipse on B', (st) => st.items.some((m) => m.kind === 'ellipse' && m.id > seq));
  const ell = s.items.find((m) => m.kind === 'ellipse' && m.id > seq);
  const rx = Math.abs(ell.points[1][0] - ell.points[0][0]) * tg.width * sx;
  const ry = Math.abs(ell.points[1][1] - ell.points[0][1]) * tg.height * sy;
  checks.ok(typeof ell.area_mm2 === 'number' && Math.abs(ell.area_mm2 - Math.PI * rx * ry) <= 0.01 * Math.PI * rx * ry + 0.05,
    'ellipse: the relay\'s area is pi*rx*ry of its points', { area: ell.area_mm2, expected: Math.PI * rx * ry });

  await A.click('button[data-tool="freehand"]');
  seq = (await annots(A)).seq;
  const rr = await rectOf(A);
  const curve = Array.from({ length: 30 }, (_, k) => [0.12 + 0.2 * (k / 29), 0.78 + 0.06 * Math.sin(k / 3)]);
  await A.mouse.move(...toClient(rr, curve[0]));
  await A.mouse.down();
  for (const p of curve.slice(1)) await A.mouse.move(...toClient(rr, p));
  await A.mouse.up();
  s = await waitState(B, 'the freehand stroke on B', (st) => st.items.some((m) => m.kind === 'freehand' && m.id > seq));
  const fh = s.items.find((m) => m.kind === 'freehand' && m.id > seq);
  checks.ok(fh.points.length >= 5 && fh.points.length <= 2000, 'freehand: 5..2000 points reach B', fh.points.length);

  await A.click('button[data-tool="text"]');
  seq = (await annots(A)).seq;
  await clickAt(A, [0.55, 0.1]);
  await A.waitForSelector('#ask[open] #ask-input', { timeout: 2000 });
  await A.fill('#ask-input', 'needle tip here');
  await A.click('#ask-ok');
  s = await waitState(B, 'the text on B', (st) => st.items.some((m) => m.kind === 'text' && m.id > seq));
  checks.ok(s.items.find((m) => m.kind === 'text' && m.id > seq).text === 'needle tip here', 'text: typed in the page, on B');

  await A.click('button[data-tool="line"]');
  seq = (await annots(A)).seq;
  await drag(A, [0.3, 0.5], [0.45, 0.55]);
  s = await waitState(B, 'the line on B', (st) => st.items.some((m) => m.kind === 'line' && m.id > seq));
  const lineId = s.items.find((m) => m.kind === 'line' && m.id > seq).id;
  await A.locator('body').focus();
  await A.keyboard.press('Control+z');
  await waitState(B, 'the line undone on B', (st) => !st.items.some((m) => m.id === lineId));
  checks.ok(true, 'Ctrl+Z on A undoes its line on B');

  await A.click('button[data-tool="delete"]');
  const victim = keep[0];
  const mid = [(victim.points[0][0] + victim.points[1][0]) / 2, (victim.points[0][1] + victim.points[1][1]) / 2];
  await clickAt(A, mid);
  await waitState(B, 'the arrow deleted on B', (st) => !st.items.some((m) => m.id === victim.id));
  checks.ok(true, 'delete: a click on one of A\'s arrows removes it on B');

  await A.fill('#chat-input', 'Can you angle the probe medially?');
  await A.press('#chat-input', 'Enter');
  await B.fill('#chat-input', 'Angling now.');
  await B.click('#chat-form button[type="submit"]');
  await waitFor('both chat messages on A and B', async () => {
    const ta = await text(A, '#chat-list');
    const tb = await text(B, '#chat-list');
    return [ta, tb].every((t) => t.includes('Can you angle the probe medially?') && t.includes('Angling now.') &&
      t.includes(a['sub-a']) && t.includes(a['sub-b'])) ? true : null;
  }, 3000);
  const chatA = (await annots(A)).chat;
  checks.ok(chatA.length === 2 && chatA[0].from === a['sub-a'] && chatA[1].from === a['sub-b'], 'chat: both messages in order, with senders', chatA.map((c) => [c.from, c.text]));
  checks.ok((await A.evaluate(() => document.getElementById('chat-input').value)) === '', 'the chat box is emptied once sent');

  // B points; A draws B's dot in B's colour, and not after B leaves the picture.
  const bColor = await B.evaluate(() => {
    const li = [...document.querySelectorAll('#participants li')].find((x) => x.textContent.includes('(you)'));
    const rgb = getComputedStyle(li.querySelector('.swatch')).backgroundColor.match(/\d+/g).map(Number);
    return '#' + rgb.slice(0, 3).map((v) => v.toString(16).padStart(2, '0')).join('');
  });
  await B.click('button[data-tool="pointer"]');
  const rb = await rectOf(B);
  await B.mouse.move(...toClient(rb, [0.5, 0.5]));
  for (let k = 1; k <= 4; k++) await B.mouse.move(...toClient(rb, [0.5 + k * 0.02, 0.5 + k * 0.01]));
  const ptr = await waitFor('B\'s pointer on A\'s canvas', async () => {
    const n = await colourPixels(A, bColor);
    return n >= 20 ? n : null;
  }, 3000).catch((e) => ({ value: null, last: e.last }));
  r.pointerPixelsOnA = ptr.value;
  checks.ok(!!ptr.value, `A draws B's pointer in B's colour ${bColor}`, ptr.value);
  await B.mouse.move(rb.left + rb.width + 40, rb.top - 30 > 0 ? rb.top - 30 : 5); // off the picture
  const gone = await waitFor('B\'s pointer hidden on A', async () => ((await colourPixels(A, bColor)) === 0 ? true : null), 3000)
    .catch(() => ({ value: null }));
  checks.ok(!!gone.value, 'B\'s pointer disappears from A when it leaves the picture');

  await A.click('button[data-action="bookmark"]');
  await A.waitForSelector('#ask[open] #ask-input', { timeout: 2000 });
  await A.fill('#ask-input', 'max diameter');
  await A.click('#ask-ok');
  s = await waitState(B, 'the bookmark on B', (st) => st.bookmarks.some((b) => b.label === 'max diameter'));
  checks.ok(s.bookmarks.find((b) => b.label === 'max diameter').by === a['sub-a'], 'bookmark: labelled, by A, on B');

  await A.click('button[data-action="freeze"]');
  s = await waitState(B, 'the freeze on B', (st) => st.frozen && st.frozen.by === a['sub-a']);
  const banner = await waitFor('the frozen banner on B', async () => {
    const t = await text(B, '#frozen-banner');
    return t === `Frozen by ${a['sub-a']}` ? t : null;
  }, 2000).catch((e) => ({ value: null, last: e.last }));
  checks.ok(!!banner.value, `B shows "Frozen by ${a['sub-a']}"`, await text(B, '#frozen-banner'));
  checks.ok((await text(O, '#frozen-banner')) === `Frozen by ${a['sub-a']}`, 'the observer shows it too', await text(O, '#frozen-banner'));
  const pressed = await waitFor('A\'s freeze button pressed', async () =>
    ((await A.getAttribute('button[data-action="freeze"]', 'aria-pressed')) === 'true' ? true : null), 2000)
    .catch(() => ({ value: null }));
  checks.ok(!!pressed.value, 'A\'s freeze button is pressed and says Unfreeze',
    await A.evaluate(() => document.querySelector('button[data-action="freeze"]').textContent.trim()));

  // ---- 5. a late joiner, DPR and layout ----
  const L = await openViewer(context, a['token-late'], 'late');
  pages.push(L);
  const finalSeq = (await annots(A)).seq;
  const late = await waitState(L, 'the late joiner\'s snapshot', (st) => st.seq === finalSeq, 5000);
  const [sa, sb, so] = [await annots(A), await annots(B), await annots(O)];
  r.finalState = { seq: finalSeq, items: sa.items.length, bookmarks: sa.bookmarks.length, chat: sa.chat.length, frozen: !!sa.frozen };
  checks.ok(canonical(late) === canonical(sa) && canonical(sb) === canonical(sa) && canonical(so) === canonical(sa),
    'A, B, the observer and the late joiner hold the same state', r.finalState);
  await checkAligned(checks, L, 'of the late joiner at DPR 1');
  const cdp = await context.newCDPSession(L);
  await cdp.send('Emulation.setDeviceMetricsOverride', { width: 1100, height: 760, deviceScaleFactor: 2, mobile: false });
  const al2 = await checkAligned(checks, L, 'after a change to DPR 2 and a resize');
  checks.ok(al2.dpr === 2, 'the DPR change took effect', al2.dpr);
  r.pixelsOnLateDpr2 = await colourPixels(L, arrowColor);
  checks.ok(r.pixelsOnLateDpr2 >= MIN_COLOUR_PIXELS * 2, 'the late joiner draws the arrows at DPR 2', r.pixelsOnLateDpr2);
  await cdp.detach().catch(() => {});
  await L.close();
  pages.pop();

  await B.setViewportSize({ width: 768, height: 1024 });
  r.alignment = { tablet: await checkAligned(checks, B, 'at tablet size 768x1024') };
  if (a['tablet-screenshot']) await B.screenshot({ path: a['tablet-screenshot'] });
  await B.setViewportSize({ width: 1024, height: 768 });
  r.alignment.desktop = await checkAligned(checks, B, 'at 1024x768');
  const fit = await B.evaluate(() => {
    const vis = (id) => {
      const e = document.getElementById(id).getBoundingClientRect();
      return e.width > 0 && e.height > 0 && e.right <= window.innerWidth + 1 && e.bottom <= window.innerHeight + 1;
    };
    return { tools: vis('tools'), chatInput: vis('chat-input'), stage: vis('stage'), scrollX: document.documentElement.scrollWidth > window.innerWidth };
  });
  checks.ok(fit.tools && fit.chatInput && fit.stage && !fit.scrollX, 'at 1024x768 the tools, the picture and the chat box are on screen', fit);
  await sleep(200);
  await B.screenshot({ path: a.screenshot });
  say(`screenshot kept: ${a.screenshot}`);

  for (const p of pages) {
    checks.ok(p.tsnErrors.length === 0, `no uncaught exception in page ${p.tsnName}`, p.tsnErrors);
    checks.ok((await text(p, '#error')) === '', `#error is empty on page ${p.tsnName}`, await text(p, '#error'));
  }
});
