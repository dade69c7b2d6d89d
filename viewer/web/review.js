// The review page's controller (review.html): a reviewer (or admin) token
// from the link's fragment (removed from the address bar at once) or the
// form; the token's room's recordings listed (GET /recordings/<room>); one
// opened: its details read, its export asked for and followed (POST, then
// GET .../export every 500 ms), annotations.json read into a Timeline, and
// recording.mp4 played through its ticket URL. The overlay (the live
// viewer's overlay.js) shows, for the frame on screen, the annotation
// state the room held then (review_model.js, applying the recorded events
// with the live viewer's AnnotationState). Seek bar, play/pause, frame
// steps (buttons, "," and "."), a list of events that go to their frame,
// downloads (and a burned-in copy on request), and one clear sentence in
// #error for every refusal. window.telesonoReview is the page's contract
// for tests. DOM outside the picture: review_view.js (and ui.js for the
// list of marks, the freeze banner and the help dialog).

import { Overlay } from './overlay.js';
import * as ui from './ui.js';
import { Timeline, tokenClaims, explainFailure, exportReason, fmtDateTime, ROOM_RE, SESSION_RE } from './review_model.js';
import { RecordingsApi, ApiError } from './review_api.js';
import { FramePlayer } from './review_player.js';
import * as view from './review_view.js';

const POLL_MS = 500;
const EXPORT_WAIT_MAX_MS = 15 * 60 * 1000;
const TICKET_REFRESH_MS = 8 * 60 * 1000; // tickets last 10 min
const RELOAD_MIN_GAP_MS = 20000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round1 = (v) => Math.round(v * 10) / 10;

class Stale extends Error {}

class Review {
  api = null;
  room = '';
  claims = null;
  list = null; // the sessions of the last successful list, or null
  session = null; // the opened session's details
  id = '';
  timeline = null;
  files = null;
  exportInfo = { state: '', reason: '', waitMs: null };
  gen = 0; // bumped by every open and by going back to the list
  drawn = null; // the AnnotationState on the canvas now
  opening = null; // {startedAt}
  metrics = {};
  refreshTimer = 0;
  lastReloadAt = -Infinity;
  burning = false;

  constructor() {
    const video = document.getElementById('review-video');
    this.overlay = new Overlay(document.getElementById('stage'), video, document.getElementById('marks'));
    this.player = new FramePlayer(video);
    this.player.addEventListener('frame', (e) => this.onFrame(e.detail.frame));
    this.player.addEventListener('state', (e) => this.onPlayerState(e.detail.type));
  }

  // ---- the list ----

  start(token, roomHint) {
    const claims = tokenClaims(token);
    const room = roomHint || (claims && typeof claims.room === 'string' ? claims.room : '');
    if (!ROOM_RE.test(room)) {
      view.setError('This token names no valid room: open the review link you were given, or ask for a new one.');
      view.showView('token');
      return Promise.resolve();
    }
    this.api = new RecordingsApi(token, room);
    this.room = room;
    this.claims = claims;
    view.setRoom(room, claims);
    view.setError('');
    return this.loadList();
  }

  async loadList() {
    this.back(false);
    view.showView('list');
    view.setState('loading');
    view.renderSessions([], () => {}, 'Loading the recordings…');
    try {
      const list = await this.api.list();
      this.list = list;
      view.setError('');
      const n = list.length;
      view.renderSessions(list, (id) => this.open(id).catch(() => {}),
        n ? `${n} recording${n === 1 ? '' : 's'} of room ${this.room}, newest first.` : `Room ${this.room} has no recordings.`);
      view.setState(`${n} recording${n === 1 ? '' : 's'}`);
    } catch (e) {
      this.list = null;
      view.renderSessions([], () => {}, 'No recordings to show.');
      view.setState('error');
      view.setError(this.explain(e, `list the recordings of room ${this.room}`));
    }
  }

  explain(e, what) {
    if (e instanceof ApiError) return explainFailure(e.status, e.reason, what);
    return `Could not ${what}: ${e && e.message ? e.message : e}`;
  }

  // Leaves the player (and its polling); showList: the list view again.
  back(showList = true) {
    this.gen++;
    clearInterval(this.refreshTimer);
    this.refreshTimer = 0;
    this.player.unload();
    this.timeline = null;
    this.session = null;
    this.id = '';
    this.files = null;
    this.drawn = null;
    this.burning = false;
    this.overlay.marks = [];
    this.overlay.draw();
    if (showList) {
      view.showView('list');
      view.setState(this.list ? `${this.list.length} recordings` : '');
      document.getElementById('main').focus();
    }
  }

