// Browser test, the live viewer's recording control (issue 6): two
// clinicians (A, B) and an observer (O) on the phantom.
//  - A and B have the Record button, O has none; nobody shows REC;
//  - A clicks Record: B and O show "REC" (latency measured from A's click)
//    and window.telesono.recording() names the session and A; A's and B's
//    buttons are pressed and say "Stop recording";
//  - O sends a `record` anyway (test hook): refused 403, still recording;
//  - a late joiner (observer L) shows REC at once after joining;
//  - B stops it: REC goes away everywhere, buttons say "Record" again;
//  - no alert, no error, no uncaught exception anywhere.
// The session id is printed in the report for the driver to check on disk.
// With --refused REASON (a relay that cannot record): A's click is refused,
// #rec-alert says so with the 503 and REASON, nobody shows REC.
//
// node record_toggle.mjs --url U --room R --token-a JWT --token-b JWT
//   --token-obs JWT --token-late JWT --sub-a S [--refused TEXT] [--log FILE]

import { parseArgs, viewerUrl, newPage, run, stats, text, waitFor } from './lib.mjs';

const a = parseArgs(['url', 'room', 'token-a', 'token-b', 'token-obs', 'token-late', 'sub-a']);
const SESSION_RE = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

async function openViewer(context, token, name) {
  const page = await newPage(context, a.log);
  page.tsnName = name;
  await page.goto(viewerUrl(a.url, a.room, token), { waitUntil: 'domcontentloaded' });
  await waitFor(`${name} joined`, async () => {
    const s = await stats(page);
    return s && (s.state === 'live' || s.state === 'waiting for the stream') ? s : null;
  }, 20000, 100);
  return page;
}

const recText = (p) => text(p, '#rec');

// A relay that refuses: the reason in A's alert line, no REC anywhere.
async function refusedPhase(checks, context) {
  const A = await openViewer(context, a['token-a'], 'A');
  const O = await openViewer(context, a['token-obs'], 'observer');
  await A.click('#btn-record');
  const alert = await waitFor('the refusal in A\'s alert line', async () => {
    const t = await text(A, '#rec-alert');
    return t ? t : null;
  }, 5000);
  checks.report.refusal = alert.value;
  checks.ok(alert.value.includes('(503)') && alert.value.includes(a.refused) && /could not be started/.test(alert.value),
    'A\'s #rec-alert: recording could not be started, the relay\'s reason, 503', alert.value);
  checks.ok((await A.getAttribute('#rec-alert', 'role')) === 'alert', '#rec-alert is an alert region');
  checks.ok((await text(A, '#rec')) === '' && (await text(O, '#rec')) === '', 'no REC anywhere');
  checks.ok((await A.getAttribute('#btn-record', 'aria-pressed')) === 'false', 'A\'s button is not pressed');
  checks.ok((await text(A, '#error')) === '' && (await stats(A)).state !== 'error', 'the session is unaffected (#error empty)');
  for (const p of [A, O]) checks.ok(p.tsnErrors.length === 0, `no uncaught exception on ${p.tsnName}`, p.tsnErrors);
}

run(async (checks, { context }) => {
  if (a.refused) {
    await refusedPhase(checks, context);
    return;
  }
  const r = checks.report;
  const A = await openViewer(context, a['token-a'], 'A');
  const B = await openViewer(context, a['token-b'], 'B');
  const O = await openViewer(context, a['token-obs'], 'observer');
  const pages = [A, B, O];

  checks.ok(await A.isVisible('#btn-record') && await B.isVisible('#btn-record'), 'both clinicians have the Record button');
  checks.ok(!(await O.isVisible('#btn-record')), 'the observer has no Record button');
  for (const p of pages) checks.ok((await recText(p)) === '', `no REC on ${p.tsnName} before recording`, await recText(p));

  // A starts; B and O follow (their clocks: each page's wall clock).
  await Promise.all([B, O].map((p) => p.evaluate(() => {
    window.__recAt = null;
    const el = document.getElementById('rec');
    new MutationObserver(() => {
      if (!window.__recAt && el.textContent.includes('REC')) window.__recAt = performance.timeOrigin + performance.now();
    }).observe(el, { childList: true, subtree: true, characterData: true });
  })));
  const clickAt = await A.evaluate(() => {
    document.getElementById('btn-record').click();
    return performance.timeOrigin + performance.now();
  });
  r.recIndicatorMs = {};
  for (const p of [B, O]) {
    const at = (await waitFor(`REC on ${p.tsnName}`, () => p.evaluate(() => window.__recAt), 5000, 10)).value;
    r.recIndicatorMs[p.tsnName] = Math.round((at - clickAt) * 10) / 10;
  }
  checks.ok(Object.values(r.recIndicatorMs).every((ms) => ms >= 0 && ms < 1000), 'B and O show REC within 1 s of A\'s click', r.recIndicatorMs);
  const rec = (await waitFor('A\'s recording state', () => A.evaluate(() => window.telesono.recording()), 3000)).value;
  const recB = await B.evaluate(() => window.telesono.recording());
  r.session = rec.session;
  checks.ok(rec.on === true && SESSION_RE.test(rec.session) && rec.by === a['sub-a'] && Number.isInteger(rec.since_ms),
    'recording(): on, a session id, by A, since_ms', rec);
  checks.ok(recB && recB.session === rec.session, 'B holds the same session', recB);
  for (const p of [A, B]) {
    checks.ok((await p.getAttribute('#btn-record', 'aria-pressed')) === 'true' && (await text(p, '#btn-record')) === 'Stop recording',
      `${p.tsnName}'s button is pressed and says "Stop recording"`, await text(p, '#btn-record'));
  }
  const label = await O.evaluate(() => document.getElementById('rec').textContent);
  checks.ok(/being recorded since \d\d:\d\d:\d\d, started by /.test(label), 'the indicator says in words what is recorded, since when, by whom', label);

  // The observer cannot stop it.
  const refused = await O.evaluate(() => window.telesono.sendAnnotation({ type: 'record', on: false }));
  r.observerRecord = refused;
  checks.ok(!refused.ok && refused.code === 403, 'the observer\'s record request is refused with 403', refused);
  checks.ok((await A.evaluate(() => window.telesono.recording())) !== null, 'still recording after the refusal');

  // A late joiner learns it on joining.
  const L = await openViewer(context, a['token-late'], 'late observer');
  pages.push(L);
  const lateRec = await waitFor('REC on the late joiner', async () => ((await recText(L)).includes('REC') ? true : null), 3000)
    .catch(() => ({ value: false }));
  checks.ok(!!lateRec.value, 'a late joiner shows REC', await recText(L));

  // B stops it.
  await B.click('#btn-record');
  for (const p of pages) {
    const gone = await waitFor(`REC gone on ${p.tsnName}`, async () => ((await recText(p)) === '' ? true : null), 5000)
      .catch(() => ({ value: false }));
    checks.ok(!!gone.value, `REC is gone on ${p.tsnName}`, await recText(p));
  }
  for (const p of [A, B]) {
    checks.ok((await p.getAttribute('#btn-record', 'aria-pressed')) === 'false' && (await text(p, '#btn-record')) === 'Record',
      `${p.tsnName}'s button says "Record" again`, await text(p, '#btn-record'));
  }
  for (const p of pages) {
    checks.ok((await text(p, '#rec-alert')) === '' && (await text(p, '#error')) === '', `no alert or error on ${p.tsnName}`,
      [await text(p, '#rec-alert'), await text(p, '#error')]);
    checks.ok(p.tsnErrors.length === 0, `no uncaught exception on ${p.tsnName}`, p.tsnErrors);
  }
});
