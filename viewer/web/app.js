// The web viewer's controller: joins a room with a token (from the link's
// fragment or the join form), subscribes over the relay's WebSocket, shows
// the video, and keeps the page's state honest: "connecting", "live",
// "waiting for the stream", "reconnecting" or "error" (#state), one clear
// sentence in #error. A lost relay (socket closed, pings unanswered, media
// failed, session ended) is retried with backoff (200 ms doubling to 2 s)
// and everything is rebuilt; a refused token stops for good. It also keeps
// the statistics behind window.telesono.stats(). It also holds the room's
// annotations: the snapshot after the welcome, then the relay's events in
// order (annotate.js), drawn over the picture (overlay.js), made with the
// tools (tools.js, clinicians only) and the chat (chat.js); refusals of
// annotation requests go to the status line, never to #error. It shows
// whether the room is being recorded (the relay's `recording` messages) and
// lets clinicians turn recording on and off (`record`); a refusal or a
// recording stopped by the relay (disk full) goes to #rec-alert. The DOM is
// drawn by ui.js, the offer and latency by player.js, the counters by
// stats.js.

import { Signalling, SignallingError, relayWsUrl } from './signalling.js';
import { Player } from './player.js';
import { Ring, StatsSampler, round1 } from './stats.js';
import { AnnotationState, COLOR_RE, CHAT_KEPT } from './annotate.js';
import { Overlay } from './overlay.js';
import { Tools } from './tools.js';
import { ChatPanel } from './chat.js';
import * as ui from './ui.js';

const BACKOFF_FIRST_MS = 200;
const BACKOFF_MAX_MS = 2000;
const DISCONNECTED_GRACE_MS = 3000; // ICE "disconnected" this long = lost
const PING_INTERVAL_MS = 2000; // a relay silent for PING_INTERVAL + PING_TIMEOUT is gone
const PING_TIMEOUT_MS = 3000;
const STATS_POLL_MS = 250;
const STATS_DRAW_MS = 1000;
const LATENCY_WINDOW = 600; // samples for p50/p95 (20 s at 30 fps)
const ROOM_RE = /^[A-Za-z0-9_-]{1,64}$/;
const ANNOT_TYPES = ['draw', 'delete', 'undo', 'clear', 'chat', 'freeze', 'bookmark', 'pointer'];
const KIND_NAMES = {
  arrow: 'arrow', line: 'line', caliper: 'caliper', ellipse: 'ellipse', freehand: 'freehand stroke', text: 'text',
};

class LocalError extends Error {}

const zeroCounters = () => ({
  framesDecoded: 0, packetsLost: 0, fps: null, bitrateKbps: null, rttMs: null, jitterMs: null,
  jitterBufferMs: null, width: null, height: null, codec: '', freezeCount: 0, nackCount: 0, pliCount: 0,
});

class App {
  state = '';
  token = '';
  room = '';
  gen = 0; // bumped by every (re)connection, leave and fatal error: stale callbacks compare
  sig = null;
  player = null;
  sampler = null;
  sessionId = '';
  subscribed = false;
  fatal = '';
  retryTimer = 0;
  attempts = 0;
  everJoined = false;
  hadLoss = false;
  stream = null;
  streamEndedAt = 0;
  participants = undefined;
  you = null;
  pcState = 'new';
  disconnectedTimer = 0;
  lastFrameAt = 0;
  lastDecodeAt = 0;
  joinStartedAt = 0;
  attemptStartedAt = 0;
  attemptFirstFrame = false;
  timeline = {}; // this attempt's steps, ms after it started (for benchmarks)
  joinToFirstFrameMs = null;
  lastJoinToFirstFrameMs = null;
  reconnects = 0;
  latency = new Ring(LATENCY_WINDOW);
  latencySource = '';
  receiveLatency = new Ring(LATENCY_WINDOW); // capture -> last packet received
  base = { framesDecoded: 0, packetsLost: 0 }; // counters of earlier connections
  cur = zeroCounters();
  statsDrawnAt = 0;
  restartedAt = -Infinity;
  annot = new AnnotationState();
  colors = new Map(); // sub -> "#rrggbb": a sub keeps its colour for the room's life
  frameCaptureMs = null; // capture time (Unix ms) of the picture shown
  overlay = null;
  tools = null;
  chat = null;
  recording = null; // the relay's `recording` message while the room is recorded

