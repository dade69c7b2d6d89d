// Browser test 2, wrong token: a token the relay refuses (signed with
// another secret) must end in a clear error, not in a retry loop. Two ways
// in, each on a fresh page:
//   - the link: https://HOST:PORT/#room=R&token=BAD (auto-join);
//   - the join form: the page without a fragment, input#room, input#token,
//     button#join.
// Each must show #error matching /refused/i, #state and stats().state
// "error", and open no second WebSocket over the next few seconds
// (stats().reconnects stays 0).
//
// node wrong_token.mjs --url https://127.0.0.1:PORT/ --room R --token BAD [--log FILE]

import { parseArgs, viewerUrl, newPage, run, stats, text, waitFor, sleep } from './lib.mjs';

const ERROR_LIMIT_MS = 5000;
const WATCH_MS = 4000; // long enough for a reconnect back-off of a few seconds to show

const a = parseArgs(['url', 'room', 'token']);

async function expectRefused(checks, page, how) {
  const r = {};
  const shown = await waitFor(`${how}: the error`, async () => {
    const t = await text(page, '#error');
    return t ? t : null;
  }, ERROR_LIMIT_MS).catch((e) => ({ value: null, last: e.last }));
  r.error = await text(page, '#error');
  r.errorMs = shown.ms;
  checks.ok(/refused/i.test(r.error || ''), `${how}: #error says the token was refused`, r.error);

  await sleep(WATCH_MS);
  const s = await stats(page);
  r.state = s && s.state;
  r.shownState = await text(page, '#state');
  r.reconnects = s && s.reconnects;
  r.websockets = page.tsnSockets.length;
  r.errorAfter = await text(page, '#error');
  checks.ok(r.state === 'error' && r.shownState === 'error', `${how}: state "error" (stats().state and #state)`,
    { stats: r.state, shown: r.shownState });
  checks.ok(/refused/i.test(r.errorAfter || ''), `${how}: the error stays on screen`, r.errorAfter);
  checks.ok(r.websockets === 1, `${how}: one WebSocket, none more in the ${WATCH_MS / 1000} s after the error (no retry loop)`, r.websockets);
  checks.ok(r.reconnects === 0, `${how}: stats().reconnects is 0`, r.reconnects);
  checks.ok(page.tsnErrors.length === 0, `${how}: no uncaught exception in the page`, page.tsnErrors);
  return r;
}

run(async (checks, { context }) => {
  // The link.
  const p1 = await newPage(context, a.log);
  await p1.goto(viewerUrl(a.url, a.room, a.token), { waitUntil: 'domcontentloaded' });
  checks.report.link = await expectRefused(checks, p1, 'link');
  await p1.close();

  // The join form.
  const p2 = await newPage(context, a.log);
  const resp = await p2.goto(a.url, { waitUntil: 'domcontentloaded' });
  checks.ok(resp && resp.status() === 200, 'form: GET / answers 200', resp && resp.status());
  await p2.locator('input#room').fill(a.room, { timeout: 3000 });
  await p2.locator('input#token').fill(a.token, { timeout: 3000 });
  await p2.locator('button#join').click({ timeout: 3000 });
  checks.report.form = await expectRefused(checks, p2, 'form');
  checks.ok(!p2.url().includes(a.token.slice(-16)), 'form: the token is not put in the address bar', p2.url().length);
});
