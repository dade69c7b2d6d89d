// The review page's DOM outside the picture: the list of recordings, the
// session's details and participants, the list of events (each a button
// that goes to its frame), the position readout, downloads, the export
// status and errors. Everything the relay or people wrote (names, chat,
// labels, reasons) goes in with textContent or as attribute values, never
// parsed as HTML. The marks of the displayed frame, the freeze banner and
// the help dialog are drawn by the live viewer's ui.js (same element ids).
// It holds no review logic (review.js decides, this module shows).

import { fmtDateTime, fmtDuration, fmtBytes, fmtMediaTime } from './review_model.js';

const $ = (id) => document.getElementById(id);

const STATE_WORDS = {
  recording: 'recording now',
  complete: 'complete',
  recovered: 'recovered after a relay restart',
  failed: 'stopped by an error',
};

export function setState(text) {
  const el = $('state');
  if (el.textContent !== text) el.textContent = text || '';
}

export function setError(text) {
  const el = $('error');
  if (el.textContent !== (text || '')) el.textContent = text || '';
}

export function setRoom(room, claims) {
  $('room-name').textContent = room ? `Room ${room}` : '';
  $('you').textContent = claims && typeof claims.sub === 'string'
    ? `You: ${claims.sub}${typeof claims.role === 'string' ? ` (${claims.role})` : ''}` : '';
  document.title = room ? `Recordings · ${room} · Telesono` : 'Telesono review';
}

// One of 'token', 'list', 'player' (or '' for none).
export function showView(name) {
  $('token-view').hidden = name !== 'token';
  $('list-view').hidden = name !== 'list';
  $('player-view').hidden = name !== 'player';
  $('btn-list').hidden = name !== 'player';
  document.body.dataset.view = name || 'idle';
}

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '' : String(text);
  if (cls) td.className = cls;
  return td;
}

function participantsOf(s) {
  if (Array.isArray(s.participants)) return s.participants.length;
  if (Number.isInteger(s.participants)) return s.participants;
  if (Number.isInteger(s.participant_count)) return s.participant_count;
  return null;
}

export function durationOf(s) {
  if (typeof s.media_ms === 'number' && s.media_ms > 0) return s.media_ms;
  if (typeof s.ended_ms === 'number' && s.ended_ms > 0 && typeof s.started_ms === 'number') return s.ended_ms - s.started_ms;
  return null;
}

// The sessions as table rows, newest first as the relay sends them; each
// row's button opens it. note: what to say above the table.
export function renderSessions(list, onOpen, note) {
  const body = $('sessions-body');
  const frag = document.createDocumentFragment();
  for (const s of list) {
    const tr = document.createElement('tr');
    tr.dataset.id = s.id;
    tr.dataset.state = typeof s.state === 'string' ? s.state : '';
    const started = fmtDateTime(s.started_ms);
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = started || s.id;
    const dur = durationOf(s);
    const people = participantsOf(s);
    tr.append(
      th,
      cell(dur === null ? (s.state === 'recording' ? 'still recording' : '—') : fmtDuration(dur)),
      cell(STATE_WORDS[s.state] || s.state || '?', `rec-state rec-state-${String(s.state || '').replace(/[^a-z]/g, '')}`),
      cell(s.started_by || '—'),
      cell(people === null ? '—' : people, 'num'),
      cell(Number.isInteger(s.events) ? s.events : '—', 'num'),
      cell(fmtBytes(s.bytes) || '—', 'num'),
    );
    const td = document.createElement('td');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'open';
    b.textContent = 'Open';
    b.dataset.id = s.id;
    b.setAttribute('aria-label', `Open the recording started ${started || s.id}`);
    if (s.state === 'recording') {
      b.disabled = true;
      b.title = 'Still being recorded: it can be reviewed once recording stops';
    }
    b.addEventListener('click', () => onOpen(s.id));
    td.append(b);
    tr.append(td);
    frag.append(tr);
  }
  body.replaceChildren(frag);
  $('list-note').textContent = note || '';
}