  // The annotation views, once the DOM is there.
  attachAnnotations() {
    this.overlay = new Overlay(document.getElementById('stage'), ui.els.video, document.getElementById('marks'));
    this.tools = new Tools({
      root: document.getElementById('tools'),
      overlay: this.overlay,
      model: this.annot,
      send: (msg) => this.annotRequest(msg),
      sendPointer: (msg) => { if (this.sig) this.sig.send(msg); },
      frameMs: () => this.frameCaptureMs,
      ask: (o) => ui.ask(o),
      hint: (t, transient) => ui.setAnnotStatus(t, 'hint', transient ? 5000 : 0),
    });
    this.chat = new ChatPanel({
      list: document.getElementById('chat-list'),
      form: document.getElementById('chat-form'),
      note: document.getElementById('chat-note'),
      send: (msg) => this.annotRequest(msg),
      colorOf: (sub) => this.colors.get(sub) || '',
    });
    this.annot.addEventListener('change', (e) => this.onAnnotChange(e.detail));
    this.onAnnotChange({ op: 'load' });
  }

  onAnnotChange(ev) {
    const a = this.annot;
    this.overlay.marks = a.items;
    this.overlay.invalidate();
    const all = ev.op === 'load' || ev.op === 'reset';
    if (all || ev.op !== 'chat') {
      ui.renderMarks(a.items, this.tools.enabled, (id) => this.annotRequest({ type: 'delete', item: id }).catch(() => {}));
    }
    if (all) this.chat.render(a.chat);
    else if (ev.op === 'chat') this.chat.append(a.chat[a.chat.length - 1], CHAT_KEPT);
    if (all || ev.op === 'bookmark') ui.renderBookmarks(a.bookmarks);
    if (all || ev.op === 'freeze') ui.setFrozen(a.frozen);
    if (ev.op === 'freeze' && ev.reason) ui.setAnnotStatus(`Unfrozen: ${ev.from || 'the clinician'} ${ev.reason}.`, 'hint');
  }

  // One annotation request; the relay's event is applied from the socket
  // (signalling.js hands it over in order), the promise is for the tools.
  // A refusal is shown in the status line and rethrown.
  annotRequest(msg) {
    if (!this.sig) {
      ui.setAnnotStatus('Not connected to the relay: nothing was sent.', 'error');
      return Promise.reject(new SignallingError(0, 'not connected to the relay', msg.type));
    }
    return this.sig.request(msg).catch((e) => {
      const what = msg.type === 'draw' && msg.item ? `The ${KIND_NAMES[msg.item.kind] || 'mark'}` : `“${msg.type}”`;
      const code = e.code ? ` (${e.code})` : '';
      ui.setAnnotStatus(`${what} was not accepted: ${e.reason || e.message}${code}.`, 'error');
      throw e;
    });
  }

  // Who may annotate, from the welcome's role.
  applyRole() {
    const role = this.you ? this.you.role : '';
    const clinician = role === 'clinician';
    ui.showTools(role);
    this.tools.setEnabled(clinician);
    this.chat.setEnabled(clinician, role
      ? 'Only clinicians can write in the chat; you can read it.'
      : 'Join a room to chat.');
    this.onAnnotChange({ op: 'load' }); // delete buttons follow the role
    ui.setRecording(this.recording, clinician);
  }

  // A `recording` message (pushed, or the reply to our `record`).
  onRecording(m) {
    this.recording = m.on ? m : null;
    ui.setRecording(this.recording, !!this.you && this.you.role === 'clinician');
    if (m.error) ui.setRecAlert(`Recording stopped: ${m.reason || 'an error at the relay'}.`);
    else if (m.on) ui.setRecAlert('');
  }

