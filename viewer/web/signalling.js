// Signalling: one WebSocket to the relay's /ws channel (docs/protocol.md,
// "WebSocket channel"). It sends JSON requests with an id and resolves each
// with the reply carrying the same id (or rejects with a SignallingError for
// an `error` reply); messages without a known id (stream, presence, session)
// are handed to the 'push' listeners. A keep-alive ping detects a relay that
// stopped answering while the TCP connection looks open (a network drop).
// Annotation events are the one exception to "a reply goes to its request
// only": an `event` is also handed to the 'push' listeners, first, so that
// the room's state applies every event in the socket's order, one's own
// included. It does not reconnect: the caller (app.js) owns the retry policy.

export class SignallingError extends Error {
  constructor(code, reason, ref) {
    super(reason || `error ${code}`);
    this.name = 'SignallingError';
    this.code = code; // HTTP-style status from the relay, or 0 for a local failure
    this.reason = reason || '';
    this.ref = ref || '';
  }
}

export function relayWsUrl(loc = window.location) {
  const scheme = loc.protocol === 'http:' ? 'ws:' : 'wss:';
  return `${scheme}//${loc.host}/ws`;
}

export class Signalling extends EventTarget {
  #ws = null;
  #nextId = 1;
  #pending = new Map(); // id -> {type, resolve, reject}
  #pingTimer = 0;
  #closed = false;

  constructor(url) {
    super();
    this.url = url;
  }

  // Resolves once the socket is open; rejects if it closes or fails first,
  // or after timeoutMs (a dropped network leaves a TCP connect hanging).
  open(timeoutMs = 3000) {
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = new WebSocket(this.url);
      } catch (e) {
        reject(new SignallingError(0, `cannot open the WebSocket: ${e.message}`, ''));
        return;
      }
      this.#ws = ws;
      let opened = false;
      const timer = setTimeout(() => {
        if (opened) return;
        reject(new SignallingError(0, `no answer from the relay within ${timeoutMs / 1000} s`, ''));
        this.close();
      }, timeoutMs);
      ws.addEventListener('open', () => {
        opened = true;
        clearTimeout(timer);
        resolve();
      });
      ws.addEventListener('message', (ev) => this.#onMessage(ev.data));
      ws.addEventListener('close', (ev) => {
        const why = ev.reason || (opened ? 'the relay closed the connection' : 'the relay is unreachable');
        clearTimeout(timer);
        if (!opened) reject(new SignallingError(0, why, ''));
        this.#finish(ev.code, why);
      });
      // 'error' is always followed by 'close'; nothing to do here.
    });
  }

  // Sends {type, ...fields, id} and resolves with the reply that echoes the id.
  request(msg, timeoutMs = 10000) {
    if (this.#closed || !this.#ws || this.#ws.readyState !== WebSocket.OPEN)
      return Promise.reject(new SignallingError(0, 'not connected to the relay', msg.type));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignallingError(0, `no reply to ${msg.type} within ${timeoutMs / 1000} s`, msg.type));
      }, timeoutMs);
      this.#pending.set(id, {
        type: msg.type,
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.#ws.send(JSON.stringify({ ...msg, id }));
    });
  }

  // Sends a message that gets no reply (a pointer position); false when
  // the socket is not open.
  send(msg) {
    if (this.#closed || !this.#ws || this.#ws.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(JSON.stringify(msg));
    return true;
  }

  // Pings every intervalMs; if a pong does not come back within timeoutMs the
  // socket is declared dead ('close' with that reason) and closed.
  startKeepalive(intervalMs = 5000, timeoutMs = 5000) {
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => {
      this.request({ type: 'ping' }, timeoutMs).catch((e) => {
        if (!this.#closed && e.code === 0) this.#abort('the relay stopped answering');
      });
    }, intervalMs);
  }

  close() {
    if (this.#closed) return;
    this.#closed = true; // a deliberate close fires no 'close' event
    clearInterval(this.#pingTimer);
    this.#rejectAll('closed');
    if (this.#ws) {
      try { this.#ws.close(1000, 'bye'); } catch { /* already closing */ }
    }
  }

  #abort(why) {
    const ws = this.#ws;
    this.#finish(1006, why);
    try { ws.close(); } catch { /* ignore */ }
  }

  #finish(code, why) {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pingTimer);
    this.#rejectAll(why);
    this.dispatchEvent(new CustomEvent('close', { detail: { code, reason: why } }));
  }

  #rejectAll(why) {
    for (const p of this.#pending.values()) p.reject(new SignallingError(0, why, ''));
    this.#pending.clear();
  }

  #onMessage(data) {
    let m;
    try {
      m = JSON.parse(data);
    } catch {
      return; // the relay only sends JSON; ignore anything else
    }
    if (!m || typeof m !== 'object' || typeof m.type !== 'string') return;
    if (m.type === 'event') this.dispatchEvent(new CustomEvent('push', { detail: m }));
    // An event answers only the request of the same op (draw, chat…): an
    // id on someone else's event is never taken for a reply to ours.
    const p = Number.isInteger(m.id) ? this.#pending.get(m.id) : undefined;
    if (p && (m.type !== 'event' || m.op === p.type)) {
      this.#pending.delete(m.id);
      if (m.type === 'error') p.reject(new SignallingError(m.code, m.reason, m.ref));
      else p.resolve(m);
      return;
    }
    if (m.type === 'event') return; // already handed over
    this.dispatchEvent(new CustomEvent('push', { detail: m }));
  }
}