  // ---- one recording ----

  // Resolves once its first frame is on screen; rejects with the sentence
  // shown in #error.
  async open(id) {
    if (!this.api) throw new Error('no token yet');
    if (typeof id !== 'string' || !SESSION_RE.test(id)) {
      const msg = 'That is not a recording id.';
      view.setError(msg);
      throw new Error(msg);
    }
    this.back(false);
    const gen = this.gen;
    const check = () => { if (gen !== this.gen) throw new Stale('another recording was opened'); };
    const t0 = performance.now();
    this.opening = { startedAt: t0 };
    this.metrics = {};
    this.id = id;
    view.setError('');
    view.showView('player');
    view.setState('opening');
    view.setTransport(false, 0);
    view.setPlaying(false);
    view.renderEvents([], () => {});
    view.renderDownloads(null);
    view.setBurnNote('');
    view.setPosition(0, 0, 0);
    document.getElementById('session-title').textContent = `Recording ${id}`;
    ui.renderMarks([], false, () => {});
    ui.setFrozen(null);
    try {
      this.session = await this.api.session(id);
      check();
      view.renderDetails(this.session || { id }, null);
      const started = this.session && this.session.started_ms;
      if (started) document.getElementById('session-title').textContent = `Recording of ${fmtDateTime(started)}`;
      view.setExportStatus('Asking the relay for the video…');
      const done = await this.waitExport(gen, false);
      this.metrics.exportWaitMs = round1(performance.now() - t0);
      this.files = done.files || {};
      view.renderDownloads(this.files);
      const aUrl = this.fileUrl('annotations.json');
      const vUrl = this.fileUrl('recording.mp4');
      if (!aUrl || !vUrl) throw new Error('the export lists no recording.mp4 or annotations.json');
      view.setExportStatus('Reading the annotations…');
      const doc = await this.api.fileJson(aUrl, 'read the annotations');
      check();
      this.timeline = new Timeline(doc);
      const tl = this.timeline;
      view.renderDetails(this.session || { id }, tl);
      view.renderEvents(tl.entries(), (k) => this.seekFrame(k));
      if (tl.stream && tl.stream.width > 0 && tl.stream.height > 0) this.overlay.setFallbackSize(tl.stream.width, tl.stream.height);
      view.setExportStatus('Loading the video…');
      this.player.load(tl, vUrl);
      await this.firstFrame(gen);
      this.metrics.openToFirstFrameMs = round1(performance.now() - t0);
      view.setTransport(true, tl.frames);
      view.setExportStatus('');
      view.setState('ready');
      this.refreshTimer = setInterval(() => this.refreshFiles(gen), TICKET_REFRESH_MS);
      return { frames: tl.frames, ...this.metrics };
    } catch (e) {
      if (e instanceof Stale || gen !== this.gen) throw e;
      const msg = this.explain(e, 'open this recording');
      view.setError(msg);
      view.setExportStatus('');
      view.setState('error');
      throw new Error(msg);
    } finally {
      if (gen === this.gen) this.opening = null;
    }
  }

  // A file's URL from the export, only when it is this recording's file on
  // this origin (the relay's answer is not followed anywhere else).
  fileUrl(name) {
    const f = this.files && this.files[name];
    const prefix = `/recordings/${encodeURIComponent(this.room)}/${encodeURIComponent(this.id)}/files/${name}`;
    if (!f || typeof f.url !== 'string' || !(f.url === prefix || f.url.startsWith(`${prefix}?`))) return '';
    return f.url;
  }

  // Asks for the export and polls until it is done (resolves with its
  // state) or failed (throws with the relay's reason).
  async waitExport(gen, burnIn) {
    const t0 = performance.now();
    let st = await this.api.startExport(this.id, burnIn);
    const want = burnIn ? 'annotated.mp4' : 'recording.mp4';
    const ready = (s) => s && s.state === 'done' && s.files && s.files[want];
    for (;;) {
      if (gen !== this.gen) throw new Stale('closed');
      const waited = performance.now() - t0;
      this.exportInfo = { state: st.state, reason: st.reason || '', waitMs: round1(waited) };
      if (ready(st)) return st;
      if (st.state === 'failed') throw new Error(`the export failed: ${exportReason(st.reason)}`);
      if (st.state === 'done') st = await this.api.startExport(this.id, burnIn); // done, but without our file
      if (waited > EXPORT_WAIT_MAX_MS) throw new Error(`the export did not finish within ${EXPORT_WAIT_MAX_MS / 60000} minutes`);
      const what = burnIn ? 'Burning the annotations into a copy' : 'Preparing the video (MP4, no re-encoding)';
      const text = `${what}… ${(waited / 1000).toFixed(1)} s`;
      if (burnIn) view.setBurnNote(text);
      else view.setExportStatus(text);
      await sleep(POLL_MS);
      if (gen !== this.gen) throw new Stale('closed');
      st = await this.api.exportState(this.id);
    }
  }