  toggleRecording() {
    const on = !this.recording;
    if (!this.sig) return;
    this.sig.request({ type: 'record', on }).then((m) => {
      if (m.type === 'recording') this.onRecording(m);
    }).catch((e) => {
      const code = e.code ? ` (${e.code})` : '';
      ui.setRecAlert(`Recording could not be ${on ? 'started' : 'stopped'}: ${e.reason || e.message}${code}.`);
    });
  }

  learnColors(list) {
    if (!Array.isArray(list)) return;
    for (const p of list) {
      if (p && typeof p.sub === 'string' && typeof p.color === 'string' && COLOR_RE.test(p.color)) {
        this.colors.set(p.sub, p.color.toLowerCase());
      }
    }
    if (this.you && this.colors.has(this.you.sub)) this.tools.color = this.colors.get(this.you.sub);
    // Pointers of people who left go with them.
    const here = new Set(list.map((p) => p && p.sub));
    for (const sub of [...this.overlay.pointers.keys()]) if (!here.has(sub)) this.overlay.pointers.delete(sub);
    this.overlay.invalidate();
    this.chat.recolor(); // names get their colours
  }

  onPointer(m) {
    if (typeof m.from !== 'string') return;
    const ptrs = this.overlay.pointers;
    if (m.hide) {
      ptrs.delete(m.from);
    } else if (typeof m.x === 'number' && typeof m.y === 'number' && Number.isFinite(m.x) && Number.isFinite(m.y)) {
      const color = typeof m.color === 'string' && COLOR_RE.test(m.color) ? m.color : this.colors.get(m.from);
      ptrs.set(m.from, { x: Math.min(1, Math.max(0, m.x)), y: Math.min(1, Math.max(0, m.y)), color });
    }
    this.overlay.invalidate();
  }

  start() {
    setInterval(() => this.updateState(), 250);
    // Counters are read 4 times a second (framesDecoded is what tests and
    // scripts watch); the panel is redrawn once a second.
    setInterval(() => this.pollStats(), STATS_POLL_MS);
    ui.renderStats(this.snapshot());
  }

  join(room, token) {
    this.leave(false);
    this.token = token;
    this.room = room;
    this.fatal = '';
    this.everJoined = false;
    this.hadLoss = false;
    this.attempts = 0;
    this.reconnects = 0;
    this.latency = new Ring(LATENCY_WINDOW);
    this.receiveLatency = new Ring(LATENCY_WINDOW);
    this.base = { framesDecoded: 0, packetsLost: 0 };
    this.cur = zeroCounters();
    this.joinToFirstFrameMs = null;
    this.lastJoinToFirstFrameMs = null;
    this.joinStartedAt = performance.now();
    ui.setError('');
    ui.setRoom(room, null);
    ui.showJoinForm(false);
    this.connect();
  }

  async connect() {
    const gen = ++this.gen;
    this.teardown();
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    this.attemptStartedAt = performance.now();
    this.attemptFirstFrame = false;
    this.timeline = {};
    this.updateState();
    const stale = () => gen !== this.gen;
    const sig = new Signalling(relayWsUrl());
    this.sig = sig;
    sig.addEventListener('push', (e) => { if (!stale()) this.onPush(e.detail); });
    sig.addEventListener('close', (e) => { if (!stale()) this.lost(e.detail.reason); });
    // The offer (certificate, ICE gathering set-up: ~100 ms) is made while
    // the socket opens and joins; it does not depend on the welcome.
    const offer = this.prepareOffer(gen);
    offer.catch(() => { /* reported through the await below */ });
    try {
      await sig.open();
      if (stale()) return;
      this.mark('wsOpen');
      const welcome = await sig.request({ type: 'join', token: this.token });
      if (stale()) return;
      this.mark('welcome');
      this.onWelcome(welcome);
      sig.startKeepalive(PING_INTERVAL_MS, PING_TIMEOUT_MS);
      await this.subscribe(gen, await offer);
      if (stale()) return;
      if (this.hadLoss) this.reconnects++;
      this.hadLoss = false;
      this.attempts = 0;
      ui.setError('');
      this.updateState();
    } catch (e) {
      if (!stale()) this.fail(e);
    }
  }

