// Annotation state and geometry, without the DOM: the room's marks,
// bookmarks, freeze and chat as the relay's sequenced events build them
// (docs/protocol.md, "Annotations"), plus the arithmetic the tools need
// (normalised points, freehand simplification, hit tests, labels). The
// relay is the single orderer: this model applies its snapshot and its
// events, never a local guess; previews live in tools.js until the relay's
// event comes back. It mirrors common/annot_state.c (what telesono-view
// applies), so every viewer of a room holds the same state.

export const KINDS = ['arrow', 'line', 'caliper', 'ellipse', 'freehand', 'text'];
export const MAX_FREEHAND_POINTS = 2000;
export const CHAT_KEPT = 100;
export const COLOR_RE = /^#[0-9a-fA-F]{6}$/;

const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

export function isPoint(p) {
  return Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number' && Number.isFinite(v));
}

// A mark as the relay sent it, checked enough to draw it safely.
export function isMark(m) {
  return !!m && typeof m === 'object' && Number.isInteger(m.id) && KINDS.includes(m.kind) &&
    Array.isArray(m.points) && m.points.length >= 1 && m.points.every(isPoint);
}

export class AnnotationState extends EventTarget {
  seq = 0;
  items = []; // marks in id order
  bookmarks = [];
  frozen = null; // {by, seq, time, media} or null
  chat = []; // chat events, oldest first

  // Replaces everything with an {"type":"annotations"} snapshot.
  load(snap) {
    if (!snap || typeof snap !== 'object' || !Number.isInteger(snap.seq) || snap.seq < 0) return false;
    this.seq = snap.seq;
    this.items = Array.isArray(snap.items) ? snap.items.filter(isMark) : [];
    this.bookmarks = Array.isArray(snap.bookmarks) ? snap.bookmarks.filter((b) => b && typeof b === 'object') : [];
    this.frozen = snap.frozen && typeof snap.frozen === 'object' ? snap.frozen : null;
    this.chat = Array.isArray(snap.chat) ? snap.chat.filter((c) => c && typeof c.text === 'string').slice(-CHAT_KEPT) : [];
    this.#changed({ op: 'load' });
    return true;
  }

  // Applies one {"type":"event"}; false when already applied (seq not above
  // ours) or malformed. A gap is applied too: the relay sends every event of
  // the room on each socket in order, so a gap only follows a lost socket,
  // and a new socket starts from a fresh snapshot.
  apply(ev) {
    if (!ev || !Number.isInteger(ev.seq) || ev.seq <= this.seq) return false;
    switch (ev.op) {
      case 'draw':
        if (!isMark(ev.item)) return false;
        this.items.push(ev.item); // ids are seqs: always the newest
        break;
      case 'delete':
      case 'undo':
        this.items = this.items.filter((m) => m.id !== ev.item);
        break;
      case 'clear':
        this.items = [];
        break;
      case 'chat':
        if (typeof ev.text !== 'string') return false;
        // The entry common/annot_state.c keeps (and a late joiner gets).
        this.chat.push({ seq: ev.seq, time: ev.time, from: ev.from, text: ev.text, media: ev.media ?? null });
        if (this.chat.length > CHAT_KEPT) this.chat.splice(0, this.chat.length - CHAT_KEPT);
        break;
      case 'freeze':
        this.frozen = ev.frozen ? { by: ev.from, seq: ev.seq, time: ev.time, media: ev.media ?? null } : null;
        break;
      case 'bookmark':
        if (ev.bookmark && typeof ev.bookmark === 'object') this.bookmarks.push(ev.bookmark);
        break;
      default:
        return false; // an op of a later protocol: skip it, keep the order
    }
    this.seq = ev.seq;
    this.#changed(ev);
    return true;
  }

  clearAll() {
    this.seq = 0;
    this.items = [];
    this.bookmarks = [];
    this.frozen = null;
    this.chat = [];
    this.#changed({ op: 'reset' });
  }

  find(id) {
    return this.items.find((m) => m.id === id) || null;
  }

  // A deep copy for window.telesono.annotations().
  snapshot() {
    return clone({ seq: this.seq, items: this.items, frozen: this.frozen, bookmarks: this.bookmarks, chat: this.chat });
  }

  #changed(ev) {
    this.dispatchEvent(new CustomEvent('change', { detail: ev }));
  }
}

// ---- geometry (normalised picture coordinates, 0..1) ----

