// The relay's recordings REST API as the review page uses it
// (docs/protocol.md, "Recordings"): list a room's sessions, read one, ask
// for its export and follow it, fetch annotations.json. Every request
// carries the reviewer's token in Authorization: Bearer (never in a URL);
// file URLs carry the relay's short-lived ticket instead, which is what a
// <video src> can send. A refusal becomes an ApiError with the HTTP status
// and the relay's reason (its body, plain text or {"reason"|"error"}). It
// holds no page state and touches no DOM.

export class ApiError extends Error {
  constructor(status, reason, what) {
    super(reason || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status; // 0: the relay could not be reached
    this.reason = reason || '';
    this.what = what || '';
  }
}

const REASON_MAX = 300;

// The relay's reason from an error body (cut: it is shown in one line).
function reasonOf(text) {
  let t = (text || '').trim();
  if (t.startsWith('{')) {
    try {
      const j = JSON.parse(t);
      t = typeof j.reason === 'string' ? j.reason : typeof j.error === 'string' ? j.error : t;
    } catch {
      /* not JSON after all: the text is the reason */
    }
  }
  return t.length > REASON_MAX ? `${t.slice(0, REASON_MAX)}…` : t;
}

export class RecordingsApi {
  #token;

  constructor(token, room) {
    this.#token = token;
    this.room = room;
  }

  #base() {
    return `/recordings/${encodeURIComponent(this.room)}`;
  }

  // One request; resolves with the parsed JSON (null for an empty body) and
  // the status, rejects with an ApiError.
  async #request(method, path, what, body) {
    const init = {
      method,
      headers: { Authorization: `Bearer ${this.#token}` },
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
    };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, e && e.message ? e.message : 'network error', what);
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) throw new ApiError(res.status, reasonOf(text) || res.statusText, what);
    if (!text) return { status: res.status, body: null };
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      throw new ApiError(res.status, 'the relay sent a reply that is not JSON', what);
    }
  }

  async list() {
    const r = await this.#request('GET', this.#base(), 'list the recordings');
    const sessions = r.body && Array.isArray(r.body.sessions) ? r.body.sessions : null;
    if (!sessions) throw new ApiError(r.status, 'the list of recordings is missing from the reply', 'list the recordings');
    return sessions.filter((s) => s && typeof s === 'object' && typeof s.id === 'string');
  }

  async session(id) {
    return (await this.#request('GET', `${this.#base()}/${encodeURIComponent(id)}`, 'open the recording')).body;
  }

  // {state, reason?, files?}; burnIn also asks for annotated.mp4.
  async startExport(id, burnIn = false) {
    const what = burnIn ? 'export the recording with the annotations burned in' : 'export the recording';
    const r = await this.#request('POST', `${this.#base()}/${encodeURIComponent(id)}/export`, what,
      burnIn ? { burn_in: true } : {});
    return r.body || { state: 'running' };
  }

  async exportState(id) {
    const r = await this.#request('GET', `${this.#base()}/${encodeURIComponent(id)}/export`, 'follow the export');
    return r.body || { state: 'none' };
  }

  // A file the export listed (its URL carries a ticket), as JSON.
  async fileJson(url, what) {
    const r = await this.#request('GET', url, what);
    return r.body;
  }
}
