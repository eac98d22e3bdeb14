import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { Logger } from '../../logging/logger.js';
import { encodeFrame } from '../../protocol/codec.js';
import { TtsError, closeCodeFor, httpStatusFor } from '../../protocol/errors.js';
import { STREAM_PATH } from '../../protocol/messages.js';
import type { FrameConnection, SessionHandler } from '../frame-connection.js';
import { watchIdle, type IdleWatch } from '../idle-watch.js';
import { logOverflow, sendOverflow } from '../send-overflow.js';
import { parseOfferedProtocols, selectProtocol } from '../access/subprotocol.js';
import type { StreamRouteOptions, UpgradeVerdict } from '../transport.js';
import { statusLine } from './uws-exchange.js';

interface SocketData {
  connection: UwsConnection | undefined;
  session: SessionHandler | undefined;
  idle: IdleWatch | undefined;
  verdict: UpgradeVerdict | undefined;
}

/** Result codes of uWS `send`: 2 means the message was dropped, which must never go unnoticed. */
const SEND_DROPPED = 2;

class UwsConnection implements FrameConnection {
  closed = false;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly ws: WebSocket<SocketData>,
    private readonly limits: { highWaterBytes: number; maxBufferedBytes: number },
    private readonly logger: Logger,
    private readonly onActivity: () => void,
  ) {}

  send(frame: Uint8Array): void {
    if (this.closed) return;
    const buffered = this.ws.getBufferedAmount();
    if (buffered + frame.byteLength > this.limits.maxBufferedBytes) {
      logOverflow(this.logger, buffered, this.limits.maxBufferedBytes);
      const overflow = sendOverflow(this.limits.maxBufferedBytes);
      this.ws.send(overflow.frame, true);
      this.close(overflow.closeCode, overflow.reason);
      return;
    }
    this.onActivity();
    if (this.ws.send(frame, true) === SEND_DROPPED) {
      this.logger.error({ bufferedBytes: this.ws.getBufferedAmount() }, 'send buffer limit hit; closing so no frame is silently lost');
      this.close(1011, 'send buffer overflow');
    }
  }

  bufferedBytes(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }

  waitWritable(): Promise<void> {
    if (this.closed || this.ws.getBufferedAmount() <= this.limits.highWaterBytes) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  drained(): void {
    if (!this.closed && this.ws.getBufferedAmount() > this.limits.highWaterBytes) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.ws.end(code, reason);
  }

  markClosed(): void {
    this.closed = true;
    this.drained();
  }
}

/** Live connections of the stream route, for /health and shutdown. */
export interface StreamRoute {
  readonly connections: number;
  /** Ends every connection with the close code and reason given. */
  closeAll(code: number, reason: string): void;
}

/** Mounts the streaming WebSocket endpoint on a uWS app; each connection gets a session from `createSession`. */
export function attachStreamRoute(app: TemplatedApp, deps: StreamRouteOptions): StreamRoute {
  const open = new Set<UwsConnection>();
  app.ws<SocketData>(STREAM_PATH, {
    // Frames up to 16× the limit are read so that an oversized one gets a coded error and the
    // connection survives; only beyond that does uWS cut the connection itself.
    maxPayloadLength: Math.min(deps.maxFrameBytes * 16, 64 * 1024 * 1024),
    // uWS's idleTimeout counts received bytes only and would cut a client listening to a long stream: the idle
    // timeout is the adapters' own (idle-watch.ts).
    idleTimeout: 0,
    sendPingsAutomatically: false,
    // Above the bound `send` enforces, so uWS never drops a frame itself; the error frame fits in the margin.
    maxBackpressure: deps.maxSendBufferBytes + 64 * 1024,
    upgrade: (res, req, context) => {
      // The request object is only valid inside this callback: the gate decides here, `open` acts on it.
      const verdict = deps.gate?.({ header: (name) => req.getHeader(name), remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString() });
      if (verdict?.kind === 'reject') {
        const { code, message, retryable } = verdict.error;
        res
          .writeStatus(statusLine(httpStatusFor(code)))
          .writeHeader('content-type', 'application/json')
          .writeHeader('cache-control', 'no-store');
        res.end(JSON.stringify({ error: { code, message, retryable } }), true);
        return;
      }
      res.upgrade<SocketData>(
        { connection: undefined, session: undefined, idle: undefined, verdict },
        req.getHeader('sec-websocket-key'),
        selectProtocol(parseOfferedProtocols(req.getHeader('sec-websocket-protocol'))),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => {
      const data = ws.getUserData();
      const refusal =
        (data.verdict?.kind === 'refuse' ? data.verdict.error : undefined) ??
        deps.isAccepting() ??
        (open.size >= deps.maxConnections ? new TtsError('SERVER_BUSY', `worker has reached its ${deps.maxConnections} connections`) : undefined);
      if (refusal) {
        ws.send(encodeFrame({ type: 'error', code: refusal.code, message: refusal.message, retryable: refusal.retryable }), true);
        ws.end(closeCodeFor(refusal.code), refusal.code);
        return;
      }
      // An idle connection is cut without a close handshake, as uWS's own idleTimeout did.
      const idle = watchIdle({ idleMs: deps.idleTimeoutSec * 1000, isBusy: () => isBusy(), onIdle: () => ws.close() });
      const connection = new UwsConnection(ws, { highWaterBytes: deps.sendHighWaterBytes, maxBufferedBytes: deps.maxSendBufferBytes }, deps.logger, idle.touch);
      const created = deps.createSession(connection);
      // Requests in flight keep a connection open while its client listens; not one whose client stopped reading
      // (bytes queued and none written since the last touch): that client is gone or stuck.
      const isBusy = () => created.activeRequests > 0 && connection.bufferedBytes() === 0;
      data.connection = connection;
      data.session = data.verdict?.kind === 'admit' ? data.verdict.wrap(created, connection) : created;
      data.idle = idle;
      open.add(connection);
      deps.onOpen();
      data.session.open();
    },
    message: (ws, message, isBinary) => {
      const data = ws.getUserData();
      data.idle?.touch();
      data.session?.receive(new Uint8Array(message.slice(0)), isBinary);
    },
    ping: (ws) => ws.getUserData().idle?.touch(),
    pong: (ws) => ws.getUserData().idle?.touch(),
    drain: (ws) => {
      const data = ws.getUserData();
      data.idle?.touch();
      data.connection?.drained();
    },
    close: (ws) => {
      const data = ws.getUserData();
      data.idle?.stop();
      if (!data.connection) return;
      data.connection.markClosed();
      open.delete(data.connection);
      data.session?.closed();
      deps.onClose();
    },
  });
  return {
    get connections() {
      return open.size;
    },
    closeAll(code, reason) {
      for (const connection of open) connection.close(code, reason);
    },
  };
}
