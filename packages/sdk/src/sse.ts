/**
 * A small text/event-stream parser (the WHATWG rules: `event:`, `data:` lines joined by "\n",
 * `id:`, comments starting with ":", an empty line dispatches). Node 18 has no EventSource, and the
 * stream needs an access token in the URL and an AbortSignal, so the SDK reads it through fetch.
 */

export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  /** Characters since the last dispatch, bounded so a broken server cannot grow memory forever. */
  private pending_chars = 0;
  static readonly EVENT_CHARS_MAX = 1_000_000;

  /** Feed decoded text; returns the events completed by it. */
  push(text: string): SseEvent[] {
    this.buffer += text;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\n|\r/.exec(this.buffer);
      // A lone "\r" at the end may be the first half of "\r\n": wait for more text.
      if (!m || (m[0] === '\r' && m.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const ev = this.line(line);
      if (ev) out.push(ev);
    }
    if (this.buffer.length + this.pending_chars > SseParser.EVENT_CHARS_MAX) throw new Error('event stream: an event exceeds 1,000,000 characters');
    return out;
  }

  /** The stream ended: a final lone "\r" was a line end after all. An unfinished event is dropped. */
  end(): SseEvent[] {
    if (!this.buffer.endsWith('\r')) return [];
    const ev = this.line(this.buffer.slice(0, -1));
    this.buffer = '';
    return ev ? [ev] : [];
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') {
      const had = this.data.length > 0;
      const ev: SseEvent = { event: this.event || 'message', data: this.data.join('\n'), id: this.id };
      this.event = '';
      this.data = [];
      this.pending_chars = 0;
      return had ? ev : undefined;
    }
    this.pending_chars += line.length;
    if (line.startsWith(':')) return undefined; // comment (the server's `: ping`)
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return undefined;
  }
}