  async prepareOffer(gen) {
    const player = new Player(ui.els.video);
    this.player = player;
    player.addEventListener('frame', (e) => { if (gen === this.gen) this.onFrame(e.detail); });
    player.addEventListener('state', (e) => { if (gen === this.gen) this.onPcState(e.detail); });
    const sdp = await player.createOffer();
    if (gen === this.gen) this.mark('offer');
    return sdp;
  }

  async subscribe(gen, offer) {
    const player = this.player;
    if (gen !== this.gen || !player) return;
    const ans = await this.sig.request({ type: 'subscribe', sdp: offer });
    if (gen !== this.gen) return;
    this.mark('answer');
    this.sessionId = ans.session;
    await player.acceptAnswer(ans.sdp);
    if (gen !== this.gen) return;
    this.sampler = new StatsSampler(player.pc);
    this.subscribed = true;
    ui.renderMeta(this.stream, player.codec);
  }

  onWelcome(m) {
    if (this.room && m.room !== this.room) {
      throw new LocalError(`The token is for room “${m.room}”, not “${this.room}”: ask for a token for this room.`);
    }
    this.room = m.room;
    this.you = m.you || null;
    this.recording = null; // told again after the snapshot if it is on
    this.everJoined = true;
    this.setStream(m.stream || null);
    this.participants = Array.isArray(m.participants) ? m.participants : undefined;
    ui.setRoom(this.room, this.you);
    ui.renderParticipants(this.participants, this.you);
    this.applyRole();
    this.learnColors(this.participants || []);
  }

  setStream(s) {
    const wasLive = this.stream && this.stream.live !== false;
    this.stream = s;
    if (s && s.width > 0 && s.height > 0) this.overlay.setFallbackSize(s.width, s.height);
    if (s && s.live === false && (wasLive || !this.streamEndedAt)) this.streamEndedAt = performance.now();
    ui.renderMeta(s, this.player ? this.player.codec : '');
  }

  onPush(m) {
    switch (m.type) {
      case 'stream':
        this.setStream(m.stream || null);
        // A publisher with the other codec sends this subscriber nothing
        // (docs/protocol.md, WHEP): subscribe again so the relay picks it.
        // At most once in 10 s, should metadata and media ever disagree.
        if (m.stream && m.stream.live && m.stream.codec && this.player && this.player.codec &&
            m.stream.codec !== this.player.codec && performance.now() - this.restartedAt > 10000) {
          this.restartedAt = performance.now();
          this.restart();
          return;
        }
        break;
      case 'presence':
        this.participants = Array.isArray(m.participants) ? m.participants : [];
        ui.renderParticipants(this.participants, this.you);
        this.learnColors(this.participants);
        break;
      case 'annotations':
        this.tools.reset(); // previews of a lost socket never get their event
        this.annot.load(m);
        return;
      case 'event':
        this.annot.apply(m);
        return;
      case 'pointer':
        this.onPointer(m);
        return;
      case 'recording':
        this.onRecording(m);
        return;
      case 'error':
        // Pushed: a pointer refused, or a reply that came after its request
        // gave up waiting.
        if (ANNOT_TYPES.includes(m.ref)) ui.setAnnotStatus(`“${m.ref}” was not accepted: ${m.reason} (${m.code}).`, 'error');
        break;
      case 'session':
        if (m.session === this.sessionId && m.state === 'closed') {
          this.lost(`the relay ended the video session: ${m.reason || 'no reason given'}`);
          return;
        }
        break;
      default:
        break; // pushed errors without an id, future messages: nothing to do
    }
    this.updateState();
  }

  onPcState(s) {
    this.pcState = s;
    if (s === 'connected' && !this.timeline.connected) this.mark('connected');
    clearTimeout(this.disconnectedTimer);
    this.disconnectedTimer = 0;
    if (s === 'failed') {
      this.lost('the media connection failed');
      return;
    }
    if (s === 'disconnected') {
      // Often back by itself within a second or two; rebuild if it is not.
      ui.setError('The connection to the relay is interrupted; waiting for it to come back…');
      this.disconnectedTimer = setTimeout(() => this.lost('the media connection was interrupted'),
        DISCONNECTED_GRACE_MS);
    } else if (s === 'connected' && !this.retryTimer) {
      ui.setError('');
    }
    this.updateState();
  }

