// The review page's player: a <video> playing a recording's MP4, and which
// of its frames is on screen. The displayed frame comes from
// requestVideoFrameCallback (metadata.mediaTime is the presentation time of
// the frame just composited) mapped to a frame index through the
// recording's frame times (review_model.js Timeline); after a seek while
// paused the element's currentTime names it too. Seeking to a frame puts
// currentTime in the middle of that frame's interval, so the decoder lands
// exactly on it; stepping pauses first. It emits 'frame' ({frame}) each time
// the displayed frame changes, synchronously in the video-frame callback so
// the owner can draw the overlay for the same composited frame, and
// 'state' on play/pause/end/errors. It decides nothing about annotations.

const SEEK_TIMEOUT_MS = 4000;

export class FramePlayer extends EventTarget {
  #video;
  #tl = null;
  #frame = -1;
  #target = -1; // the frame a pending seek asked for, -1 when none
  #waiters = []; // [{target, resolve, timer}]
  #rvfcHandle = 0;
  #decoded = 0; // frames presented since load (for tests and the status line)
  firstFrameAt = 0; // performance.now() of the first presented frame

  constructor(video) {
    super();
    this.#video = video;
    for (const t of ['play', 'pause', 'ended', 'waiting', 'playing', 'error', 'loadedmetadata']) {
      video.addEventListener(t, () => this.dispatchEvent(new CustomEvent('state', { detail: { type: t } })));
    }
    video.addEventListener('seeked', () => this.#onSeeked());
    video.addEventListener('timeupdate', () => {
      // Browsers without requestVideoFrameCallback: the nearest we can do.
      if (!this.#hasRvfc() && this.#tl) this.#setFrame(this.#tl.frameAtMs(video.currentTime * 1000));
    });
  }

  get video() {
    return this.#video;
  }

  get frame() {
    return this.#frame;
  }

  get decoded() {
    return this.#decoded;
  }

  get paused() {
    return this.#video.paused;
  }

  #hasRvfc() {
    return typeof this.#video.requestVideoFrameCallback === 'function';
  }

  // Starts playing `url` (the recording's MP4) described by `timeline`.
  load(timeline, url) {
    this.unload();
    this.#tl = timeline;
    this.#video.src = url;
    this.#video.load();
    this.#watch();
  }

  unload() {
    this.#releaseWaiters();
    if (this.#rvfcHandle && this.#hasRvfc()) this.#video.cancelVideoFrameCallback(this.#rvfcHandle);
    this.#rvfcHandle = 0;
    this.#tl = null;
    this.#frame = -1;
    this.#target = -1;
    this.#decoded = 0;
    this.firstFrameAt = 0;
    this.#video.pause();
    this.#video.removeAttribute('src');
    this.#video.load();
  }

  // A new URL for the same file (a fresh ticket), keeping the position.
  reload(url) {
    const v = this.#video;
    const at = v.currentTime;
    const wasPlaying = !v.paused;
    v.src = url;
    v.load();
    v.addEventListener('loadedmetadata', () => {
      v.currentTime = at;
      if (wasPlaying) v.play().catch(() => {});
    }, { once: true });
    this.#watch();
  }

  #watch() {
    if (!this.#hasRvfc()) return;
    if (this.#rvfcHandle) this.#video.cancelVideoFrameCallback(this.#rvfcHandle);
    const onFrame = (now, meta) => {
      this.#rvfcHandle = this.#video.requestVideoFrameCallback(onFrame);
      if (!this.#tl) return;
      this.#decoded++;
      if (!this.firstFrameAt) this.firstFrameAt = performance.now();
      this.#setFrame(this.#tl.frameNearestMs(meta.mediaTime * 1000));
    };
    this.#rvfcHandle = this.#video.requestVideoFrameCallback(onFrame);
  }

  #onSeeked() {
    // Paused, currentTime is where we put it: inside the frame shown. The
    // video-frame callback confirms it when the frame is composited.
    if (this.#tl && this.#video.paused) this.#setFrame(this.#tl.frameAtMs(this.#video.currentTime * 1000));
  }

  #setFrame(k) {
    if (k !== this.#frame) {
      this.#frame = k;
      this.dispatchEvent(new CustomEvent('frame', { detail: { frame: k } }));
    }
    if (k === this.#target) this.#target = -1;
    this.#waiters = this.#waiters.filter((w) => {
      if (w.target !== k) return true;
      clearTimeout(w.timer);
      w.resolve(k);
      return false;
    });
  }

  #releaseWaiters() {
    for (const w of this.#waiters) {
      clearTimeout(w.timer);
      w.resolve(this.#frame);
    }
    this.#waiters = [];
  }

  // Pauses and shows frame k; resolves with the frame displayed once it is
  // k (or with whatever is displayed after SEEK_TIMEOUT_MS).
  seekFrame(k) {
    const tl = this.#tl;
    if (!tl) return Promise.resolve(-1);
    const v = this.#video;
    const target = tl.clampFrame(k);
    if (!v.paused) v.pause();
    if (target === this.#frame && this.#target < 0 && !v.seeking) return Promise.resolve(target);
    this.#target = target;
    let sec = tl.seekMs(target) / 1000;
    if (Number.isFinite(v.duration) && v.duration > 0) sec = Math.min(sec, v.duration - 0.0005);
    v.currentTime = sec;
    return new Promise((resolve) => {
      const w = { target, resolve, timer: 0 };
      w.timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        if (this.#target === target) this.#target = -1;
        resolve(this.#frame);
      }, SEEK_TIMEOUT_MS);
      this.#waiters.push(w);
    });
  }

  // n frames from the one displayed (or from the one a pending seek asked
  // for, so quick key presses add up).
  stepFrame(n) {
    if (!this.#tl) return Promise.resolve(-1);
    const from = this.#target >= 0 ? this.#target : Math.max(0, this.#frame);
    return this.seekFrame(from + Math.trunc(Number(n) || 0));
  }

  async togglePlay() {
    const v = this.#video;
    if (v.paused || v.ended) {
      if (v.ended) v.currentTime = 0;
      try {
        await v.play();
      } catch {
        /* refused (no user gesture): the button stays "Play" */
      }
    } else {
      v.pause();
    }
  }
}