  firstFrame(gen) {
    return new Promise((resolve, reject) => {
      const v = this.player.video;
      const fail = () => {
        cleanup();
        const err = v.error;
        reject(new Error(`the browser cannot play the video${err && err.message ? ` (${err.message})` : ''}`));
      };
      const ready = async () => {
        cleanup();
        // Frame 0 on screen, deterministically: a seek into it.
        const k = await this.player.seekFrame(0);
        if (gen !== this.gen) reject(new Stale('closed'));
        else if (k !== 0) reject(new Error('the video shows no first frame'));
        else resolve();
      };
      const cleanup = () => {
        v.removeEventListener('loadeddata', ready);
        v.removeEventListener('error', fail);
      };
      if (v.readyState >= 2) ready();
      else {
        v.addEventListener('loadeddata', ready);
        v.addEventListener('error', fail);
      }
    });
  }

  // Fresh tickets for the links and, after a playback error, the video.
  async refreshFiles(gen, reloadVideo = false) {
    try {
      const st = await this.api.exportState(this.id);
      if (gen !== this.gen || !st || !st.files) return;
      this.files = st.files;
      view.renderDownloads(this.files);
      const url = this.fileUrl('recording.mp4');
      if (reloadVideo && url) this.player.reload(url);
    } catch (e) {
      if (gen === this.gen) view.setError(this.explain(e, 'renew the links to the files'));
    }
  }

  async burnIn() {
    if (!this.id || this.burning) return;
    const gen = this.gen;
    this.burning = true;
    document.getElementById('btn-burn').disabled = true;
    view.setBurnNote('Asking the relay for a copy with the annotations burned in…');
    try {
      const done = await this.waitExport(gen, true);
      this.files = done.files;
      view.renderDownloads(this.files);
      view.setBurnNote('The copy with the annotations is ready (in Downloads).');
    } catch (e) {
      if (gen === this.gen && !(e instanceof Stale)) view.setBurnNote(this.explain(e, 'burn the annotations in'));
    } finally {
      if (gen === this.gen) {
        this.burning = false;
        document.getElementById('btn-burn').disabled = false;
      }
    }
  }

  // ---- the picture ----

  onFrame(k) {
    const tl = this.timeline;
    if (!tl) return;
    const st = tl.stateAt(k);
    if (st !== this.drawn) {
      this.drawn = st;
      this.overlay.marks = st.items;
      ui.renderMarks(st.items, false, () => {});
      ui.setFrozen(st.frozen);
      view.markEvents(k);
    }
    // Now, not at the next animation frame: this runs in the video-frame
    // callback, so the marks are composited with the frame they belong to.
    this.overlay.draw();
    view.setPosition(k, tl.frames, tl.ptsOf(k));
  }

  onPlayerState(type) {
    const v = this.player.video;
    view.setPlaying(!v.paused && !v.ended);
    if (type === 'error' && this.timeline && !this.opening) {
      // Most likely an expired ticket on a later range request.
      const now = performance.now();
      if (now - this.lastReloadAt > RELOAD_MIN_GAP_MS) {
        this.lastReloadAt = now;
        this.refreshFiles(this.gen, true);
      } else {
        view.setError(`The video stopped: ${v.error && v.error.message ? v.error.message : 'a playback error'}. Open the recording again.`);
      }
    }
  }

  seekFrame(k) {
    return this.player.seekFrame(k);
  }

  stepFrame(n) {
    return this.player.stepFrame(n);
  }

  info() {
    const v = this.player.video;
    return {
      room: this.room,
      session: this.id,
      view: document.body.dataset.view,
      frames: this.timeline ? this.timeline.frames : 0,
      frame: this.player.frame,
      currentTime: v.currentTime,
      paused: v.paused,
      presented: this.player.decoded,
      videoSize: [v.videoWidth, v.videoHeight],
      export: { ...this.exportInfo },
      metrics: { ...this.metrics },
      error: document.getElementById('error').textContent,
    };
  }
}