  onFrame(f) {
    const now = performance.now();
    this.lastFrameAt = now;
    this.frameCaptureMs = f.captureUnixMs;
    if (!this.attemptFirstFrame) {
      this.attemptFirstFrame = true;
      this.lastJoinToFirstFrameMs = round1(f.now - this.attemptStartedAt);
      this.timeline.firstFrame = this.lastJoinToFirstFrameMs;
      if (this.joinToFirstFrameMs === null) this.joinToFirstFrameMs = round1(f.now - this.joinStartedAt);
      this.pollStats(); // framesDecoded shows up at once, not a second later
    }
    if (f.latencyMs) {
      this.latency.push(f.latencyMs.ms);
      this.latencySource = f.latencyMs.source;
    }
    if (f.receiveMs) this.receiveLatency.push(f.receiveMs.ms);
    if (this.state !== 'live') this.updateState();
  }

  mark(step) {
    this.timeline[step] = round1(performance.now() - this.attemptStartedAt);
  }

  // A failure of the current attempt, before or after it was up.
  fail(e) {
    if (e instanceof LocalError) {
      this.stopWithError(e.message);
      return;
    }
    if (e instanceof SignallingError && e.code) {
      if (e.code === 401 || e.code === 403 || e.ref === 'join') {
        this.stopWithError(`The relay refused the token: ${e.reason}`);
        return;
      }
      if (e.code === 400 || e.code === 406 || e.code === 413) {
        this.stopWithError(`The relay cannot send this stream to this browser: ${e.reason}`);
        return;
      }
      this.lost(`${e.reason} (${e.code})`); // 404, 503: try again
      return;
    }
    this.lost(e && e.message ? e.message : String(e));
  }

