/**
 * A lean HTTP/1.1 client for the paced sender: keep-alive sockets that each carry one request at a
 * time, the request written as one buffer, the answer read by its Content-Length. The load
 * generator shares the machine with the server and PostgreSQL; node's `http.request` cost it
 * ~0.4 ms of CPU per request at (4)'s rate (as much as the bare Fastify server it measured), a CPU
 * the server under test did not get. autocannon is lean in the same way, but cannot pace evenly.
 *
 * Only what our servers answer is read: a status line, headers, a body of Content-Length bytes.
 * Anything else (chunked bodies, a second answer on a socket that has none pending) is an error
 * the run reports, never a guess.
 */
import net from 'node:net';

/** An answer not whole within this is a timeout: its connection is closed (autocannon's limit too). */
const ANSWER_TIMEOUT_MS = 30_000;
/** Bytes of response headers at most: beyond it the answer is refused as malformed. */
const HEADER_BYTES_MAX = 16 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH_RE = /\r\ncontent-length:[ \t]*(\d+)[ \t]*(?=\r\n|$)/i;
const CHUNKED_RE = /\r\ntransfer-encoding:[ \t]*chunked/i;
const STATUS_RE = /^HTTP\/1\.[01] (\d{3})/;
const CLOSE_RE = /\r\nconnection:[ \t]*close/i;

export interface WireRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface WireAnswer {
  status: number;
  body: string;
}

