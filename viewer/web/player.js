// Player: one receive-only RTCPeerConnection to the relay and the video
// element it feeds. It builds the offer the relay accepts (relay/sdp.c: one
// recvonly video m-section, rtcp-mux, sha-256 fingerprint; H.264
// constrained baseline 42e01f preferred, then VP8; the abs-capture-time
// header extension, which Chromium leaves "stopped" unless asked), applies
// the answer, asks for the smallest jitter buffer, and measures
// capture-to-display latency for every frame shown. It does not signal (the
// caller carries the SDP) and does not reconnect.

import { captureToDisplayMs, NTP_UNIX_OFFSET_MS } from './stats.js';

const ABS_CAPTURE_TIME = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time';

// H.264 with packetization-mode=1 and a baseline profile_idc (42), the only
// H.264 the relay forwards; 42e01f first (the relay's own first choice).
function codecRank(c) {
  const mime = c.mimeType.toLowerCase();
  const fmtp = (c.sdpFmtpLine || '').toLowerCase();
  if (mime === 'video/h264') {
    if (!/packetization-mode=1/.test(fmtp)) return -1;
    const plid = /profile-level-id=([0-9a-f]{6})/.exec(fmtp);
    const p = plid ? plid[1] : '42001f';
    if (!p.startsWith('42')) return -1;
    if (p === '42e01f') return 0;
    return 1;
  }
  if (mime === 'video/vp8') return 2;
  return -1; // RTX, RED, FEC, VP9, AV1: the relay accepts none of them
}

export function preferredCodecs(capabilities) {
  if (!capabilities || !capabilities.codecs) return [];
  return capabilities.codecs
    .map((c) => ({ c, r: codecRank(c) }))
    .filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r)
    .map((x) => x.c);
}

// The codec the answer chose: the first payload type of its m=video line.
export function answerCodec(sdp) {
  const m = /^m=video \d+ [^ ]+ (\d+)/m.exec(sdp || '');
  if (!m) return '';
  const rtpmap = new RegExp(`^a=rtpmap:${m[1]} ([^/\\r\\n]+)`, 'm').exec(sdp);
  if (!rtpmap) return '';
  return rtpmap[1].toUpperCase() === 'H264' ? 'H264' : rtpmap[1].toUpperCase();
}

export class Player extends EventTarget {
  #pc = null;
  #transceiver = null;
  #video;
  #closed = false;
  #captureByRtp = new Map(); // RTP timestamp -> abs-capture-time (NTP ms)
  codec = '';
  absCaptureTime = false; // negotiated abs-capture-time

  constructor(video) {
    super();
    this.#video = video;
  }

  get pc() {
    return this.#pc;
  }

  get receiver() {
    return this.#transceiver ? this.#transceiver.receiver : null;
  }

  async createOffer() {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    this.#pc = pc;
    const tr = pc.addTransceiver('video', { direction: 'recvonly' });
    this.#transceiver = tr;
    if (typeof tr.setCodecPreferences === 'function' && typeof RTCRtpReceiver.getCapabilities === 'function') {
      const codecs = preferredCodecs(RTCRtpReceiver.getCapabilities('video'));
      if (codecs.length) {
        try { tr.setCodecPreferences(codecs); } catch { /* keep the browser's order */ }
      }
    }
    this.#enableAbsCaptureTime(tr);
    this.#minimiseDelay(tr.receiver);
    pc.addEventListener('track', (ev) => this.#onTrack(ev));
    pc.addEventListener('connectionstatechange', () => {
      this.dispatchEvent(new CustomEvent('state', { detail: pc.connectionState }));
    });
    const offer = await pc.createOffer();
    // No trickle and no wait for gathering: the relay is ICE-lite and learns
    // the browser's address from its connectivity checks (docs/protocol.md).
    await pc.setLocalDescription(offer);
    return pc.localDescription.sdp;
  }

  async acceptAnswer(sdp) {
    this.codec = answerCodec(sdp);
    this.absCaptureTime = sdp.includes(ABS_CAPTURE_TIME);
    await this.#pc.setRemoteDescription({ type: 'answer', sdp });
    this.#minimiseDelay(this.receiver); // some browsers reset it on negotiation
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pc) this.#pc.close();
  }

