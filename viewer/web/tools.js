// Tools: the clinician's annotation toolbar and what the pointer (mouse,
// pen or touch) does on the picture. Pointer sends the position at most
// once per animation frame and "hide" when it leaves; arrow, line, caliper,
// ellipse and freehand are dragged (a dashed preview follows, drawn only
// here until the relay's event comes back: the relay orders every mark and
// the picture is always redrawn from its state); text asks for its words
// in the page; delete removes the clicked mark; undo, clear (confirmed),
// freeze and bookmark are buttons with keyboard shortcuts. Observers get
// no tools. It sends through the functions app.js hands it and never
// changes the annotation state itself.

import { round5, simplifyStroke } from './annotate.js';

const DRAG_KINDS = ['arrow', 'line', 'caliper', 'ellipse', 'freehand'];
const MIN_DRAG_PX = 3; // a click is not a mark
const FREEHAND_EPS_PX = 0.5; // picture pixels
const TOOL_KEYS = { p: 'pointer', a: 'arrow', l: 'line', c: 'caliper', e: 'ellipse', d: 'freehand', t: 'text', x: 'delete' };
const TOOL_HINTS = {
  pointer: 'Pointer: move over the picture to show the others where you point.',
  arrow: 'Arrow: drag from the tail to the head.',
  line: 'Line: drag from one end to the other.',
  caliper: 'Caliper: drag between the two points to measure.',
  ellipse: 'Ellipse: drag from the centre outwards.',
  freehand: 'Freehand: draw with the button held.',
  text: 'Text: click where the text should start.',
  delete: 'Delete: click a mark to remove it.',
};

export class Tools {
  #o; // overlay
  #model;
  #send; // (msg) => Promise<event>, errors shown by the caller
  #sendPointer; // (msg) => void
  #frameMs; // () => capture time (Unix ms) of the picture shown, or null
  #ask; // in-page prompt: (opts) => Promise<string | null>
  #hint; // (text, transient) => void: the tool's hint, or a passing remark
  #root;
  #enabled = false;
  tool = 'arrow';
  color = '#ffffff'; // this participant's colour, for previews
  #drag = null; // {kind, points, pointerId, startClient}
  #pending = new Set(); // previews waiting for the relay's event
  #ptr = null; // the newest position not yet sent
  #ptrRaf = 0;
  #ptrShown = false;

