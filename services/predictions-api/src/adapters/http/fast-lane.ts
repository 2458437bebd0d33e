import { STATUS_CODES, type Server as HttpServer } from 'node:http';
import { createServer, Socket, type OnReadOpts, type Server, type SocketConstructorOpts } from 'node:net';
import type { Counter } from 'prom-client';
import { readRequestHead, type ReadHead } from './request-head.js';
import type { Answer, ApiRoutes, BodyAnswer } from './routes.js';

export interface FastLaneOptions {
  /** An idle connection is closed after this long (node:http's keepAliveTimeout, for the same behaviour). */
  keepAliveTimeoutMs: number;
  counters: { answers: Counter; handoffs: Counter };
}

export interface FastLane {
  /** The listening side: it accepts every connection. */
  readonly server: Server;
  /** Closes the connections that wait for no answer; the others close once answered. */
  closeIdle(): void;
  destroyAll(): void;
}

/**
 * The Date header's value, made on first use and dropped at the next second boundary (as node:http
 * does), so answers do not read the clock each.
 */
class DateHeader {
  private text: string | null = null;

  value(): string {
    if (this.text === null) {
      const now = new Date();
      this.text = now.toUTCString();
      setTimeout(this.drop, 1000 - now.getMilliseconds()).unref();
    }
    return this.text;
  }

  private readonly drop = (): void => {
    this.text = null;
  };
}

/** The parts of a node:net Socket that readingInto moves, which Node does not declare. */
interface AcceptedSocket {
  _handle: object | null;
}

/**
 * A connection node:net accepted (paused: `pauseOnConnect`), as a socket that reads into `onread`'s
 * buffer and calls its callback with each read's length, instead of allocating a Buffer per read
 * and pushing it through the Readable stream to a 'data' listener. Node offers this (`onread`) only
 * to sockets it does not accept itself, so the accepted socket's handle moves to a new Socket made
 * with it. The accepted one stays behind without its handle, as its server's count of the
 * connection, and is destroyed when the new one closes: server.close() still waits for the
 * connection, as for any other. The bare node:net floor of the api benchmark spends about 1 µs of
 * user CPU per answer this way against 1.8 µs through 'data'. `_handle` is not in Node's documented
 * API: a Node without it fails here loudly, and the fast lane's tests with it.
 */
export function readingInto(accepted: Socket, onread: OnReadOpts): Socket {
  const shell = accepted as unknown as AcceptedSocket;
  const handle = shell._handle;
  if (typeof handle !== 'object' || handle === null)
    throw new Error(
      'the fast lane needs the handle of an accepted node:net socket (socket._handle), which this Node lacks',
    );
  shell._handle = null;
  const options: SocketConstructorOpts & { handle: object; onread: OnReadOpts } = {
    handle,
    onread,
    allowHalfOpen: accepted.allowHalfOpen,
    readable: true,
    writable: true,
  };
  const socket = new Socket(options);
  socket.once('close', () => accepted.destroy());
  return socket;
}

/**
 * The API's hot path without node:http's per-request machinery (IncomingMessage and
 * ServerResponse objects, header normalisation, the generic writer): a plain net server that reads
 * complete, strictly well-formed GET heads (request-head.ts), asks the route table for the answer,
 * and writes it with one write. Answers go out in request order; a request whose answer must be
 * waited for (a key not yet remembered, the Redis bucket, Elasticsearch) pauses the connection until
 * it is written, and so does a client that does not read its answers (until they drain).
 *
 * Everything else (another method, a body, an upgrade, HTTP/1.0, `Connection: close`, an event
 * stream, a head split across reads, anything malformed) hands the connection to node:http, with the
 * bytes not yet answered put back in front of it; node:http serves the connection from then on,
 * with its own parser, limits and timeouts. Requests the lane answers never reach node:http, and
 * the lane never has to refuse a request itself.
 */