export function renderDetails(session, timeline) {
  const rows = [
    ['Recording', session.id],
    ['Started', fmtDateTime(session.started_ms)],
    ['Ended', fmtDateTime(session.ended_ms)],
    ['State', STATE_WORDS[session.state] || session.state],
    ['Started by', session.started_by],
    ['Stop reason', session.stop_reason],
    ['Codec', session.codec],
  ];
  if (timeline) {
    rows.push(['Frames', String(timeline.frames)], ['Length', fmtMediaTime(timeline.durationMs)]);
    const st = timeline.stream;
    if (st && st.width && st.height) rows.push(['Size', `${st.width} × ${st.height} px`]);
    if (st && typeof st.probe === 'string') rows.push(['Probe', st.probe]);
  }
  const dl = $('details');
  const frag = document.createDocumentFragment();
  for (const [k, v] of rows) {
    if (v === null || v === undefined || v === '') continue;
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = String(v);
    frag.append(dt, dd);
  }
  dl.replaceChildren(frag);
  const ul = $('participants');
  const people = Array.isArray(session.participants) ? session.participants : [];
  const pf = document.createDocumentFragment();
  for (const p of people) {
    if (!p || typeof p.sub !== 'string') continue;
    const li = document.createElement('li');
    const joined = fmtDateTime(p.joined_ms);
    const left = p.left_ms ? fmtDateTime(p.left_ms) : '';
    li.textContent = `${p.sub} (${typeof p.role === 'string' ? p.role : '?'})${joined ? `, ${joined}` : ''}${left ? ` – ${left.slice(11)}` : ''}`;
    pf.append(li);
  }
  if (!pf.childNodes.length) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = 'None recorded.';
    pf.append(li);
  }
  ul.replaceChildren(pf);
}

// The events as buttons in an ordered list; onSeek(frame) on a click.
export function renderEvents(entries, onSeek) {
  const ol = $('events-list');
  const frag = document.createDocumentFragment();
  for (const e of entries) {
    const li = document.createElement('li');
    li.dataset.frame = String(e.frame);
    li.dataset.kind = e.kind;
    li.dataset.seq = String(e.seq);
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'event';
    const when = document.createElement('span');
    when.className = 'event-when';
    when.textContent = `${fmtMediaTime(e.ms)} · frame ${e.frame}`;
    const what = document.createElement('span');
    what.className = 'event-what';
    what.textContent = e.text;
    b.append(when, ' ', what);
    b.addEventListener('click', () => onSeek(e.frame));
    li.append(b);
    frag.append(li);
  }
  if (!entries.length) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = 'No annotations, bookmarks or chat in this recording.';
    frag.append(li);
  }
  ol.replaceChildren(frag);
  $('events-count').textContent = entries.length ? `(${entries.length})` : '';
}

// Events at or before `frame` are marked past; the last of them is current.
export function markEvents(frame) {
  const items = $('events-list').querySelectorAll('li[data-frame]');
  let last = null;
  for (const li of items) {
    const past = Number(li.dataset.frame) <= frame;
    li.classList.toggle('past', past);
    li.querySelector('button').removeAttribute('aria-current');
    if (past) last = li;
  }
  if (last) last.querySelector('button').setAttribute('aria-current', 'true');
}

export function setPosition(frame, frames, ms) {
  const seek = $('seek');
  const text = frames ? `Frame ${frame} (0–${frames - 1}) · ${fmtMediaTime(ms)}` : '';
  // Setting the value fires no 'input': it never seeks by itself.
  if (seek.value !== String(frame)) seek.value = String(Math.max(0, frame));
  seek.setAttribute('aria-valuetext', text);
  const out = $('position');
  if (out.textContent !== text) out.textContent = text;
}

export function setTransport(enabled, frames) {
  const seek = $('seek');
  seek.max = String(Math.max(0, frames - 1));
  seek.disabled = !enabled;
  for (const id of ['btn-play', 'btn-back', 'btn-fwd']) $(id).disabled = !enabled;
}

export function setPlaying(playing) {
  const b = $('btn-play');
  b.textContent = playing ? 'Pause' : 'Play';
  b.setAttribute('aria-label', `${playing ? 'Pause' : 'Play'} (shortcut space)`);
}

export function setExportStatus(text, kind = '') {
  const el = $('export-status');
  el.textContent = text || '';
  el.dataset.kind = kind;
  el.hidden = !text;
}

export function setBurnNote(text) {
  $('burn-note').textContent = text || '';
}

// Links to the files the export made: name -> {bytes, url}.
export function renderDownloads(files) {
  const ul = $('downloads');
  const frag = document.createDocumentFragment();
  const names = {
    'recording.mp4': 'The video (MP4, as recorded)',
    'annotations.json': 'The annotations (JSON)',
    'annotated.mp4': 'The video with the annotations burned in (MP4)',
  };
  for (const [name, label] of Object.entries(names)) {
    const f = files && files[name];
    if (!f || typeof f.url !== 'string') continue;
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = f.url;
    a.download = name;
    a.dataset.file = name;
    a.textContent = label;
    li.append(a);
    if (typeof f.bytes === 'number') li.append(` ${fmtBytes(f.bytes)}`);
    frag.append(li);
  }
  if (!frag.childNodes.length) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = 'Nothing to download yet.';
    frag.append(li);
  }
  ul.replaceChildren(frag);
}