/** The bytes of one request (Host, the given headers, Content-Length when there is a body). */
export function requestBytes(host: string, r: WireRequest): Buffer {
  let head = `${r.method} ${r.path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [k, v] of Object.entries(r.headers ?? {})) {
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new Error(`assertion: header ${k} holds a line break`);
    head += `${k}: ${v}\r\n`;
  }
  const body = r.body === undefined ? undefined : Buffer.from(r.body, 'utf8');
  if (body) head += `content-length: ${body.length}\r\n`;
  head += '\r\n';
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

/**
 * Read one answer from the front of `buf`: undefined while it is incomplete, else the answer and
 * how many bytes it took (and whether the server will close the connection after it).
 */
export function parseAnswer(buf: Buffer): { answer: WireAnswer; used: number; close: boolean } | undefined {
  const end = buf.indexOf(HEADER_END);
  if (end < 0) {
    if (buf.length > HEADER_BYTES_MAX) throw new Error('malformed answer: no end of headers');
    return undefined;
  }
  const head = buf.toString('latin1', 0, end);
  const status = STATUS_RE.exec(head);
  if (!status) throw new Error(`malformed answer: status line ${JSON.stringify(head.slice(0, 40))}`);
  if (CHUNKED_RE.test(head)) throw new Error('unsupported answer: chunked body');
  const length = CONTENT_LENGTH_RE.exec(head);
  const code = Number(status[1]);
  // 204 and 304 carry no body; everything else from our servers says its length.
  const bodyLength = length ? Number(length[1]) : code === 204 || code === 304 ? 0 : NaN;
  if (!Number.isSafeInteger(bodyLength)) throw new Error('unsupported answer: no content-length');
  const used = end + HEADER_END.length + bodyLength;
  if (buf.length < used) return undefined;
  return { answer: { status: code, body: buf.toString('utf8', end + HEADER_END.length, used) }, used, close: CLOSE_RE.test(head) };
}

type Pending = { resolve: (a: WireAnswer) => void; reject: (e: Error) => void };

/** A request that got no whole answer in time (its connection is closed). */
export class AnswerTimeout extends Error {
  constructor(timeout_ms: number) {
    super(`no answer within ${timeout_ms} ms`);
    this.name = 'AnswerTimeout';
  }
}

/** One keep-alive connection with at most one request in flight. */
class WireConnection {
  private readonly socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private pending: Pending | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Set once it can carry no more requests (closed, failed, or the server asked to close). */
  dead = false;
  readonly ready: Promise<void>;

  constructor(
    host: string,
    port: number,
    private readonly timeout_ms: number,
    private readonly onFree: (c: WireConnection) => void,
  ) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.ready.catch(() => {}); // a failed connect also reaches fail() below
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  send(bytes: Buffer): Promise<WireAnswer> {
    if (this.dead || this.pending) return Promise.reject(new Error('assertion: send on a busy or dead connection'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.timer = setTimeout(() => this.fail(new AnswerTimeout(this.timeout_ms)), this.timeout_ms);
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.dead = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let parsed;
    try {
      parsed = parseAnswer(this.buf);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (!parsed) return;
    const p = this.pending;
    if (!p || parsed.used !== this.buf.length) {
      this.fail(new Error('malformed answer: bytes beyond the one answer pending'));
      return;
    }
    this.buf = Buffer.alloc(0);
    this.pending = undefined;
    clearTimeout(this.timer);
    if (parsed.close) this.close();
    p.resolve(parsed.answer);
    this.onFree(this); // a connection the server closed leaves the pool there
  }

  private fail(err: Error): void {
    const p = this.pending;
    this.pending = undefined;
    clearTimeout(this.timer);
    if (!this.dead) this.close();
    p?.reject(err);
  }
}

/**
 * Connections to one server, at most `max` of them: a request takes an idle one, opens a new one
 * while fewer than `max` exist, or waits in order for the next to come free (its wait counts in
 * its latency: the caller stamps the time it was due).
 */
export class WirePool {
  private readonly idle: WireConnection[] = [];
  private readonly waiting: { bytes: Buffer; pending: Pending }[] = [];
  private count = 0;
  private readonly host: string;
  private readonly port: number;
  readonly hostHeader: string;

  constructor(
    url: string,
    private readonly max: number,
    private readonly answer_timeout_ms = ANSWER_TIMEOUT_MS,
  ) {
    const u = new URL(url);
    if (u.protocol !== 'http:') throw new Error(`wire client speaks plain http, not ${u.protocol}`);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.hostHeader = u.host;
    if (!(max >= 1)) throw new Error('assertion: a pool of no connections');
  }

  /** Open `n` connections up front, so the measured run does not pay for their handshakes. */
  async warm(n: number): Promise<void> {
    const opened: WireConnection[] = [];
    for (let i = 0; i < Math.min(n, this.max - this.count); i++) opened.push(this.open());
    await Promise.all(opened.map((c) => c.ready));
    for (const c of opened) this.release(c);
  }

  request(bytes: Buffer): Promise<WireAnswer> {
    let c: WireConnection | undefined;
    while ((c = this.idle.pop()) && c.dead) this.count--;
    if (!c && this.count < this.max) c = this.open();
    if (c) return this.sendOn(c, bytes);
    return new Promise((resolve, reject) => this.waiting.push({ bytes, pending: { resolve, reject } }));
  }

  close(): void {
    for (const c of this.idle) c.close();
    this.idle.length = 0;
    for (const w of this.waiting.splice(0)) w.pending.reject(new Error('pool closed'));
  }

  private open(): WireConnection {
    this.count++;
    return new WireConnection(this.host, this.port, this.answer_timeout_ms, (free) => this.release(free));
  }

  private sendOn(c: WireConnection, bytes: Buffer): Promise<WireAnswer> {
    const p = c.send(bytes);
    // A connection that failed leaves the pool; a request waiting for one gets a fresh connection.
    p.catch(() => {
      if (!c.dead) return;
      this.count--;
      const next = this.waiting.shift();
      if (next) this.sendOn(this.open(), next.bytes).then(next.pending.resolve, next.pending.reject);
    });
    return p;
  }

  private release(c: WireConnection): void {
    if (c.dead) {
      this.count--;
      return;
    }
    const next = this.waiting.shift();
    if (next) this.sendOn(c, next.bytes).then(next.pending.resolve, next.pending.reject);
    else this.idle.push(c);
  }
}
