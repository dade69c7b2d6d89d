// UI: the page's DOM outside the picture and the chat. It renders state,
// errors, participants (with their colours), stream metadata, statistics,
// the list of marks and bookmarks, the freeze banner and the annotation
// status line with textContent only (names, texts and probe strings come
// from other people: never parsed as HTML), and drives the join form, the
// help dialog, the in-page question box, the statistics panel and
// fullscreen, and the REC indicator and toggle. It holds no session logic
// (app.js decides, this module shows).

import { describeMark, fmtClock, COLOR_RE } from './annotate.js';

const $ = (id) => document.getElementById(id);

export const els = {
  get video() { return $('stream'); },
  get state() { return $('state'); },
  get error() { return $('error'); },
  get participants() { return $('participants'); },
  get meta() { return $('meta'); },
  get stats() { return $('stats'); },
};

const OVERLAY_TEXT = {
  idle: '',
  connecting: 'Connecting to the relay…',
  live: '',
  'waiting for the stream': 'Waiting for the stream: nobody is sending pictures in this room yet.',
  reconnecting: 'Reconnecting to the relay…',
  error: '',
};

export function setState(state, roomName) {
  const el = els.state;
  if (el.textContent !== state) el.textContent = state;
  document.body.dataset.state = state || 'idle';
  const overlay = $('overlay');
  const text = OVERLAY_TEXT[state] ?? '';
  if (overlay.textContent !== text) overlay.textContent = text;
  overlay.hidden = !text;
  document.title = roomName ? `${state ? state + ' · ' : ''}${roomName} · Telesono` : 'Telesono viewer';
}

export function setError(text) {
  const el = els.error;
  // Never hidden: an alert region that is always rendered is announced
  // reliably when its text changes; CSS collapses it while empty.
  if (el.textContent !== (text || '')) el.textContent = text || '';
}

export function setRoom(room, you) {
  $('room-name').textContent = room ? `Room ${room}` : '';
  $('you').textContent = you ? `You: ${you.sub} (${you.role})` : '';
}

// A small square of a participant's colour (CSSOM, which the page's
// style-src 'self' allows, unlike a style attribute).
export function swatch(color) {
  const sw = document.createElement('span');
  sw.className = 'swatch';
  sw.setAttribute('aria-hidden', 'true');
  if (typeof color === 'string' && COLOR_RE.test(color)) sw.style.backgroundColor = color;
  else sw.classList.add('swatch-none');
  return sw;
}

export function renderParticipants(list, you) {
  const ul = els.participants;
  ul.replaceChildren();
  const people = Array.isArray(list) ? list : [];
  for (const p of people) {
    if (!p || typeof p.sub !== 'string') continue;
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'who';
    name.append(swatch(p.color), p.sub);
    const role = document.createElement('span');
    role.className = `role role-${String(p.role || 'unknown').replace(/[^a-z]/g, '')}`;
    role.textContent = p.role || '?';
    li.append(name, ' ', role);
    if (you && p.sub === you.sub && p.role === you.role) {
      const me = document.createElement('span');
      me.className = 'me';
      me.textContent = ' (you)';
      li.append(me);
    }
    ul.append(li);
  }
  if (!ul.children.length) {
    const li = document.createElement('li');
    li.className = 'empty';
    if (list === null) li.textContent = 'Not in a room';
    else if (list === undefined) li.textContent = 'Not reported by this relay';
    else li.textContent = 'Nobody here yet';
    ul.append(li);
  }
  $('participants-count').textContent = people.length ? `(${people.length})` : '';
}

function fmt(n, digits) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return null;
  return Number(n.toFixed(digits)).toString();
}

// A <dl> from [label, value] pairs; pairs without a value are left out.
function fillList(dl, rows) {
  const frag = document.createDocumentFragment();
  for (const [label, value, key] of rows) {
    if (value === null || value === undefined || value === '') continue;
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = value;
    if (key) dd.dataset.key = key;
    frag.append(dt, dd);
  }
  dl.replaceChildren(frag);
}

export function renderMeta(stream, codecInUse) {
  const dl = els.meta;
  if (!stream) {
    fillList(dl, [['Stream', 'no description from the capture yet', 'none'], ['Codec', codecInUse, 'codec']]);
    return;
  }
  const ps = stream.pixel_spacing_mm;
  const spacing = ps && typeof ps.x === 'number' && typeof ps.y === 'number'
    ? (ps.x === ps.y ? `${fmt(ps.x, 4)} mm/px` : `${fmt(ps.x, 4)} × ${fmt(ps.y, 4)} mm/px (x × y)`)
    : null;
  const size = stream.width && stream.height ? `${stream.width} × ${stream.height} px` : null;
  fillList(dl, [
    ['Probe', stream.probe, 'probe'],
    ['Depth', fmt(stream.depth_mm, 1) !== null ? `${fmt(stream.depth_mm, 1)} mm` : null, 'depth'],
    ['Pixel spacing', spacing, 'spacing'],
    ['Size', size, 'size'],
    ['Frame rate', fmt(stream.fps, 2) !== null ? `${fmt(stream.fps, 2)} fps` : null, 'fps'],
    ['Codec', stream.codec || codecInUse, 'codec'],
    ['Source', stream.source, 'source'],
    ['Capture', stream.live === false ? 'ended' : 'live', 'live'],
  ]);
}

