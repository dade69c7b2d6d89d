// Review model, without the DOM: a recording's annotations.json (written by
// telesono-export, docs/operations.md) as a timeline of frames, and the
// annotation state at any frame of it. The state at frame k is the
// recording's `initial` snapshot with every event whose `frame` <= k applied
// in `seq` order, by the very AnnotationState of the live viewer
// (annotate.js): a reviewer sees at frame k exactly what the room held when
// that frame was live, and telesono-export's burn-in (the same rule in C)
// agrees with the page. It also maps media times to frame indexes
// (video.frame_pts_ms) and back, reads the claims of a token (to know its
// room; the relay verifies it, this page never trusts it for anything
// else), and describes events in words for the list beside the video.
// It does not fetch, play or draw.

import { AnnotationState, describeMark, fmtClock } from './annotate.js';

export const ROOM_RE = /^[A-Za-z0-9_-]{1,64}$/;
export const SESSION_RE = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

// A media time this close above a frame's start still names that frame:
// MP4 time scales round a frame's time by well under a millisecond.
const PTS_TOLERANCE_MS = 1;
const STATE_CACHE = 32;

export class FormatError extends Error {}

// The claims of a JWT (its middle part), unverified; null when it is not
// shaped like one. Only used to know which room to ask about.
export function tokenClaims(token) {
  if (typeof token !== 'string') return null;
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return null;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

// Index of the last element of the ascending array `a` that is <= v, or -1.
export function lastAtOrBelow(a, v) {
  let lo = 0;
  let hi = a.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= v) {
      ans = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return ans;
}

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

// The recording's frames and events, checked once when loaded.
export class Timeline {
  // doc: the parsed annotations.json. Throws FormatError with a sentence.
  constructor(doc) {
    if (!doc || typeof doc !== 'object' || doc.format !== 'telesono-annotations') {
      throw new FormatError('annotations.json is not a Telesono annotations file');
    }
    if (doc.version !== 1) throw new FormatError(`annotations.json has version ${doc.version}; this page reads version 1`);
    const video = doc.video || {};
    const pts = Array.isArray(video.frame_pts_ms) ? video.frame_pts_ms : [];
    if (!pts.length || !pts.every(isNum)) throw new FormatError('annotations.json lists no frame times');
    for (let i = 1; i < pts.length; i++) {
      if (pts[i] <= pts[i - 1]) throw new FormatError(`annotations.json: frame ${i}'s time is not after frame ${i - 1}'s`);
    }
    this.session = typeof doc.session === 'string' ? doc.session : '';
    this.room = typeof doc.room === 'string' ? doc.room : '';
    this.stream = doc.stream && typeof doc.stream === 'object' ? doc.stream : null;
    this.pts = pts.slice();
    this.frames = pts.length;
    const last = pts[pts.length - 1];
    const step = pts.length > 1 ? last - pts[pts.length - 2] : 0;
    this.durationMs = isNum(video.duration_ms) && video.duration_ms > last ? video.duration_ms : last + step;
    const init = doc.initial && typeof doc.initial === 'object' ? doc.initial : {};
    this.initial = { ...init, seq: Number.isInteger(init.seq) && init.seq >= 0 ? init.seq : 0 };
    const evs = Array.isArray(doc.events) ? doc.events : [];
    // Every event the model can apply, in seq order, its frame clamped to
    // the video (the exporter clamps already; a hand-edited file may not).
    this.events = evs
      .filter((e) => e && typeof e === 'object' && Number.isInteger(e.seq) && Number.isInteger(e.frame))
      .map((e) => ({ ...e, frame: Math.min(this.frames - 1, Math.max(0, e.frame)) }))
      .sort((x, y) => x.seq - y.seq);
    this.skipped = evs.length - this.events.length;
    // The events in frame order: the ones at or before frame k are a prefix
    // of it, so its length names the state at k (frames with the same
    // events share one state object, and a change of state is a change of
    // that number).
    this.#frameOrder = this.events.map((e) => e.frame).sort((x, y) => x - y);
    this.#cache = new Map();
  }

  #frameOrder;
  #cache;

  // How many events apply at frame k.
  appliedAt(k) {
    return lastAtOrBelow(this.#frameOrder, this.clampFrame(k)) + 1;
  }

  // The frame shown at media time `ms` (a paused element's currentTime):
  // the last frame starting at or before it.
  frameAtMs(ms) {
    if (!isNum(ms)) return 0;
    return Math.max(0, lastAtOrBelow(this.pts, ms + PTS_TOLERANCE_MS));
  }

  // The frame whose start is nearest to `ms`: for a video frame's
  // mediaTime, which is always some frame's start, whatever rounding the
  // container's time scale applied to it (mp4mux may keep 1/1500 s).
  frameNearestMs(ms) {
    if (!isNum(ms)) return 0;
    const i = lastAtOrBelow(this.pts, ms);
    if (i < 0) return 0;
    if (i + 1 < this.frames && this.pts[i + 1] - ms < ms - this.pts[i]) return i + 1;
    return i;
  }

  // Where to put currentTime to show frame k: the middle of its interval,
  // so the decoder lands on it whatever rounding the container applied.
  seekMs(k) {
    const i = this.clampFrame(k);
    const next = i + 1 < this.frames ? this.pts[i + 1] : this.durationMs;
    return (this.pts[i] + next) / 2;
  }

  clampFrame(k) {
    const n = Math.round(Number(k));
    if (!Number.isFinite(n)) return 0;
    return Math.min(this.frames - 1, Math.max(0, n));
  }

  // The media time (ms) at which frame k starts.
  ptsOf(k) {
    return this.pts[this.clampFrame(k)];
  }

  // The AnnotationState holding the room's state at frame k (shared: the
  // caller reads it, never changes it).
  stateAt(k) {
    const f = this.clampFrame(k);
    const n = this.appliedAt(f);
    const hit = this.#cache.get(n);
    if (hit) return hit;
    const s = new AnnotationState();
    s.load(this.initial);
    for (const e of this.events) if (e.frame <= f) s.apply(e);
    // A few recent states kept: stepping back and forth rebuilds nothing.
    if (this.#cache.size >= STATE_CACHE) this.#cache.delete(this.#cache.keys().next().value);
    this.#cache.set(n, s);
    return s;
  }

  // The events as rows for the list: {seq, frame, ms, kind, text}.
  entries() {
    return this.events.map((e) => ({
      seq: e.seq,
      frame: e.frame,
      ms: this.pts[e.frame],
      kind: e.op,
      text: describeEvent(e),
    }));
  }
}

// "m:ss.mmm" of a media time in ms (hours when there are any).
export function fmtMediaTime(ms) {
  if (!isNum(ms) || ms < 0) return '0:00.000';
  const total = Math.round(ms);
  const h = Math.floor(total / 3600000);
  const m = Math.floor((total % 3600000) / 60000);
  const s = Math.floor((total % 60000) / 1000);
  const rest = String(total % 1000).padStart(3, '0');
  const ss = String(s).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}.${rest}` : `${m}:${ss}.${rest}`;
}

// A length of time in words: "1 h 02 min", "3 min 05 s", "12 s".
export function fmtDuration(ms) {
  if (!isNum(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

// A date and time in the reader's locale (ISO-like, unambiguous).
export function fmtDateTime(unixMs) {
  if (!isNum(unixMs) || unixMs <= 0) return '';
  const d = new Date(unixMs);
  const two = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${fmtClock(unixMs)}`;
}

export function fmtBytes(n) {
  if (!isNum(n) || n < 0) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

// One sentence for an event (its text comes from people: shown as text only).
export function describeEvent(e) {
  const who = typeof e.from === 'string' && e.from ? e.from : 'someone';
  switch (e.op) {
    case 'draw':
      return e.item && typeof e.item === 'object' && e.item.kind
        ? `${describeMark(e.item)} drawn by ${who}`
        : `A mark drawn by ${who}`;
    case 'delete':
      return `${who} deleted mark ${Number.isInteger(e.item) ? `#${e.item}` : ''}`.trim();
    case 'undo':
      return `${who} undid mark ${Number.isInteger(e.item) ? `#${e.item}` : ''}`.trim();
    case 'clear':
      return `${who} cleared ${Number.isInteger(e.count) ? `${e.count} mark${e.count === 1 ? '' : 's'}` : 'every mark'}`;
    case 'chat':
      return `${who}: ${typeof e.text === 'string' ? e.text : ''}`;
    case 'freeze':
      if (e.frozen) return `${who} froze the picture`;
      return e.reason ? `Unfrozen: ${who} ${e.reason}` : `${who} unfroze the picture`;
    case 'bookmark': {
      const label = e.bookmark && typeof e.bookmark.label === 'string' && e.bookmark.label ? `“${e.bookmark.label}”` : '(no label)';
      return `Bookmark ${label} by ${who}`;
    }
    default:
      return `${typeof e.op === 'string' ? e.op : 'event'} by ${who}`;
  }
}

// An export's failure reason in words: the relay passes the exporter's
// last line, which may be its --json summary ({"error":...}) followed by
// more text; the error sentence is kept, the JSON around it is not.
export function exportReason(reason) {
  if (typeof reason !== 'string' || !reason.trim()) return 'no reason given';
  const t = reason.trim();
  const m = /^(\{.*\})\s*(.*)$/s.exec(t);
  if (m) {
    try {
      const j = JSON.parse(m[1]);
      const why = typeof j.error === 'string' ? j.error : typeof j.reason === 'string' ? j.reason : '';
      if (why) return m[2] ? `${why} ${m[2]}` : why;
    } catch {
      /* not JSON: shown as it is */
    }
  }
  return t;
}

// What a failed request means, for #error. status: the HTTP status (0 when
// the relay could not be reached); reason: the relay's text.
export function explainFailure(status, reason, what) {
  const why = reason ? `: ${reason}` : '';
  switch (status) {
    case 0:
      return `Cannot reach the relay to ${what}${why}. Check the connection and try again.`;
    case 401:
      return `The relay refused the token (401${why}). Ask for a new review link: tokens expire.`;
    case 403:
      return `Not allowed to ${what} (403${why}).`;
    case 404:
      return `Not found (404${why}): the recording may have been deleted, or it belongs to another room.`;
    case 409:
      return `Not ready (409${why}): the session is still being recorded; it can be reviewed once recording stops.`;
    case 503:
      return `The relay cannot ${what} now (503${why}). Try again later.`;
    default:
      return `Could not ${what} (${status}${why}).`;
  }
}