  #enableAbsCaptureTime(tr) {
    if (typeof tr.getHeaderExtensionsToNegotiate !== 'function') return;
    try {
      const exts = tr.getHeaderExtensionsToNegotiate();
      let found = false;
      for (const e of exts) {
        if (e.uri === ABS_CAPTURE_TIME) {
          e.direction = 'recvonly';
          found = true;
        }
      }
      if (found) tr.setHeaderExtensionsToNegotiate(exts);
    } catch {
      /* without it there is no capture time: latency stays unmeasured */
    }
  }

  #minimiseDelay(receiver) {
    if (!receiver) return;
    // jitterBufferTarget (ms, standard) and playoutDelayHint (s, older
    // Chromium): 0 asks for the smallest buffer the receiver can play from.
    try { if ('jitterBufferTarget' in receiver) receiver.jitterBufferTarget = 0; } catch { /* ignore */ }
    try { if ('playoutDelayHint' in receiver) receiver.playoutDelayHint = 0; } catch { /* ignore */ }
  }

  #onTrack(ev) {
    if (this.#closed) return;
    const stream = ev.streams && ev.streams[0] ? ev.streams[0] : new MediaStream([ev.track]);
    this.#video.srcObject = stream;
    const p = this.#video.play();
    if (p && p.catch) p.catch(() => { /* autoplay of a muted video is allowed; ignore */ });
    this.#watchFrames();
    this.dispatchEvent(new CustomEvent('track', { detail: ev.track }));
  }

  #watchFrames() {
    const v = this.#video;
    if (typeof v.requestVideoFrameCallback !== 'function') return;
    const onFrame = (now, md) => {
      if (this.#closed) return;
      this.dispatchEvent(new CustomEvent('frame', { detail: this.#frameInfo(now, md) }));
      v.requestVideoFrameCallback(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
  }

  // The capture time of a shown frame whose own was never reported (the
  // track had moved on to a newer frame when the callback ran): the newest
  // recorded frame's plus the RTP clock's difference (90 kHz for video),
  // within 10 s. For frame_ms only: latency statistics use reported times.
  #captureFromNeighbour(md) {
    if (!md || md.rtpTimestamp === undefined || !this.#captureByRtp.size) return undefined;
    let ref = null;
    for (const e of this.#captureByRtp) ref = e; // insertion order: the last is the newest
    let d = (md.rtpTimestamp - ref[0]) >>> 0;
    if (d >= 2 ** 31) d -= 2 ** 32;
    if (Math.abs(d) > 90 * 10000) return undefined;
    return ref[1] + d / 90;
  }

  // Latency of the frame being shown. The frame's abs-capture-time is found
  // through its RTP timestamp: getSynchronizationSources() reports the
  // capture time of the last frame handed to the track, so each callback
  // records it, and the shown frame is looked up by metadata.rtpTimestamp.
  #frameInfo(now, md) {
    const wallNowMs = Date.now();
    const perfNowMs = performance.now();
    const rec = this.receiver;
    if (rec && typeof rec.getSynchronizationSources === 'function') {
      for (const s of rec.getSynchronizationSources()) {
        if (typeof s.captureTimestamp === 'number' && s.captureTimestamp > 0)
          this.#captureByRtp.set(s.rtpTimestamp, s.captureTimestamp);
      }
      while (this.#captureByRtp.size > 64) this.#captureByRtp.delete(this.#captureByRtp.keys().next().value);
    }
    const captureNtpMs = md && md.rtpTimestamp !== undefined ? this.#captureByRtp.get(md.rtpTimestamp) : undefined;
    const frameNtpMs = captureNtpMs ?? this.#captureFromNeighbour(md);
    return {
      now,
      // The shown frame's capture time on the Unix clock (ms), the frame_ms
      // of annotations drawn on it; null without abs-capture-time.
      captureUnixMs: typeof frameNtpMs === 'number' && frameNtpMs > NTP_UNIX_OFFSET_MS
        ? Math.round(frameNtpMs - NTP_UNIX_OFFSET_MS) : null,
      width: md ? md.width : 0,
      height: md ? md.height : 0,
      latencyMs: captureToDisplayMs(md, captureNtpMs, wallNowMs, perfNowMs),
      // The part before the browser: capture, encoding, network, relay, up
      // to the frame's last packet (metadata.receiveTime).
      receiveMs: md && typeof md.receiveTime === 'number'
        ? captureToDisplayMs({ expectedDisplayTime: md.receiveTime }, captureNtpMs, wallNowMs, perfNowMs)
        : null,
    };
  }
}