export function renderStats(s) {
  const lat = s.latencyMs || {};
  const ms = (v) => (v === null || v === undefined ? null : `${v} ms`);
  const latency = lat.p50 === null || lat.p50 === undefined
    ? 'not measured (no capture time)'
    : `${lat.last} ms (p50 ${lat.p50}, p95 ${lat.p95}, ${lat.count} frames)`;
  fillList(els.stats, [
    ['Frames decoded', String(s.framesDecoded ?? 0), 'framesDecoded'],
    ['Frame rate', s.fps === null ? null : `${s.fps} fps`, 'fps'],
    ['Bitrate', s.bitrateKbps === null ? null : `${s.bitrateKbps} kbit/s`, 'bitrate'],
    ['Packets lost', String(s.packetsLost ?? 0), 'packetsLost'],
    ['Jitter', ms(s.jitterMs), 'jitter'],
    ['Round trip', ms(s.rttMs), 'rtt'],
    ['Capture → display', latency, 'latency'],
    ['Jitter buffer', ms(s.jitterBufferMs), 'jitterBuffer'],
    ['Join → first frame', ms(s.joinToFirstFrameMs), 'joinToFirstFrame'],
    ['Picture', s.width && s.height ? `${s.width} × ${s.height} ${s.codec || ''}`.trim() : null, 'picture'],
    ['Reconnects', String(s.reconnects ?? 0), 'reconnects'],
  ]);
}

export function showJoinForm(show, room) {
  const form = $('join-form');
  $('join-view').hidden = !show;
  document.body.classList.toggle('joining', show);
  if (show) {
    if (room !== undefined && room !== null) form.elements.room.value = room;
    const target = form.elements.room.value ? form.elements.token : form.elements.room;
    target.focus();
  }
}

export function toggleStatsPanel(force) {
  const panel = $('stats-panel');
  const show = force === undefined ? panel.hidden : force;
  panel.hidden = !show;
  $('btn-stats').setAttribute('aria-pressed', String(show));
  return show;
}

export function toggleHelp(force) {
  const dlg = $('help');
  const show = force === undefined ? !dlg.open : force;
  if (show && !dlg.open) dlg.showModal();
  else if (!show && dlg.open) dlg.close();
}

export async function toggleFullscreen() {
  // The picture with its tools and status line: clinicians draw full screen too.
  const work = $('work');
  try {
    if (document.fullscreenElement) await document.exitFullscreen();
    else if (work.requestFullscreen) await work.requestFullscreen();
  } catch {
    /* refused (no user gesture, or not allowed): nothing to undo */
  }
}

// ---- annotations ----

// Tools for clinicians; everyone else is told why there are none.
export function showTools(role) {
  const clinician = role === 'clinician';
  $('tools').hidden = !clinician;
  const note = $('annot-note');
  let text = '';
  if (role && !clinician) {
    text = `You joined as ${role === 'observer' ? 'an observer' : `“${role}”`}: you see everyone's marks, ` +
      'pointers and chat, but only clinicians can draw, freeze or write.';
  }
  note.textContent = text;
  note.hidden = !text;
}

let statusTimer = 0;
let restingHint = '';

// The annotation status line: refusals from the relay (rate limits, room
// limits, rights) for holdMs, then the current tool's hint again (a hint is
// given with holdMs 0). Not #error: the session is fine.
export function setAnnotStatus(text, kind = 'hint', holdMs = 8000) {
  const el = $('annot-status');
  clearTimeout(statusTimer);
  statusTimer = 0;
  if (kind === 'hint' && !holdMs) restingHint = text || '';
  el.textContent = text || '';
  el.dataset.kind = text ? kind : '';
  if (text && holdMs > 0) {
    statusTimer = setTimeout(() => {
      el.textContent = restingHint;
      el.dataset.kind = restingHint ? 'hint' : '';
    }, holdMs);
  }
}

export function setFrozen(frozen) {
  const el = $('frozen-banner');
  const text = frozen ? `Frozen by ${frozen.by || 'someone'}` : '';
  if (el.textContent !== text) el.textContent = text;
  el.hidden = !text;
  $('stage').classList.toggle('frozen', !!frozen);
}

