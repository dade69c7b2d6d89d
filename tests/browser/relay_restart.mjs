// Browser test 3, relay restart: a page that shows the phantom must come
// back by itself after the relay is killed (SIGKILL) and restarted on the
// same port. The bash driver does the killing; the two talk through files:
//   this script writes --ready FILE once the page is live;
//   the driver writes --killed FILE (the kill time, epoch ms) just before
//   the kill, and --restarted FILE (epoch ms) once the new relay is ready.
// Checks: the page notices (a state other than "live", "reconnecting" among
// them), then decodes new frames within RECOVERY_LIMIT_MS of the kill, is
// "live" again with #error empty, counts the reconnect, and the picture is
// not blank. Reports the recovery times.
//
// node relay_restart.mjs --url https://127.0.0.1:PORT/ --room R --token JWT
//   --ready FILE --killed FILE --restarted FILE [--log FILE]

import fs from 'node:fs';
import { parseArgs, viewerUrl, newPage, run, stats, text, waitFor, videoSample, sleep, say } from './lib.mjs';

const RECOVERY_LIMIT_MS = 10000;
const a = parseArgs(['url', 'room', 'token', 'ready', 'killed', 'restarted']);

const readMs = (file) => {
  try {
    const v = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isFinite(v) && v > 0 ? v : null;
  } catch {
    return null;
  }
};

run(async (checks, { context }) => {
  const r = checks.report;
  const page = await newPage(context, a.log);
  await page.goto(viewerUrl(a.url, a.room, a.token), { waitUntil: 'domcontentloaded' });
  await waitFor('live with frames before the restart', async () => {
    const s = await stats(page);
    return s && s.state === 'live' && s.framesDecoded > 30 ? s : null;
  }, 15000, 100);
  r.framesBefore = (await stats(page)).framesDecoded;
  fs.writeFileSync(a.ready, `${r.framesBefore}\n`);
  say(`live (${r.framesBefore} frames decoded); waiting for the driver to kill the relay`);

  const killed = (await waitFor('the relay kill', async () => readMs(a.killed), 30000, 20)).value;

  // Watch every 50 ms from the kill: states seen, errors shown, and the
  // first new decoded frame after the page noticed the outage (the counter
  // may restart from 0 with a new peer connection: any rise counts).
  const states = [];
  const errors = new Set();
  let prev = null;
  let noticed = false;
  let stalledSince = Date.now();
  let recoveredAt = null;
  while (Date.now() - killed < RECOVERY_LIMIT_MS + 5000) {
    const s = await stats(page);
    const err = await text(page, '#error');
    if (err) errors.add(err);
    if (states[states.length - 1] !== s.state) states.push(s.state);
    if (s.state !== 'live') noticed = true;
    const rose = prev !== null && s.framesDecoded !== prev;
    if (rose) stalledSince = Date.now();
    else if (Date.now() - stalledSince >= 500) noticed = true;
    if (noticed && rose && s.framesDecoded > 0 && recoveredAt === null) {
      recoveredAt = Date.now();
      break;
    }
    prev = s.framesDecoded;
    await sleep(50);
  }
  const restarted = readMs(a.restarted);
  r.states = states;
  r.errorsShown = [...errors];
  r.relayDownMs = restarted ? restarted - killed : null;
  checks.ok(noticed, 'the page noticed the relay was gone (a state other than live, or frames stopped)', states);
  checks.ok(states.includes('reconnecting'), 'state "reconnecting" during the outage', states);
  checks.ok(errors.size > 0, '#error said something during the outage', r.errorsShown);
  checks.ok(recoveredAt !== null, 'frames decoded again after the restart', { states, framesDecoded: prev });
  if (recoveredAt === null) return;
  r.recoveryFromKillMs = recoveredAt - killed;
  r.recoveryFromRestartMs = restarted ? recoveredAt - restarted : null;
  checks.ok(r.recoveryFromKillMs <= RECOVERY_LIMIT_MS,
    `first new frame within ${RECOVERY_LIMIT_MS} ms of the kill`, r.recoveryFromKillMs);

  // Back to normal: frames keep coming, live, no error, a picture.
  const f0 = (await stats(page)).framesDecoded;
  const after = await waitFor('normal again', async () => {
    const s = await stats(page);
    const err = await text(page, '#error');
    const shown = await text(page, '#state');
    return s.framesDecoded >= f0 + 10 && s.state === 'live' && shown === 'live' && err === '' ? s : null;
  }, 3000, 50).catch((e) => ({ value: null }));
  const s = await stats(page);
  r.after = { state: s.state, shown: await text(page, '#state'), error: await text(page, '#error'),
    framesDecoded: s.framesDecoded, reconnects: s.reconnects, latencyMs: s.latencyMs };
  r.normalAgainFromKillMs = after.value ? Date.now() - killed : null;
  checks.ok(!!after.value, 'then 10 more frames, state "live" and #error empty within 3 s', r.after);
  checks.ok(typeof s.reconnects === 'number' && s.reconnects >= 1, 'stats().reconnects >= 1', s.reconnects);
  const sample = await videoSample(page);
  r.video = sample;
  checks.ok(sample.variance > 100, 'the picture after the restart is not blank', { mean: sample.mean, variance: sample.variance });
  r.pageErrors = page.tsnErrors; // reported, not failed: timing-dependent during the outage
  if (page.tsnErrors.length) say(`uncaught exceptions in the page: ${JSON.stringify(page.tsnErrors)}`);
});
