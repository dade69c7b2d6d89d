// UI: everything that touches the page's DOM. It renders state, errors,
// participants, stream metadata and statistics with textContent only (names
// and probe strings come from other people: never parsed as HTML), and
// drives the join form, the help dialog, the statistics panel and
// fullscreen. It holds no session logic (app.js decides, this module shows).

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

export function renderParticipants(list, you) {
  const ul = els.participants;
  ul.replaceChildren();
  const people = Array.isArray(list) ? list : [];
  for (const p of people) {
    if (!p || typeof p.sub !== 'string') continue;
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'who';
    name.textContent = p.sub;
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
  const stage = $('stage');
  try {
    if (document.fullscreenElement) await document.exitFullscreen();
    else if (stage.requestFullscreen) await stage.requestFullscreen();
  } catch {
    /* refused (no user gesture, or not allowed): nothing to undo */
  }
}
