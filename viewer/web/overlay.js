// Overlay: the canvas laid exactly over the picture that video#stream shows
// (object-fit: contain, so the picture is a centred rectangle of the
// element, with bars beside or above it), and the drawing of the room's
// marks, the drawing previews and other people's pointers on it. It keeps
// the canvas aligned when the element is resized, goes full screen, when the
// picture size changes and when the device pixel ratio changes (zoom, a
// window moved to another screen); the backing store is CSS size x DPR so
// strokes stay sharp. Points are normalised to the picture (0..1), the
// protocol's coordinates. It decides nothing: tools.js and app.js tell it
// what to draw.

import { measureLabel, segmentDistance } from './annotate.js';

const OUTLINE = 'rgba(0, 0, 0, 0.85)';
const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';
const HIT_PX = 8; // how near (CSS px) a click must be to select a mark

export class Overlay {
  #stage;
  #video;
  #canvas;
  #ctx;
  #raf = 0;
  #fallback = { width: 0, height: 0 }; // the stream's size before a frame shows
  #dpr = 1;
  rect = { left: 0, top: 0, width: 0, height: 0 }; // CSS px, relative to the stage
  // What to draw, set by the owners; read at every redraw.
  marks = [];
  previews = []; // [{kind, points, color, text}]
  pointers = new Map(); // sub -> {x, y, color, name}
  hoverId = 0;

  constructor(stage, video, canvas) {
    this.#stage = stage;
    this.#video = video;
    this.#canvas = canvas;
    this.#ctx = canvas.getContext('2d');
    const relayout = () => this.layout();
    new ResizeObserver(relayout).observe(video);
    new ResizeObserver(relayout).observe(stage);
    video.addEventListener('resize', relayout); // the picture's size changed
    video.addEventListener('loadedmetadata', relayout);
    document.addEventListener('fullscreenchange', relayout);
    window.addEventListener('resize', relayout);
    this.#watchDpr();
    this.layout();
  }

  get canvas() {
    return this.#canvas;
  }

