import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../logging/logger.js';
import { encodeFrame } from '../../protocol/codec.js';
import { TtsError, closeCodeFor, httpStatusFor } from '../../protocol/errors.js';
import type { FrameConnection } from '../frame-connection.js';
import { watchIdle } from '../idle-watch.js';
import { logOverflow, sendOverflow } from '../send-overflow.js';
import { selectProtocol } from '../access/subprotocol.js';
import type { StreamRouteOptions, UpgradeVerdict } from '../transport.js';

/**
 * FrameConnection over a `ws` socket. Buffered bytes are counted from `send` until its callback (written to the
 * kernel), the same span uWS's getBufferedAmount covers, so high-water marks mean the same on both adapters.
 */
class NodeConnection implements FrameConnection {
  closed = false;
  private closing = false;
  private pendingBytes = 0;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly ws: WebSocket,
    private readonly limits: { highWaterBytes: number; maxBufferedBytes: number },
    private readonly logger: Logger,
    private readonly onActivity: () => void,
  ) {}

  send(frame: Uint8Array): void {
    if (this.closed || this.closing) return;
    if (this.pendingBytes + frame.byteLength > this.limits.maxBufferedBytes) {
      logOverflow(this.logger, this.pendingBytes, this.limits.maxBufferedBytes);
      const overflow = sendOverflow(this.limits.maxBufferedBytes);
      this.ws.send(overflow.frame, { binary: true });
      this.close(overflow.closeCode, overflow.reason);
      return;
    }
    this.pendingBytes += frame.byteLength;
    this.onActivity();
    this.ws.send(frame, { binary: true }, () => {
      this.pendingBytes -= frame.byteLength;
      this.onActivity();
      this.drained();
    });
  }

  bufferedBytes(): number {
    return this.closed ? 0 : this.pendingBytes;
  }

  waitWritable(): Promise<void> {
    if (this.closed || this.pendingBytes <= this.limits.highWaterBytes) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(code: number, reason: string): void {
    if (this.closed || this.closing) return;
    this.closing = true;
    this.ws.close(code, reason);
  }

  markClosed(): void {
    this.closed = true;
    this.drained();
  }

  private drained(): void {
    if (!this.closed && this.pendingBytes > this.limits.highWaterBytes) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

function headerOf(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/** The stream endpoint on a node:http server's upgrades: what a `ws` server needs, and the live connections. */
export interface NodeStreamRoute {
  readonly connections: number;
  /** Hands one upgrade request to the endpoint (the caller checked the path). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  closeAll(code: number, reason: string): void;
}

/** The streaming WebSocket endpoint over `ws`, with the limits, refusals and idle timeout of the uWS adapter. */
export function createNodeStreamRoute(deps: StreamRouteOptions): NodeStreamRoute {
  const open = new Set<NodeConnection>();
  const wss = new WebSocketServer({
    noServer: true,
    // As on uWS: frames up to 16× the limit are read so an oversized one gets a coded error; beyond that, 1009.
    maxPayload: Math.min(deps.maxFrameBytes * 16, 64 * 1024 * 1024),
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (offered) => selectProtocol(offered) || false,
  });

  const accept = (ws: WebSocket, verdict: UpgradeVerdict | undefined) => {
    ws.on('error', (err) => deps.logger.debug({ err }, 'websocket error'));
    const refusal =
      (verdict?.kind === 'refuse' ? verdict.error : undefined) ??
      deps.isAccepting() ??
      (open.size >= deps.maxConnections ? new TtsError('SERVER_BUSY', `worker has reached its ${deps.maxConnections} connections`) : undefined);
    if (refusal) {
      ws.send(encodeFrame({ type: 'error', code: refusal.code, message: refusal.message, retryable: refusal.retryable }));
      ws.close(closeCodeFor(refusal.code), refusal.code);
      return;
    }
    // As on uWS: an idle connection is cut without a close handshake.
    const idle = watchIdle({ idleMs: deps.idleTimeoutSec * 1000, isBusy: () => isBusy(), onIdle: () => ws.terminate() });
    const connection = new NodeConnection(ws, { highWaterBytes: deps.sendHighWaterBytes, maxBufferedBytes: deps.maxSendBufferBytes }, deps.logger, idle.touch);
    const created = deps.createSession(connection);
    const session = verdict?.kind === 'admit' ? verdict.wrap(created, connection) : created;
    // Requests in flight keep a connection open while its client listens; not one whose client stopped reading
    // (bytes queued and none written since the last touch): that client is gone or stuck.
    const isBusy = () => created.activeRequests > 0 && connection.bufferedBytes() === 0;
    open.add(connection);
    ws.on('message', (data: Buffer, isBinary) => {
      idle.touch();
      session.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), isBinary);
    });
    ws.on('ping', idle.touch);
    ws.on('pong', idle.touch);
    ws.on('close', () => {
      idle.stop();
      connection.markClosed();
      open.delete(connection);
      session.closed();
      deps.onClose();
    });
    deps.onOpen();
    session.open();
  };

  return {
    get connections() {
      return open.size;
    },
    upgrade(req, socket, head) {
      const verdict = deps.gate?.({ header: (name) => headerOf(req, name), remoteAddress: req.socket.remoteAddress ?? '' });
      if (verdict?.kind === 'reject') {
        const { code, message, retryable } = verdict.error;
        const body = JSON.stringify({ error: { code, message, retryable } });
        const status = httpStatusFor(code);
        socket.end(
          `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nconnection: close\r\ncontent-type: application/json\r\ncache-control: no-store\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws, verdict));
    },
    closeAll(code, reason) {
      for (const connection of open) connection.close(code, reason);
    },
  };
}