const review = new Review();

function readFragment() {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash) return null;
  const params = new URLSearchParams(hash);
  const token = params.get('token');
  // The token must not stay in the address bar, history or screenshots.
  history.replaceState(null, '', window.location.pathname + window.location.search);
  if (!token) return null;
  return { token: token.trim(), room: (params.get('room') || '').trim(), session: (params.get('session') || '').trim() };
}

async function startFromFragment() {
  const f = readFragment();
  if (!f) return false;
  if (f.room && !ROOM_RE.test(f.room)) {
    view.setError('The link’s room name is not valid (1–64 of A–Z, a–z, 0–9, “_”, “-”).');
    view.showView('token');
    return true;
  }
  await review.start(f.token, f.room);
  if (f.session && review.list && review.list.some((s) => s.id === f.session)) review.open(f.session).catch(() => {});
  return true;
}

function onKey(ev) {
  if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const t = ev.target;
  const tag = t && t.tagName;
  if (tag === 'TEXTAREA' || (tag === 'INPUT' && t.type !== 'range') || tag === 'SELECT' || (t && t.isContentEditable)) return;
  if (ev.key === '?') {
    ui.toggleHelp();
    ev.preventDefault();
    return;
  }
  if (document.querySelector('dialog[open]') || !review.timeline) return;
  switch (ev.key) {
    case ',':
      review.stepFrame(-1);
      break;
    case '.':
      review.stepFrame(1);
      break;
    case ' ':
    case 'k':
    case 'K':
      if (ev.key === ' ' && (tag === 'BUTTON' || tag === 'A')) return; // the button's own action
      review.player.togglePlay();
      break;
    case 'Home':
      if (tag === 'INPUT') return; // the range does it
      review.seekFrame(0);
      break;
    case 'End':
      if (tag === 'INPUT') return;
      review.seekFrame(review.timeline.frames - 1);
      break;
    default:
      return;
  }
  ev.preventDefault();
}

function main() {
  const $ = (id) => document.getElementById(id);
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const field = ev.currentTarget.elements.token;
    const token = field.value.trim();
    if (!token) {
      view.setError('Paste the reviewer token you were given.');
      field.focus();
      return;
    }
    field.value = ''; // not kept in the page once used
    review.start(token, '');
  });
  $('btn-refresh').addEventListener('click', () => review.loadList());
  $('btn-list').addEventListener('click', () => review.back(true));
  $('btn-help').addEventListener('click', () => ui.toggleHelp());
  $('help-close').addEventListener('click', () => ui.toggleHelp(false));
  $('btn-play').addEventListener('click', () => review.player.togglePlay());
  $('btn-back').addEventListener('click', () => review.stepFrame(-1));
  $('btn-fwd').addEventListener('click', () => review.stepFrame(1));
  $('btn-burn').addEventListener('click', () => review.burnIn());
  $('seek').addEventListener('input', (ev) => review.seekFrame(Number(ev.currentTarget.value)));
  document.addEventListener('keydown', onKey);
  window.addEventListener('hashchange', () => { startFromFragment(); });
  view.showView('');
  startFromFragment().then((started) => {
    if (!started) {
      view.showView('token');
      $('token').focus();
    }
  });
}

window.telesonoReview = Object.freeze({
  // The sessions of the last list (copies), or null when listing failed or
  // has not finished.
  sessions: () => (review.list ? JSON.parse(JSON.stringify(review.list)) : null),
  // Opens a recording; resolves when its first frame is shown with
  // {frames, exportWaitMs, openToFirstFrameMs}, rejects with the error shown.
  open: (id) => review.open(id),
  frame: () => review.player.frame,
  stepFrame: (n) => review.stepFrame(n),
  seekFrame: (k) => review.seekFrame(k),
  // {seq, items, frozen, bookmarks, chat}: the state drawn for the frame shown.
  state: () => (review.drawn ? review.drawn.snapshot() : null),
  // Beyond the contract, for tests and benchmarks.
  info: () => review.info(),
  timeline: () => (review.timeline ? { frames: review.timeline.frames, pts: review.timeline.pts.slice(), events: review.timeline.entries() } : null),
  play: () => review.player.video.play(),
  pause: () => review.player.video.pause(),
  list: () => review.loadList(),
});

main();