  // The relay is gone or the media broke: rebuild everything after a backoff.
  lost(reason) {
    if (this.fatal || !this.token || this.retryTimer) return;
    this.gen++;
    this.teardown();
    if (this.everJoined) this.hadLoss = true;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempts);
    this.attempts++;
    const what = this.everJoined ? 'Lost the connection to the relay' : 'Cannot reach the relay';
    ui.setError(`${what} (${reason}). Reconnecting automatically…`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = 0;
      this.connect();
    }, delay);
    this.updateState();
  }

  // Subscribe again at once, without an error (codec change).
  restart() {
    this.gen++;
    this.teardown();
    this.connect();
  }

  reconnectNow() {
    if (!this.token) {
      ui.showJoinForm(true, this.room);
      return;
    }
    this.fatal = '';
    this.attempts = 0;
    if (this.everJoined) this.hadLoss = true;
    ui.setError('');
    this.connect();
  }

  stopWithError(msg) {
    this.gen++;
    this.teardown();
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    this.fatal = msg;
    ui.setError(msg);
    this.updateState();
    ui.showJoinForm(true, this.room);
  }

  leave(showForm = true) {
    this.gen++;
    this.teardown();
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    this.token = '';
    this.fatal = '';
    this.stream = null;
    this.participants = undefined;
    this.you = null;
    this.frameCaptureMs = null;
    this.recording = null;
    ui.setRecAlert('');
    this.colors.clear();
    this.overlay.pointers.clear();
    this.annot.clearAll();
    this.applyRole();
    ui.els.video.srcObject = null;
    if (showForm) {
      ui.setError('');
      ui.setRoom('', null);
      ui.renderParticipants(null, null);
      ui.renderMeta(null, '');
      ui.showJoinForm(true, this.room);
    }
    this.updateState();
  }

  teardown() {
    if (this.sig) this.sig.close();
    this.sig = null;
    if (this.player) {
      // Keep totals across connections: each peer connection counts from 0.
      this.base.framesDecoded += this.cur.framesDecoded;
      this.base.packetsLost += this.cur.packetsLost;
      this.cur = { ...zeroCounters(), rttMs: null };
      this.player.close();
    }
    this.player = null;
    this.sampler = null;
    if (this.tools) this.tools.reset();
    if (this.overlay) {
      this.overlay.pointers.clear();
      this.overlay.invalidate();
    }
    this.sessionId = '';
    this.subscribed = false;
    this.pcState = 'new';
    clearTimeout(this.disconnectedTimer);
    this.disconnectedTimer = 0;
  }

  async pollStats() {
    const sampler = this.sampler;
    if (sampler) {
      try {
        const s = await sampler.poll();
        if (sampler !== this.sampler) return; // replaced while polling
        if (s.framesDecoded > this.cur.framesDecoded) this.lastDecodeAt = performance.now();
        this.cur = s;
      } catch {
        /* the connection closed under us: the next poll uses the new one */
      }
    }
    const now = performance.now();
    if (now - this.statsDrawnAt >= STATS_DRAW_MS - STATS_POLL_MS / 2) {
      this.statsDrawnAt = now;
      ui.renderStats(this.snapshot());
    }
  }

  staleMs() {
    const fps = this.stream && this.stream.fps;
    return Math.max(2500, fps ? 3500 / fps : 0);
  }

  computeState() {
    if (this.fatal) return 'error';
    if (!this.token) return '';
    if (this.retryTimer || (this.hadLoss && !this.subscribed)) return 'reconnecting';
    if (!this.subscribed) return 'connecting';
    if (this.pcState === 'disconnected' || this.pcState === 'failed') return 'reconnecting';
    const lastPicture = Math.max(this.lastFrameAt, this.lastDecodeAt);
    const fresh = this.pcState === 'connected' && lastPicture > 0 &&
      performance.now() - lastPicture < this.staleMs();
    // The publisher ended after the last picture: the room is empty now,
    // even if the last frame is recent. A new publisher without metadata
    // keeps live:false but sends pictures again.
    // Frames already in the jitter buffer are shown, and stats polls see
    // them decoded, a little after the end: only later ones are new.
    const ended = this.stream && this.stream.live === false &&
      this.lastFrameAt <= this.streamEndedAt + 500 && this.lastDecodeAt <= this.streamEndedAt + 1000;
    if (fresh && !ended) return 'live';
    // Pictures stopped (or never came) with the connection up: nobody is
    // sending, whatever the metadata says (a capture that lost its network
    // stays "live" there until the relay times it out).
    if (!this.stream || this.stream.live === false || this.attemptFirstFrame) return 'waiting for the stream';
    return 'connecting';
  }

  updateState() {
    const s = this.computeState();
    if (s !== this.state) {
      this.state = s;
      ui.setState(s, this.room);
    }
  }

  snapshot() {
    const c = this.cur;
    return {
      state: this.state,
      framesDecoded: this.base.framesDecoded + c.framesDecoded,
      fps: c.fps,
      bitrateKbps: c.bitrateKbps,
      packetsLost: this.base.packetsLost + c.packetsLost,
      rttMs: c.rttMs,
      latencyMs: this.latency.summary(),
      joinToFirstFrameMs: this.joinToFirstFrameMs,
      reconnects: this.reconnects,
      // Beyond the contract: when the join started, in ms after navigation
      // began (page load and module start-up before the join).
      joinStartedAtMs: this.token ? round1(this.joinStartedAt) : null,
      // Also beyond the contract, for the statistics panel and benchmarks:
      lastJoinToFirstFrameMs: this.lastJoinToFirstFrameMs,
      joinSteps: { ...this.timeline },
      latencySource: this.latencySource,
      captureToReceiveMs: this.receiveLatency.summary(),
      jitterMs: c.jitterMs,
      jitterBufferMs: c.jitterBufferMs,
      width: c.width,
      height: c.height,
      codec: c.codec,
      freezeCount: c.freezeCount,
      nackCount: c.nackCount,
      pliCount: c.pliCount,
      room: this.room,
      media: this.pcState,
      participants: Array.isArray(this.participants) ? this.participants.length : null,
    };
  }
}

const app = new App();