  // The picture's size in pixels: the decoded video's, else the stream
  // metadata's (marks stay placed while waiting for a frame).
  pictureSize() {
    const v = this.#video;
    if (v.videoWidth > 0 && v.videoHeight > 0) return { width: v.videoWidth, height: v.videoHeight };
    return { ...this.#fallback };
  }

  setFallbackSize(width, height) {
    this.#fallback = { width: width > 0 ? width : 0, height: height > 0 ? height : 0 };
    this.layout();
  }

  // A device pixel ratio change fires no resize in every browser: a media
  // query on the current ratio fires once when it stops matching.
  #watchDpr() {
    const mq = window.matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`);
    const onChange = () => {
      mq.removeEventListener('change', onChange);
      this.layout();
      this.#watchDpr();
    };
    mq.addEventListener('change', onChange);
  }

  // Places the canvas over the picture's content rectangle.
  layout() {
    const { width: pw, height: ph } = this.pictureSize();
    const v = this.#video;
    const c = this.#canvas;
    // Fractional CSS px (clientWidth rounds): the element has no border or
    // padding, so its bounding box is the box the picture is fitted in.
    const vr = v.getBoundingClientRect();
    const boxW = vr.width;
    const boxH = vr.height;
    if (!pw || !ph || !boxW || !boxH) {
      c.hidden = true;
      this.rect = { left: 0, top: 0, width: 0, height: 0 };
      return;
    }
    const scale = Math.min(boxW / pw, boxH / ph);
    const w = pw * scale;
    const h = ph * scale;
    const sr = this.#stage.getBoundingClientRect();
    const left = vr.left - sr.left - this.#stage.clientLeft + (boxW - w) / 2;
    const top = vr.top - sr.top - this.#stage.clientTop + (boxH - h) / 2;
    const dpr = window.devicePixelRatio || 1;
    const r = this.rect;
    const moved = r.left !== left || r.top !== top || r.width !== w || r.height !== h || dpr !== this.#dpr;
    if (c.hidden) c.hidden = false;
    if (moved) {
      this.rect = { left, top, width: w, height: h };
      this.#dpr = dpr;
      // CSSOM, not a style attribute: allowed by the page's style-src 'self'.
      c.style.left = `${left}px`;
      c.style.top = `${top}px`;
      c.style.width = `${w}px`;
      c.style.height = `${h}px`;
      const bw = Math.max(1, Math.round(w * dpr));
      const bh = Math.max(1, Math.round(h * dpr));
      if (c.width !== bw) c.width = bw;
      if (c.height !== bh) c.height = bh;
    }
    this.draw();
  }

  // Client coordinates (a pointer event's) to a normalised point, clamped
  // to the picture; null while no picture is placed.
  toNorm(clientX, clientY) {
    const r = this.#canvas.getBoundingClientRect();
    if (!r.width || !r.height) return null;
    const x = (clientX - r.left) / r.width;
    const y = (clientY - r.top) / r.height;
    return [Math.min(1, Math.max(0, x)), Math.min(1, Math.max(0, y))];
  }

  // The mark under a client position (newest first), or 0.
  hitTest(clientX, clientY) {
    const r = this.#canvas.getBoundingClientRect();
    if (!r.width) return 0;
    const p = [clientX - r.left, clientY - r.top];
    const px = (q) => [q[0] * r.width, q[1] * r.height];
    for (let i = this.marks.length - 1; i >= 0; i--) {
      const m = this.marks[i];
      const pts = m.points.map(px);
      let d = Infinity;
      if (m.kind === 'ellipse' && pts.length >= 2) {
        const rx = Math.abs(pts[1][0] - pts[0][0]);
        const ry = Math.abs(pts[1][1] - pts[0][1]);
        const dx = p[0] - pts[0][0];
        const dy = p[1] - pts[0][1];
        const q = Math.sqrt((rx ? (dx * dx) / (rx * rx) : 1e9) + (ry ? (dy * dy) / (ry * ry) : 1e9));
        d = q <= 1 ? 0 : (q - 1) * Math.min(rx, ry);
      } else if (m.kind === 'text') {
        const b = this.#textBox(m, pts[0]);
        const inside = p[0] >= b.x && p[0] <= b.x + b.w && p[1] >= b.y && p[1] <= b.y + b.h;
        d = inside ? 0 : Infinity;
      } else {
        for (let k = 1; k < pts.length; k++) d = Math.min(d, segmentDistance(p, pts[k - 1], pts[k]));
      }
      if (d <= HIT_PX) return m.id;
    }
    return 0;
  }

  invalidate() {
    if (this.#raf) return;
    this.#raf = requestAnimationFrame(() => {
      this.#raf = 0;
      this.draw();
    });
  }

  draw() {
    const c = this.#canvas;
    const g = this.#ctx;
    const { width: w, height: h } = this.rect;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, c.width, c.height);
    if (!w || !h) return;
    g.setTransform(this.#dpr, 0, 0, this.#dpr, 0, 0);
    // Strokes grow a little with the picture, never below 2 CSS px.
    const lw = Math.max(2, Math.min(4, Math.min(w, h) / 240));
    for (const m of this.marks) this.#drawMark(g, m, lw, m.id === this.hoverId, false);
    for (const p of this.previews) this.#drawMark(g, p, lw, false, true);
    for (const [sub, p] of this.pointers) this.#drawPointer(g, sub, p, lw);
  }

  #px(p) {
    return [p[0] * this.rect.width, p[1] * this.rect.height];
  }

  // A dark, wider stroke under the coloured one: visible on any grey.
  #stroke(g, color, lw, path, preview) {
    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.setLineDash([]);
    g.strokeStyle = OUTLINE;
    g.lineWidth = lw + 3;
    g.stroke(path);
    g.strokeStyle = color;
    g.lineWidth = lw;
    if (preview) g.setLineDash([lw * 3, lw * 2]);
    g.stroke(path);
    g.setLineDash([]);
  }

  #drawMark(g, m, lw, hover, preview) {
    const color = m.color || '#ffffff';
    const pts = m.points.map((p) => this.#px(p));
    if (!pts.length) return;
    const width = hover ? lw * 1.8 : lw;
    g.save();
    if (preview) g.globalAlpha = 0.85;
    const path = new Path2D();
    switch (m.kind) {
      case 'arrow': {
        if (pts.length < 2) break;
        const [t, hd] = pts;
        path.moveTo(t[0], t[1]);
        path.lineTo(hd[0], hd[1]);
        const a = Math.atan2(hd[1] - t[1], hd[0] - t[0]);
        const len = Math.min(6 * width + 6, Math.hypot(hd[0] - t[0], hd[1] - t[1]) * 0.6 + 4);
        for (const s of [-1, 1]) {
          path.moveTo(hd[0], hd[1]);
          path.lineTo(hd[0] - len * Math.cos(a + s * 0.45), hd[1] - len * Math.sin(a + s * 0.45));
        }
        this.#stroke(g, color, width, path, preview);
        break;
      }
      case 'line':
      case 'freehand':
        path.moveTo(pts[0][0], pts[0][1]);
        for (let i = 1; i < pts.length; i++) path.lineTo(pts[i][0], pts[i][1]);
        if (pts.length === 1) path.lineTo(pts[0][0] + 0.01, pts[0][1]);
        this.#stroke(g, color, width, path, preview);
        break;
      case 'caliper': {
        if (pts.length < 2) break;
        const [a, b] = pts;
        path.moveTo(a[0], a[1]);
        path.lineTo(b[0], b[1]);
        // End ticks across the line: where exactly it measures from and to.
        const ang = Math.atan2(b[1] - a[1], b[0] - a[0]) + Math.PI / 2;
        const tk = 3 * width + 3;
        for (const e of [a, b]) {
          path.moveTo(e[0] - tk * Math.cos(ang), e[1] - tk * Math.sin(ang));
          path.lineTo(e[0] + tk * Math.cos(ang), e[1] + tk * Math.sin(ang));
        }
        this.#stroke(g, color, width, path, preview);
        if (!preview) this.#label(g, measureLabel(m), (a[0] + b[0]) / 2 + tk + 4, (a[1] + b[1]) / 2, color);
        break;
      }
      case 'ellipse': {
        if (pts.length < 2) break;
        const [c, k] = pts;
        const rx = Math.abs(k[0] - c[0]);
        const ry = Math.abs(k[1] - c[1]);
        path.ellipse(c[0], c[1], Math.max(rx, 0.5), Math.max(ry, 0.5), 0, 0, 2 * Math.PI);
        this.#stroke(g, color, width, path, preview);
        if (!preview) this.#label(g, measureLabel(m), c[0] + rx + 6, c[1], color);
        break;
      }
      case 'text':
        this.#drawText(g, m, pts[0], color, hover);
        break;
      default:
        break;
    }
    g.restore();
  }

  #font() {
    const size = Math.round(Math.max(13, Math.min(22, this.rect.height / 30)));
    return { size, css: `600 ${size}px ${FONT_FAMILY}` };
  }

  #textBox(m, at) {
    const g = this.#ctx;
    const f = this.#font();
    g.save();
    g.font = f.css;
    const w = g.measureText(m.text || '').width;
    g.restore();
    return { x: at[0], y: at[1], w, h: f.size * 1.25 };
  }

  #drawText(g, m, at, color, hover) {
    const f = this.#font();
    g.font = f.css;
    g.textBaseline = 'top';
    g.lineJoin = 'round';
    g.strokeStyle = OUTLINE;
    g.lineWidth = hover ? 7 : 4;
    g.strokeText(m.text || '', at[0], at[1]);
    g.fillStyle = color;
    g.fillText(m.text || '', at[0], at[1]);
  }

  // A measurement beside a mark: the mark's colour on a dark box, moved
  // inside the picture if it would leave it.
  #label(g, text, x, y, color) {
    if (!text) return;
    const f = this.#font();
    g.font = f.css;
    g.textBaseline = 'middle';
    const w = g.measureText(text).width + 10;
    const h = f.size + 8;
    const bx = Math.max(0, Math.min(this.rect.width - w, x));
    const by = Math.max(0, Math.min(this.rect.height - h, y - h / 2));
    g.fillStyle = 'rgba(0, 0, 0, 0.72)';
    g.fillRect(bx, by, w, h);
    g.fillStyle = color;
    g.fillText(text, bx + 5, by + h / 2 + 1);
  }

  #drawPointer(g, name, p, lw) {
    const [x, y] = this.#px([p.x, p.y]);
    const r = 4 + lw;
    g.save();
    g.beginPath();
    g.arc(x, y, r + 2, 0, 2 * Math.PI);
    g.fillStyle = OUTLINE;
    g.fill();
    g.beginPath();
    g.arc(x, y, r, 0, 2 * Math.PI);
    g.fillStyle = p.color || '#ffffff';
    g.fill();
    g.lineWidth = 1.5;
    g.strokeStyle = '#ffffff';
    g.stroke();
    const f = this.#font();
    g.font = `500 ${Math.max(12, f.size - 3)}px ${FONT_FAMILY}`;
    g.textBaseline = 'middle';
    const tw = g.measureText(name).width;
    const tx = x + r + 6 + tw > this.rect.width ? x - r - 6 - tw : x + r + 6;
    g.lineJoin = 'round';
    g.strokeStyle = OUTLINE;
    g.lineWidth = 4;
    g.strokeText(name, tx, y);
    g.fillStyle = p.color || '#ffffff';
    g.fillText(name, tx, y);
    g.restore();
  }
}