  constructor({ root, overlay, model, send, sendPointer, frameMs, ask, hint }) {
    this.#root = root;
    this.#o = overlay;
    this.#model = model;
    this.#send = send;
    this.#sendPointer = sendPointer;
    this.#frameMs = frameMs;
    this.#ask = ask;
    this.#hint = hint;
    for (const b of root.querySelectorAll('button[data-tool]')) {
      b.addEventListener('click', () => this.select(b.dataset.tool));
    }
    const act = (name, fn) => root.querySelector(`button[data-action="${name}"]`).addEventListener('click', fn);
    act('undo', () => this.undo());
    act('clear', () => this.clear());
    act('freeze', () => this.toggleFreeze());
    act('bookmark', () => this.bookmark());
    const c = overlay.canvas;
    c.addEventListener('pointerdown', (e) => this.#down(e));
    c.addEventListener('pointermove', (e) => this.#move(e));
    c.addEventListener('pointerup', (e) => this.#up(e));
    c.addEventListener('pointercancel', (e) => this.#cancel(e));
    c.addEventListener('pointerleave', (e) => this.#leave(e));
    c.addEventListener('contextmenu', (e) => { if (this.#enabled) e.preventDefault(); });
    model.addEventListener('change', () => this.#syncFreeze());
    this.select(this.tool);
  }

  get enabled() {
    return this.#enabled;
  }

  // Clinicians get the tools; anyone else sees the marks only.
  setEnabled(on) {
    if (!on) this.reset();
    this.#enabled = on;
    this.#o.canvas.classList.toggle('drawing', on);
    this.#o.canvas.dataset.tool = on ? this.tool : '';
    this.#hint(on ? TOOL_HINTS[this.tool] : '');
  }

  select(tool) {
    if (!TOOL_HINTS[tool]) return;
    if (this.tool === 'pointer' && tool !== 'pointer') this.#hidePointer();
    this.#cancelDrag();
    this.tool = tool;
    for (const b of this.#root.querySelectorAll('button[data-tool]')) {
      b.setAttribute('aria-pressed', String(b.dataset.tool === tool));
    }
    if (this.#enabled) this.#o.canvas.dataset.tool = tool;
    this.#o.hoverId = 0;
    this.#o.invalidate();
    this.#hint(this.#enabled ? TOOL_HINTS[tool] : '');
  }

  // Shortcuts; true when the key was used. The caller skips keys typed
  // into fields.
  handleKey(ev) {
    if (!this.#enabled) return false;
    const k = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && !ev.shiftKey && k === 'z') {
      this.undo();
      return true;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return false;
    if (k === 'Escape' && this.#drag) {
      this.#cancelDrag();
      return true;
    }
    if (TOOL_KEYS[k]) {
      this.select(TOOL_KEYS[k]);
      return true;
    }
    if (k === 'u') this.undo();
    else if (k === 'h') this.toggleFreeze();
    else if (k === 'b') this.bookmark();
    else return false;
    return true;
  }

  // A new connection: nothing in flight survives it.
  reset() {
    this.#cancelDrag();
    this.#pending.clear();
    this.#o.previews = [];
    cancelAnimationFrame(this.#ptrRaf);
    this.#ptrRaf = 0;
    this.#ptr = null;
    this.#ptrShown = false;
    this.#o.invalidate();
  }

  undo() {
    if (this.#enabled) this.#send({ type: 'undo' }).catch(() => {});
  }

  async clear() {
    if (!this.#enabled) return;
    const ok = await this.#ask({
      title: 'Clear every mark?',
      message: 'This removes every mark in the room, for everyone in it.',
      confirm: 'Clear all marks',
    });
    if (ok !== null) this.#send({ type: 'clear' }).catch(() => {});
  }

  toggleFreeze() {
    if (!this.#enabled) return;
    this.#send(this.#withFrame({ type: 'freeze', frozen: !this.#model.frozen })).catch(() => {});
  }

  async bookmark() {
    if (!this.#enabled) return;
    const frameMs = this.#frameMs(); // the moment of the click, not of the answer
    const label = await this.#ask({
      title: 'Bookmark this moment',
      label: 'Label (optional)',
      input: true,
      maxLength: 200,
      confirm: 'Add bookmark',
    });
    if (label === null) return;
    const msg = { type: 'bookmark' };
    if (label.trim()) msg.label = label.trim();
    if (Number.isInteger(frameMs) && frameMs >= 0) msg.frame_ms = frameMs;
    this.#send(msg).catch(() => {});
  }

  #withFrame(msg) {
    const f = this.#frameMs();
    if (Number.isInteger(f) && f >= 0) msg.frame_ms = f;
    return msg;
  }

  #syncFreeze() {
    const b = this.#root.querySelector('button[data-action="freeze"]');
    const frozen = !!this.#model.frozen;
    b.setAttribute('aria-pressed', String(frozen));
    const label = b.querySelector('.label');
    if (label) label.textContent = frozen ? 'Unfreeze' : 'Freeze';
  }

  // ---- the pointer on the picture ----

  #down(e) {
    if (!this.#enabled || !e.isPrimary || (e.pointerType === 'mouse' && e.button !== 0)) return;
    const p = this.#o.toNorm(e.clientX, e.clientY);
    if (!p) return;
    e.preventDefault();
    if (this.tool === 'pointer') {
      this.#queuePointer(p);
    } else if (this.tool === 'delete') {
      const id = this.#o.hitTest(e.clientX, e.clientY);
      if (id) this.#send({ type: 'delete', item: id }).catch(() => {});
      else this.#hint('Delete: no mark there; click on a line or inside an ellipse.', true);
    } else if (this.tool === 'text') {
      this.#placeText(p);
    } else if (DRAG_KINDS.includes(this.tool)) {
      try { this.#o.canvas.setPointerCapture(e.pointerId); } catch { /* not capturable: drag inside only */ }
      this.#drag = {
        kind: this.tool, points: [p, p], pointerId: e.pointerId, startClient: [e.clientX, e.clientY],
        moved: false,
      };
      this.#showDrag();
    }
  }

  #move(e) {
    if (!this.#enabled) return;
    if (this.tool === 'pointer') {
      const p = this.#o.toNorm(e.clientX, e.clientY);
      if (p) this.#queuePointer(p);
      return;
    }
    if (this.tool === 'delete' && !this.#drag) {
      const id = this.#o.hitTest(e.clientX, e.clientY);
      if (id !== this.#o.hoverId) {
        this.#o.hoverId = id;
        this.#o.invalidate();
      }
      return;
    }
    const d = this.#drag;
    if (!d || e.pointerId !== d.pointerId) return;
    if (Math.hypot(e.clientX - d.startClient[0], e.clientY - d.startClient[1]) >= MIN_DRAG_PX) d.moved = true;
    if (d.kind === 'freehand') {
      // Every sample the browser coalesced into this event, not only the last.
      const evs = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
      for (const c of evs.length ? evs : [e]) {
        const p = this.#o.toNorm(c.clientX, c.clientY);
        if (p) d.points.push(p);
      }
    } else {
      const p = this.#o.toNorm(e.clientX, e.clientY);
      if (p) d.points[1] = p;
    }
    this.#showDrag();
  }

  #up(e) {
    if (this.tool === 'pointer' && e.pointerType !== 'mouse') {
      this.#hidePointer(); // a finger or pen lifted: nothing points any more
      return;
    }
    const d = this.#drag;
    if (!d || e.pointerId !== d.pointerId) return;
    if (d.kind !== 'freehand') {
      const p = this.#o.toNorm(e.clientX, e.clientY);
      if (p) d.points[1] = p;
    }
    this.#drag = null;
    if (!d.moved) {
      this.#o.previews = this.#previewList();
      this.#o.invalidate();
      this.#hint(`${TOOL_HINTS[d.kind]} (A click alone draws nothing.)`, true);
      return;
    }
    let points;
    if (d.kind === 'freehand') {
      const { width, height } = this.#o.pictureSize();
      points = simplifyStroke(d.points, width, height, FREEHAND_EPS_PX);
      if (points.length < 2) points = [points[0], points[0]];
    } else {
      points = d.points.slice(0, 2).map(([x, y]) => [round5(x), round5(y)]);
    }
    this.#submit({ kind: d.kind, points });
  }

  #cancel(e) {
    if (this.#drag && e.pointerId === this.#drag.pointerId) this.#cancelDrag();
    if (this.tool === 'pointer') this.#hidePointer();
  }

  #leave(e) {
    if (this.tool === 'pointer' && !(e.pointerType !== 'mouse' && e.buttons)) this.#hidePointer();
    if (this.#o.hoverId) {
      this.#o.hoverId = 0;
      this.#o.invalidate();
    }
  }

  #cancelDrag() {
    if (!this.#drag) return;
    this.#drag = null;
    this.#o.previews = this.#previewList();
    this.#o.invalidate();
  }

  #previewList() {
    const list = [...this.#pending];
    if (this.#drag) list.push({ kind: this.#drag.kind, points: this.#drag.points, color: this.color });
    return list;
  }

  #showDrag() {
    this.#o.previews = this.#previewList();
    this.#o.invalidate();
  }

  async #placeText(p) {
    const text = await this.#ask({
      title: 'Add text', label: 'Text on the picture', input: true, required: true, maxLength: 200, confirm: 'Add text',
    });
    if (text === null || !text.trim()) return;
    this.#submit({ kind: 'text', points: [[round5(p[0]), round5(p[1])]], text: text.trim() });
  }

  // Sends a mark; its preview stays until the relay's event (or error)
  // comes back, then the relay's copy is what is drawn.
  #submit(item) {
    const preview = { ...item, color: this.color };
    this.#pending.add(preview);
    this.#o.previews = this.#previewList();
    this.#o.invalidate();
    const done = () => {
      this.#pending.delete(preview);
      this.#o.previews = this.#previewList();
      this.#o.invalidate();
    };
    this.#send(this.#withFrame({ type: 'draw', item })).then(done, done);
  }

  #queuePointer(p) {
    this.#ptr = p;
    if (this.#ptrRaf) return;
    this.#ptrRaf = requestAnimationFrame(() => {
      this.#ptrRaf = 0;
      if (!this.#ptr || !this.#enabled) return;
      const [x, y] = this.#ptr;
      this.#ptr = null;
      this.#ptrShown = true;
      this.#sendPointer({ type: 'pointer', x: round5(x), y: round5(y) });
    });
  }

  #hidePointer() {
    cancelAnimationFrame(this.#ptrRaf);
    this.#ptrRaf = 0;
    this.#ptr = null;
    if (!this.#ptrShown) return;
    this.#ptrShown = false;
    this.#sendPointer({ type: 'pointer', hide: true });
  }
}
