// Statistics: the latency arithmetic (capture-to-display from the
// abs-capture-time RTP header extension), a ring of latency samples with
// percentiles, and a once-a-second reader of RTCPeerConnection.getStats()
// (inbound video: frames, frame rate, bitrate, loss, jitter; the selected
// candidate pair's round-trip time). Pure functions and small classes; no DOM.

// abs-capture-time is a 64-bit NTP timestamp (seconds since 1900); Chromium
// reports it as RTCRtpSynchronizationSource.captureTimestamp in NTP
// milliseconds. Unix epoch = NTP epoch + 70 years (17 leap days).
export const NTP_UNIX_OFFSET_MS = 2208988800000;

// Latency of one shown frame, or null when it cannot be known.
//  md:           requestVideoFrameCallback metadata (performance-clock ms)
//  captureNtpMs: the frame's abs-capture-time (NTP ms, the capture's clock),
//                or undefined
//  wallNowMs / perfNowMs: Date.now() and performance.now() read together,
//                to carry the display time from the performance clock to
//                the wall clock the capture stamped its frames with.
// With abs-capture-time the result is only as right as the two machines'
// clocks agree (exact on one machine; NTP-synchronised hosts: a few ms).
export function captureToDisplayMs(md, captureNtpMs, wallNowMs, perfNowMs) {
  if (!md) return null;
  const displayPerfMs = typeof md.expectedDisplayTime === 'number' ? md.expectedDisplayTime : md.presentationTime;
  if (typeof displayPerfMs !== 'number') return null;
  let ms = null;
  let source = '';
  if (typeof captureNtpMs === 'number' && captureNtpMs > 0) {
    const displayWallMs = wallNowMs + (displayPerfMs - perfNowMs);
    ms = displayWallMs - (captureNtpMs - NTP_UNIX_OFFSET_MS);
    source = 'abs-capture-time';
  } else if (typeof md.captureTime === 'number' && md.captureTime > 0) {
    // Chromium fills captureTime from RTCP sender reports when it can map
    // them to its own clock; already in the performance clock.
    ms = displayPerfMs - md.captureTime;
    source = 'rtcp';
  }
  if (ms === null || !Number.isFinite(ms) || ms < -1000 || ms > 60000) return null;
  return { ms, source };
}

// Nearest-rank percentile of an unsorted array (p in 0..100).
export function percentile(values, p) {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

// The last `capacity` samples, plus how many were ever added.
export class Ring {
  #buf;
  #next = 0;
  #size = 0;
  total = 0;
  last = null;

  constructor(capacity) {
    this.#buf = new Array(capacity);
  }

  push(v) {
    this.#buf[this.#next] = v;
    this.#next = (this.#next + 1) % this.#buf.length;
    this.#size = Math.min(this.#size + 1, this.#buf.length);
    this.total++;
    this.last = v;
  }

  values() {
    return this.#buf.slice(0, this.#size);
  }

  summary() {
    const v = this.values();
    return { last: round1(this.last), p50: round1(percentile(v, 50)), p95: round1(percentile(v, 95)), count: this.total };
  }
}

export function round1(x) {
  return x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10) / 10;
}

// Reads getStats() of one peer connection; each poll returns the numbers of
// that connection (counters since it started) and rates over the last
// second or so (polls may come faster than once a second).
export const RATE_WINDOW_MS = 1000;

export class StatsSampler {
  #pc;
  #history = []; // {t, bytes, frames}, oldest first, spanning >= RATE_WINDOW_MS

  constructor(pc) {
    this.#pc = pc;
  }

  async poll() {
    const report = await this.#pc.getStats();
    let inbound = null;
    let transport = null;
    const byId = new Map();
    report.forEach((s) => {
      byId.set(s.id, s);
      if (s.type === 'inbound-rtp' && (s.kind === 'video' || s.mediaType === 'video')) inbound = s;
      if (s.type === 'transport') transport = s;
    });
    const out = {
      framesDecoded: 0, fps: null, bitrateKbps: null, packetsLost: 0, jitterMs: null, rttMs: null,
      width: null, height: null, codec: '', jitterBufferMs: null, freezeCount: 0, nackCount: 0, pliCount: 0,
      packetsReceived: 0, decoder: '',
    };
    if (inbound) {
      out.framesDecoded = inbound.framesDecoded || 0;
      out.packetsLost = inbound.packetsLost || 0;
      out.packetsReceived = inbound.packetsReceived || 0;
      out.jitterMs = typeof inbound.jitter === 'number' ? round1(inbound.jitter * 1000) : null;
      out.width = inbound.frameWidth || null;
      out.height = inbound.frameHeight || null;
      out.freezeCount = inbound.freezeCount || 0;
      out.nackCount = inbound.nackCount || 0;
      out.pliCount = inbound.pliCount || 0;
      out.decoder = inbound.decoderImplementation || '';
      if (inbound.jitterBufferEmittedCount > 0)
        out.jitterBufferMs = round1((inbound.jitterBufferDelay / inbound.jitterBufferEmittedCount) * 1000);
      const codec = inbound.codecId ? byId.get(inbound.codecId) : null;
      if (codec) out.codec = codec.mimeType.replace(/^video\//i, '');
      const t = inbound.timestamp;
      const bytes = inbound.bytesReceived || 0;
      const h = this.#history;
      if (!h.length || t > h[h.length - 1].t) h.push({ t, bytes, frames: out.framesDecoded });
      while (h.length > 2 && t - h[1].t >= RATE_WINDOW_MS) h.shift();
      const first = h[0];
      if (t > first.t) {
        const dt = (t - first.t) / 1000;
        out.bitrateKbps = round1(((bytes - first.bytes) * 8) / 1000 / dt);
        out.fps = round1((out.framesDecoded - first.frames) / dt);
      }
      if (typeof inbound.framesPerSecond === 'number') out.fps = round1(inbound.framesPerSecond);
    }
    let pair = transport && transport.selectedCandidatePairId ? byId.get(transport.selectedCandidatePairId) : null;
    if (!pair) {
      report.forEach((s) => {
        if (!pair && s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
      });
    }
    if (pair && typeof pair.currentRoundTripTime === 'number') out.rttMs = round1(pair.currentRoundTripTime * 1000);
    return out;
  }
}