export function createFastLane(routes: ApiRoutes, fallback: HttpServer, options: FastLaneOptions): FastLane {
  const date = new DateHeader();
  const keepAlive = `connection: keep-alive\r\nkeep-alive: timeout=${Math.floor(options.keepAliveTimeoutMs / 1000)}\r\n`;
  const connections = new Set<Connection>();
  let closing = false;
  // Idle connections are found by a sweep rather than a timer per socket: socket.setTimeout
  // re-arms a timer on every read and write, which measured ~0.4 µs of the ~5 µs of JavaScript
  // per request. Activity is stamped with the sweep's clock (`sweptAt`), not read per request, so
  // a stamp may be up to one sweep old: the sweep closes a connection idle for between one and
  // 1.5 timeouts.
  const sweepEveryMs = Math.max(25, Math.min(1_000, options.keepAliveTimeoutMs / 4));
  let sweptAt = Date.now();
  const sweeper = setInterval(() => {
    sweptAt = Date.now();
    const idleSince = sweptAt - options.keepAliveTimeoutMs - sweepEveryMs;
    for (const connection of connections) connection.closeIfIdleSince(idleSince);
  }, sweepEveryMs);
  sweeper.unref();
  // The bytes of a Buffer body as a latin1 string, made once per body (the cache's bodies are
  // reused until the prediction changes), so an answer is one string written with one write.
  const latin1 = new WeakMap<Buffer, string>();
  // Every connection reads into this one buffer (see readingInto): nothing is allocated per read.
  const readBuffer = Buffer.allocUnsafeSlow(64 * 1024);

  class Connection {
    private pending: Buffer | null = null;
    /**
     * The last request that came in one read of its own, with what was read of it: a client
     * repeating a request on its connection (a poller, a dashboard, a load test) is answered without
     * reading the head again. The head is read-only, and the key and the bucket are still asked for
     * each request; about 0.6 µs less per answer in the api benchmark (one process).
     */
    private repeated: { bytes: Buffer; read: ReadHead } | null = null;
    private waiting = false;
    private ended = false;
    /** When the client last sent something, or an awaited answer was written (`sweptAt`, epoch ms). */
    private lastActive = sweptAt;
    /** Handed to node:http, or closed: this lane no longer reads or writes the connection. */
    private done = false;

    private readonly socket: Socket;

    constructor(accepted: Socket) {
      const socket = readingInto(accepted, { buffer: readBuffer, callback: this.onRead });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.on('end', this.onEnd);
      socket.on('error', this.onError);
      socket.on('close', this.onClose);
    }

    get idle(): boolean {
      return !this.waiting;
    }

    destroy(): void {
      this.socket.destroy();
    }

    /** Closes the connection when it waits for no answer and nothing happened on it since `time`. */
    closeIfIdleSince(time: number): void {
      if (!this.waiting && this.lastActive < time) this.socket.destroy();
    }

    /**
     * `length` new bytes at the front of the lane's read buffer. They are answered from there when
     * they are whole requests; what is kept past this call (requests behind an awaited answer, the
     * head a repeated request is compared with, bytes handed to node:http) is copied out, as the
     * next read overwrites the buffer.
     */
    private readonly onRead = (length: number): boolean => {
      const read = readBuffer.subarray(0, length);
      // Handed off, the connection is read by node:http's parser, unless it let go of it (an upgrade,
      // CONNECT): then what arrives goes to the socket's 'data', as on any socket.
      if (this.done) return this.socket.push(Buffer.from(read));
      this.lastActive = sweptAt;
      this.pending = this.pending === null ? read : Buffer.concat([this.pending, read]);
      if (!this.waiting) this.serve();
      if (this.pending !== null && this.pending.buffer === readBuffer.buffer) this.pending = Buffer.from(this.pending);
      return true;
    };

    /** Answers every complete request at the front of what was read, in order. */
    private serve(): void {
      while (this.pending !== null && !this.done) {
        const read = this.readHead(this.pending);
        const outcome = read === null ? null : routes.answerUnlessStream(read.head);
        if (read === null || outcome === null) {
          this.handOff();
          return;
        }
        this.pending = read.length === this.pending.length ? null : this.pending.subarray(read.length);
        if (outcome instanceof Promise) {
          this.hold();
          void outcome.then((answer) => {
            this.write(answer);
            this.proceed();
          });
          return;
        }
        this.write(outcome);
        if (this.socket.writableNeedDrain) {
          // A client that sends faster than it reads: read no more until it has caught up.
          this.hold();
          this.socket.once('drain', this.proceed);
          return;
        }
      }
      if ((closing || this.ended) && !this.done) this.socket.end();
    }

    /** The request at the front of `bytes`, as readRequestHead reads it (or null). */
    private readHead(bytes: Buffer): ReadHead | null {
      const last = this.repeated;
      if (last !== null && bytes.length === last.bytes.length && bytes.equals(last.bytes)) return last.read;
      const read = readRequestHead(bytes);
      if (read !== null && read.length === bytes.length) this.repeated = { bytes: Buffer.from(bytes), read };
      return read;
    }

    /** Reads nothing more until proceed(): an answer is awaited or the client reads too slowly. */
    private hold(): void {
      this.waiting = true;
      this.socket.pause();
    }

    /** Goes on reading once what was written has room in the socket's buffer. */
    private readonly proceed = (): void => {
      if (this.done) return;
      if (this.socket.writableNeedDrain) {
        this.socket.once('drain', this.proceed);
        return;
      }
      this.waiting = false;
      this.lastActive = sweptAt;
      this.socket.resume();
      this.serve();
    };

    private write(answer: Answer): void {
      // Stream routes are handed off before they are answered; a body is all this lane writes.
      const { status, headers, type, body } = answer as BodyAnswer;
      if (this.done) return;
      options.counters.answers.inc();
      const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      let head =
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: ${type}\r\n` +
        `content-length: ${length}\r\ndate: ${date.value()}\r\n${keepAlive}`;
      // Header values come from the route table, never from a request, so they need no escaping.
      for (const name in headers) {
        const value = headers[name];
        if (value !== undefined) head += `${name}: ${Array.isArray(value) ? value.join(', ') : String(value)}\r\n`;
      }
      // One write of one string: a single send, measurably cheaper than a corked head + body writev.
      // A Buffer body is UTF-8 already; through latin1 its bytes pass unchanged.
      if (typeof body === 'string') this.socket.write(`${head}\r\n${body}`, 'utf8');
      else {
        let bytes = latin1.get(body);
        if (bytes === undefined) {
          bytes = body.toString('latin1');
          latin1.set(body, bytes);
        }
        this.socket.write(`${head}\r\n${bytes}`, 'latin1');
      }
    }

    /** From now on node:http serves this connection, starting with the bytes not yet answered. */
    private handOff(): void {
      options.counters.handoffs.inc();
      this.leave();
      this.socket.pause();
      if (this.pending !== null) this.socket.unshift(Buffer.from(this.pending));
      this.pending = null;
      fallback.emit('connection', this.socket);
      this.socket.resume();
    }

    private leave(): void {
      this.done = true;
      connections.delete(this);
      this.socket.off('end', this.onEnd);
      this.socket.off('error', this.onError);
      this.socket.off('close', this.onClose);
    }

    /**
     * The client is done sending. 'end' comes only once every byte was read, and a paused
     * connection reads none, so no request waits here: what was complete was answered, what was
     * not went to node:http.
     */
    private readonly onEnd = (): void => {
      this.ended = true;
      if (!this.waiting) this.socket.end();
    };

    private readonly onError = (): void => {
      // A reset or broken pipe from the client: nothing to answer; 'close' follows.
      this.socket.destroy();
    };

    private readonly onClose = (): void => {
      this.leave();
    };
  }

  const server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    connections.add(new Connection(socket));
  });

  return {
    server,
    closeIdle() {
      closing = true;
      clearInterval(sweeper);
      for (const connection of connections) if (connection.idle) connection.destroy();
    },
    destroyAll() {
      clearInterval(sweeper);
      for (const connection of connections) connection.destroy();
    },
  };
}