// The marks as text, newest last (the canvas is not readable by screen
// readers), each with a delete button for clinicians.
export function renderMarks(items, canDelete, onDelete) {
  const ul = $('marks-list');
  const frag = document.createDocumentFragment();
  for (const m of items) {
    const li = document.createElement('li');
    const what = document.createElement('span');
    what.className = 'mark-what';
    what.append(swatch(m.color), describeMark(m));
    const by = document.createElement('span');
    by.className = 'mark-by';
    by.textContent = ` ${m.by || '?'} ${fmtClock(m.time)}`;
    li.append(what, by);
    li.dataset.id = String(m.id);
    li.dataset.kind = m.kind;
    if (canDelete) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'mark-delete';
      b.textContent = '✕';
      b.setAttribute('aria-label', `Delete ${describeMark(m)} by ${m.by || 'someone'}`);
      b.title = 'Delete this mark';
      b.addEventListener('click', () => onDelete(m.id));
      li.append(b);
    }
    frag.append(li);
  }
  if (!items.length) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = 'No marks.';
    frag.append(li);
  }
  ul.replaceChildren(frag);
  $('marks-count').textContent = items.length ? `(${items.length})` : '';
}

export function renderBookmarks(list) {
  const ul = $('bookmarks-list');
  const frag = document.createDocumentFragment();
  for (const b of list.slice(-50)) {
    const li = document.createElement('li');
    li.textContent = `${fmtClock(b.time)} ${b.label ? `“${b.label}”` : '(no label)'} by ${b.by || '?'}`;
    frag.append(li);
  }
  if (!list.length) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = 'No bookmarks.';
    frag.append(li);
  }
  ul.replaceChildren(frag);
}

// A question in the page (window.prompt blocks the page and cannot be
// styled). Resolves with the text typed ('' without an input field) or null
// when cancelled. One at a time: a second call cancels the first.
let askPending = null;

export function ask({ title, message = '', label = '', input = false, required = false, maxLength = 200, confirm = 'OK' }) {
  const dlg = $('ask');
  const field = $('ask-input');
  if (askPending) askPending(null);
  $('ask-title').textContent = title;
  $('ask-message').textContent = message;
  $('ask-message').hidden = !message;
  $('ask-label').textContent = label;
  $('ask-label').hidden = !input;
  field.hidden = !input;
  field.value = '';
  field.required = required;
  field.maxLength = maxLength;
  $('ask-ok').textContent = confirm;
  return new Promise((resolve) => {
    const finish = (v) => {
      if (askPending !== finish) return;
      askPending = null;
      form.removeEventListener('submit', onSubmit);
      cancel.removeEventListener('click', onCancel);
      dlg.removeEventListener('cancel', onCancel);
      if (dlg.open) dlg.close();
      resolve(v);
    };
    const form = $('ask-form');
    const cancel = $('ask-cancel');
    const onSubmit = (e) => {
      e.preventDefault();
      if (input && required && !field.value.trim()) {
        field.focus();
        return;
      }
      finish(input ? field.value : '');
    };
    const onCancel = (e) => {
      e.preventDefault();
      finish(null);
    };
    askPending = finish;
    form.addEventListener('submit', onSubmit);
    cancel.addEventListener('click', onCancel);
    dlg.addEventListener('cancel', onCancel);
    if (!dlg.open) dlg.showModal();
    (input ? field : $('ask-ok')).focus();
  });
}

// ---- recording ----

// The REC indicator for everyone (rec: the relay's `recording` message
// while on, else null) and the toggle for those who may record.
export function setRecording(rec, canToggle) {
  const on = !!(rec && rec.on);
  const el = $('rec');
  el.replaceChildren();
  if (on) {
    const dot = document.createElement('span');
    dot.className = 'rec-dot';
    dot.setAttribute('aria-hidden', 'true');
    const more = document.createElement('span');
    more.className = 'visually-hidden';
    const since = fmtClock(rec.since_ms);
    more.textContent = `: this session is being recorded${since ? ` since ${since}` : ''}${rec.by ? `, started by ${rec.by}` : ''}`;
    el.append(dot, 'REC', more);
    el.title = more.textContent.slice(2);
  } else {
    el.removeAttribute('title');
  }
  const b = $('btn-record');
  b.hidden = !canToggle;
  b.setAttribute('aria-pressed', String(on));
  b.textContent = on ? 'Stop recording' : 'Record';
  b.title = on ? 'Stop recording this session' : 'Record this session for later review';
}

// A recording that stopped by itself (disk full) or could not start.
export function setRecAlert(text) {
  const el = $('rec-alert');
  if (el.textContent !== (text || '')) el.textContent = text || '';
}