export const clamp01 = (v) => Math.min(1, Math.max(0, v));
// The relay keeps 5 decimals; sending more changes nothing.
export const round5 = (v) => Math.round(clamp01(v) * 1e5) / 1e5;

// Ramer-Douglas-Peucker over points in some metric space (here picture
// pixels, so the tolerance means the same across and down the picture).
function rdp(pts, eps) {
  if (pts.length < 3) return pts.slice();
  const keep = new Uint8Array(pts.length);
  keep[0] = 1;
  keep[pts.length - 1] = 1;
  const stack = [[0, pts.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop();
    const [ax, ay] = pts[a];
    const [bx, by] = pts[b];
    const dx = bx - ax;
    const dy = by - ay;
    const len = Math.hypot(dx, dy);
    let worst = -1;
    let at = -1;
    for (let i = a + 1; i < b; i++) {
      const [px, py] = pts[i];
      const d = len > 0 ? Math.abs(dy * (px - ax) - dx * (py - ay)) / len : Math.hypot(px - ax, py - ay);
      if (d > worst) {
        worst = d;
        at = i;
      }
    }
    if (at >= 0 && worst > eps) {
      keep[at] = 1;
      stack.push([a, at], [at, b]);
    }
  }
  return pts.filter((_, i) => keep[i]);
}

// A freehand stroke for the wire: consecutive duplicates dropped, simplified
// with a tolerance of `epsPx` picture pixels (scale: width, height), and
// the tolerance doubled until it has at most `max` points.
export function simplifyStroke(points, width, height, epsPx = 0.5, max = MAX_FREEHAND_POINTS) {
  const w = width > 0 ? width : 1000;
  const h = height > 0 ? height : 1000;
  const px = [];
  for (const [x, y] of points) {
    const q = [round5(x) * w, round5(y) * h];
    const last = px[px.length - 1];
    if (!last || last[0] !== q[0] || last[1] !== q[1]) px.push(q);
  }
  let out = rdp(px, epsPx);
  if (out.length > max) {
    // The smallest tolerance that fits, within 2%: doubling, then halving
    // the interval, so a long stroke keeps as much of its shape as it can.
    let lo = Math.max(epsPx, 0.25);
    let hi = lo * 2;
    while ((out = rdp(px, hi)).length > max) {
      lo = hi;
      hi *= 2;
    }
    while (hi - lo > hi * 0.02) {
      const mid = (lo + hi) / 2;
      const r = rdp(px, mid);
      if (r.length > max) lo = mid;
      else {
        hi = mid;
        out = r;
      }
    }
  }
  return out.map(([x, y]) => [round5(x / w), round5(y / h)]);
}

// Distance from p to the segment ab (all in the same pixel space).
export function segmentDistance(p, a, b) {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const l2 = dx * dx + dy * dy;
  let t = l2 > 0 ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2 : 0;
  t = Math.max(0, Math.min(1, t));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

// The label drawn beside a measured mark ('— mm' when the relay could not
// measure: the stream has no pixel spacing).
export function measureLabel(m) {
  // Fixed decimals: the relay's 2 for a distance (a caliper reads 20.00, not 20).
  if (m.kind === 'caliper') return typeof m.mm === 'number' ? `${m.mm.toFixed(2)} mm` : '— mm';
  if (m.kind === 'ellipse') return typeof m.area_mm2 === 'number' ? `${m.area_mm2.toFixed(1)} mm²` : '— mm²';
  return '';
}

// One line describing a mark, for the list of marks (screen readers cannot
// read the canvas).
export function describeMark(m) {
  const what = {
    arrow: 'Arrow', line: 'Line', caliper: 'Caliper', ellipse: 'Ellipse', freehand: 'Freehand', text: 'Text',
  }[m.kind] || m.kind;
  let extra = measureLabel(m);
  if (m.kind === 'ellipse' && typeof m.rx_mm === 'number' && typeof m.ry_mm === 'number') {
    extra += ` (${(2 * m.rx_mm).toFixed(1)} × ${(2 * m.ry_mm).toFixed(1)} mm)`;
  }
  if (m.kind === 'text') extra = `“${m.text || ''}”`;
  if (m.kind === 'freehand') extra = `${m.points.length} points`;
  return `${what}${extra ? ' ' + extra : ''}`;
}

export function fmtClock(unixMs) {
  if (typeof unixMs !== 'number' || !Number.isFinite(unixMs)) return '';
  const d = new Date(unixMs);
  const two = (n) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