function readFragment() {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash) return null;
  const params = new URLSearchParams(hash);
  const token = params.get('token');
  if (!token) return null;
  // The token must not stay in the address bar, history or screenshots.
  history.replaceState(null, '', window.location.pathname + window.location.search);
  return { room: (params.get('room') || '').trim(), token: token.trim() };
}

function joinFromFragment() {
  const f = readFragment();
  if (!f) return false;
  if (f.room && !ROOM_RE.test(f.room)) {
    app.stopWithError('The link’s room name is not valid (1–64 of A–Z, a–z, 0–9, “_”, “-”).');
    return true;
  }
  app.join(f.room, f.token);
  return true;
}

function onJoinSubmit(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const room = form.elements.room.value.trim();
  const token = form.elements.token.value.trim();
  if (room && !ROOM_RE.test(room)) {
    ui.setError('The room name is not valid: use 1–64 of A–Z, a–z, 0–9, “_” and “-”.');
    form.elements.room.focus();
    return;
  }
  if (!token) {
    ui.setError('Enter the token you were given to join the room.');
    form.elements.token.focus();
    return;
  }
  form.elements.token.value = ''; // not kept in the page once used
  app.join(room, token);
}

function onKey(ev) {
  if (ev.defaultPrevented) return;
  const t = ev.target;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
  if (!document.querySelector('dialog[open]') && app.tools.handleKey(ev)) {
    ev.preventDefault();
    return;
  }
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  switch (ev.key) {
    case 'f':
    case 'F':
      ui.toggleFullscreen();
      break;
    case 's':
    case 'S':
      ui.toggleStatsPanel();
      break;
    case 'r':
    case 'R':
      app.reconnectNow();
      break;
    case '?':
      ui.toggleHelp();
      break;
    default:
      return;
  }
  ev.preventDefault();
}

function main() {
  app.attachAnnotations();
  document.getElementById('join-form').addEventListener('submit', onJoinSubmit);
  document.getElementById('btn-fullscreen').addEventListener('click', () => ui.toggleFullscreen());
  document.getElementById('btn-stats').addEventListener('click', () => ui.toggleStatsPanel());
  document.getElementById('btn-reconnect').addEventListener('click', () => app.reconnectNow());
  document.getElementById('btn-help').addEventListener('click', () => ui.toggleHelp());
  document.getElementById('help-close').addEventListener('click', () => ui.toggleHelp(false));
  document.getElementById('btn-leave').addEventListener('click', () => app.leave());
  document.getElementById('btn-record').addEventListener('click', () => app.toggleRecording());
  document.addEventListener('keydown', onKey);
  window.addEventListener('hashchange', () => joinFromFragment());
  window.addEventListener('pagehide', () => app.leave(false));
  ui.setState('', '');
  ui.renderParticipants(null, null);
  ui.renderMeta(null, '');
  app.start();
  if (typeof window.RTCPeerConnection !== 'function') {
    app.stopWithError('This browser cannot receive WebRTC video: use a current Chromium, Chrome, Edge, Firefox or Safari.');
    return;
  }
  if (!joinFromFragment()) ui.showJoinForm(true, '');
}

// Answers of the annotation test hook: the relay's event or its refusal.
async function sendAnnotation(msg) {
  try {
    const ev = await app.annotRequest(msg);
    return { ok: true, seq: ev.seq, event: ev };
  } catch (e) {
    return { ok: false, code: e.code || 0, reason: e.reason || e.message };
  }
}

window.telesono = Object.freeze({
  stats: () => app.snapshot(),
  reconnect: () => app.reconnectNow(),
  leave: () => app.leave(),
  // {seq, items, frozen, bookmarks, chat}: the room's state as this page holds it.
  annotations: () => app.annot.snapshot(),
  // For tests: sends one annotation message as the tools would, without the
  // page's role check (the relay is the one that decides).
  sendAnnotation,
  stream: () => (app.stream ? JSON.parse(JSON.stringify(app.stream)) : null),
  // The room's `recording` message while it is recorded, else null.
  recording: () => (app.recording ? JSON.parse(JSON.stringify(app.recording)) : null),
});

main();
