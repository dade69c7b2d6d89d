// Chat panel: the room's chat messages (the last 100 from the join's
// snapshot, then each chat event as the relay orders it) with the sender's
// name in their colour and the relay's time, and the box to write one
// (Enter sends, Shift+Enter starts a new line). Observers read but cannot
// write: the box is disabled and says why. Text is shown with textContent
// only: messages come from other people. The relay's echo of one's own
// message is what appears in the list (no local copy).

import { fmtClock } from './annotate.js';

const MAX_CHARS = 1000;
// The protocol's rule: no control characters but newline and tab.
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

export class ChatPanel {
  #list;
  #form;
  #input;
  #button;
  #note;
  #send;
  #colorOf;
  #sending = false;

  constructor({ list, form, note, send, colorOf }) {
    this.#list = list;
    this.#form = form;
    this.#input = form.elements.message;
    this.#button = form.querySelector('button[type="submit"]');
    this.#note = note;
    this.#send = send;
    this.#colorOf = colorOf;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.#submit();
    });
    this.#input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.#submit();
      }
    });
    this.setEnabled(false, 'Join a room to chat.');
  }

  setEnabled(on, why) {
    this.#input.disabled = !on;
    this.#button.disabled = !on;
    this.#note.textContent = on ? '' : why || '';
    this.#note.hidden = on || !why;
  }

  // Adds one message (a chat event just applied) without rebuilding the
  // list, so a screen reader announces only the new one.
  append(entry, kept) {
    const stick = this.#atBottom();
    const empty = this.#list.querySelector('li.empty');
    if (empty) empty.remove();
    this.#list.append(this.#entry(entry));
    while (this.#list.children.length > kept) this.#list.firstElementChild.remove();
    if (stick) this.#list.scrollTop = this.#list.scrollHeight;
  }

  // Colours of the senders, once presence tells them.
  recolor() {
    for (const sw of this.#list.querySelectorAll('.swatch[data-from]')) {
      const color = this.#colorOf(sw.dataset.from);
      if (color) sw.style.backgroundColor = color;
    }
  }

  // Rebuilds the list from the state's chat events.
  render(chat) {
    const stick = this.#atBottom();
    const frag = document.createDocumentFragment();
    for (const ev of chat) frag.append(this.#entry(ev));
    this.#list.replaceChildren(frag);
    if (!chat.length) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'No messages yet.';
      this.#list.append(li);
    }
    if (stick) this.#list.scrollTop = this.#list.scrollHeight;
  }

  #atBottom() {
    const l = this.#list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 24;
  }

  #entry(ev) {
    const li = document.createElement('li');
    const head = document.createElement('p');
    head.className = 'chat-head';
    const who = document.createElement('span');
    who.className = 'chat-who';
    const color = this.#colorOf(ev.from);
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.setAttribute('aria-hidden', 'true');
    sw.dataset.from = String(ev.from || '');
    if (color) sw.style.backgroundColor = color; // CSSOM: allowed by style-src 'self'
    who.append(sw, String(ev.from || '?'));
    const time = document.createElement('time');
    time.className = 'chat-time';
    if (typeof ev.time === 'number') time.dateTime = new Date(ev.time).toISOString();
    time.textContent = fmtClock(ev.time);
    head.append(who, ' ', time);
    const body = document.createElement('p');
    body.className = 'chat-text';
    body.textContent = ev.text;
    li.append(head, body);
    return li;
  }

  async #submit() {
    if (this.#sending || this.#input.disabled) return;
    const raw = this.#input.value;
    const text = raw.replace(/\r\n?/g, '\n').replace(CONTROL_RE, '').trim();
    if (!text) return;
    if (text.length > MAX_CHARS) return; // maxlength stops this in the field already
    this.#sending = true;
    this.#button.disabled = true;
    try {
      await this.#send({ type: 'chat', text });
      if (this.#input.value === raw) this.#input.value = ''; // unless edited meanwhile
    } catch {
      /* kept in the box to send again; the status line says why */
    } finally {
      this.#sending = false;
      this.#button.disabled = this.#input.disabled;
    }
  }
}
