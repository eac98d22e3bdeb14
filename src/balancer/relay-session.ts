import type { Logger } from '../logging/logger.js';
import { decodeClientMessage, decodeServerMessage, encodeFrame, peekFrameType } from '../protocol/codec.js';
import { TtsError, toTtsError } from '../protocol/errors.js';
import type { FrameConnection, SessionHandler } from '../transport/frame-connection.js';
import type { Backend, BackendPool } from './backend-pool.js';
import { WorkerRefusal, connectBackend, type BackendLink, type LinkClosed } from './backend-link.js';
import type { BalancerMetrics } from './balancer-metrics.js';

/** A request the balancer has seen start and not yet end. */
interface TrackedRequest {
  /** The client's start frame as received, to replay on another worker. */
  start: Uint8Array;
  audioStarted: boolean;
}

/** Worker close codes that mean "this worker went away" (failover) rather than "this client broke a rule" (propagate). */
const WORKER_GONE = new Set([1001, 1006, 1011, 1012]);

export interface RelayOptions {
  connectTimeoutMs: number;
  /** Client send buffer at which the worker link is paused, in bytes. */
  sendHighWaterBytes: number;
}

/**
 * One client session through the balancer: pinned to a worker, frames relayed as bytes (audio is never
 * re-encoded). If the worker is lost, requests that have not sent audio are replayed on another worker
 * unseen by the client; those that had get BACKEND_LOST, and the session goes on with a healthy worker.
 */
export class RelaySession implements SessionHandler {
  private link: BackendLink | undefined;
  private attaching = false;
  private readySent = false;
  private clientGone = false;
  private paused = false;
  private awaitingAudio = 0;
  private readonly requests = new Map<string, TrackedRequest>();
  /** Frames waiting for a worker link, in order. */
  private outbox: Uint8Array[] = [];

  constructor(
    private readonly client: FrameConnection,
    private readonly deps: { pool: BackendPool; options: RelayOptions; logger: Logger; metrics: BalancerMetrics; onClosed?: () => void },
  ) {}

  /** Requests started and not yet ended. */
  get activeRequests(): number {
    return this.requests.size;
  }

  /** Bytes queued for the client and not yet written to its socket. */
  get bufferedBytes(): number {
    return this.client.bufferedBytes();
  }

  open(): void {
    void this.attach(new Set());
  }

  receive(bytes: Uint8Array, isBinary: boolean): void {
    if (!isBinary) {
      this.sendToClient(encodeFrame({ type: 'error', code: 'BAD_FRAME', message: 'text frames are not accepted; send binary msgpack frames', retryable: false }));
      return;
    }
    this.track(bytes);
    if (this.link) this.forwardToWorker(this.link, bytes);
    else {
      this.outbox.push(bytes);
      if (!this.attaching && this.readySent) void this.attach(new Set());
    }
  }

  closed(): void {
    this.clientGone = true;
    this.deps.onClosed?.();
    this.detach();
    this.requests.clear();
    this.outbox = [];
  }

  private track(bytes: Uint8Array): void {
    if (clientFrameType(bytes) !== 'start') return;
    try {
      const message = decodeClientMessage(bytes);
      if (message.type === 'start' && !this.requests.has(message.id)) {
        this.requests.set(message.id, { start: bytes, audioStarted: false });
        this.awaitingAudio += 1;
      }
    } catch {
      // The worker validates and answers with the coded error; the balancer only tracks valid starts.
    }
  }

  private forwardToWorker(link: BackendLink, bytes: Uint8Array): void {
    if (clientFrameType(bytes) === 'start') link.backend.requests += 1;
    link.send(bytes);
  }

  /** Picks a worker and connects, trying the others if one refuses; then flushes the outbox. */
  private async attach(exclude: Set<number>): Promise<void> {
    this.attaching = true;
    try {
      for (;;) {
        const backend = this.deps.pool.pick(exclude);
        if (!backend) return this.noBackend();
        try {
          const { link, ready } = await connectBackend(backend, this.deps.options.connectTimeoutMs);
          if (this.clientGone) {
            link.close(1000, 'client left');
            return;
          }
          this.link = link;
          backend.sessions += 1;
          this.deps.logger.debug({ backend: backend.url }, 'session pinned');
          if (!this.readySent) {
            this.readySent = true;
            this.sendToClient(ready);
          }
          const outbox = this.outbox;
          this.outbox = [];
          for (const frame of outbox) this.forwardToWorker(link, frame);
          link.start({ onFrame: (frame) => this.fromWorker(link, frame), onClose: (closed) => this.workerClosed(link, closed) });
          return;
        } catch (err) {
          exclude.add(backend.index);
          // A worker that refused is alive and says so in /health: marking it down would take a merely busy
          // worker out of rotation (a defect of the original deployment). Only unreachable ones are failures.
          if (err instanceof WorkerRefusal) {
            if (err.code === 'DRAINING') backend.state = 'draining';
          } else {
            this.deps.pool.reportFailure(backend, toTtsError(err).message);
          }
        }
      }
    } finally {
      this.attaching = false;
    }
  }

  private noBackend(): void {
    const error = new TtsError('NO_BACKEND', 'no healthy worker can take this session now');
    this.deps.metrics.noBackend();
    if (!this.readySent) {
      this.sendToClient(encodeFrame({ type: 'error', code: error.code, message: error.message, retryable: true }));
      this.client.close(1013, 'no backend available');
      return;
    }
    // Mid-session: end the waiting requests with the error; the session stays open for later ones.
    for (const frame of this.outbox) {
      const id = startId(frame);
      if (id === undefined) continue;
      this.endRequest(id);
      this.sendToClient(encodeFrame({ type: 'error', id, code: error.code, message: error.message, retryable: true }));
    }
    this.outbox = [];
  }

  // `link` is passed in: frames of a link already replaced must not touch the new one.
  private fromWorker(link: BackendLink, frame: Uint8Array): void {
    if (link !== this.link) return;
    const backend = link.backend;
    backend.framesRelayed += 1;
    backend.bytesRelayed += frame.byteLength;
    this.deps.metrics.relayed(frame.byteLength);
    const type = peekFrameType(frame);
    if (type === 'ready') return;
    if ((type !== 'audio' || this.awaitingAudio > 0) && this.observe(backend, frame) === 'moved') return;
    this.sendToClient(frame);
  }

  /** Tracks what failover needs from a worker frame; 'moved' when the frame was handled by moving the session. */
  private observe(backend: Backend, frame: Uint8Array): 'forward' | 'moved' {
    let message;
    try {
      message = decodeServerMessage(frame);
    } catch {
      return 'forward';
    }
    if (message.type === 'audio') {
      const request = this.requests.get(message.id);
      if (request && !request.audioStarted) {
        request.audioStarted = true;
        this.awaitingAudio -= 1;
      }
    } else if (message.type === 'done') {
      this.endRequest(message.id);
    } else if (message.type === 'error') {
      if (message.id !== undefined && message.code === 'DRAINING' && this.moveOffDrainingWorker(backend, message.id)) return 'moved';
      backend.countError(message.code);
      if (message.id !== undefined) this.endRequest(message.id);
    }
    return 'forward';
  }

  /**
   * A worker that is draining refused a new request. When it is the session's only request, the session moves
   * to another worker and the request is sent there, unseen by the client. With other requests still running
   * on the draining worker the link must stay, so the client gets the retryable DRAINING error instead.
   */
  private moveOffDrainingWorker(backend: Backend, id: string): boolean {
    const request = this.requests.get(id);
    if (!request || request.audioStarted || this.requests.size !== 1) return false;
    backend.state = 'draining';
    this.detach();
    this.outbox.unshift(request.start);
    this.deps.logger.info({ backend: backend.url }, 'worker draining; session moved');
    void this.attach(new Set([backend.index]));
    return true;
  }

  private endRequest(id: string): void {
    const request = this.requests.get(id);
    if (!request) return;
    if (!request.audioStarted) this.awaitingAudio -= 1;
    this.requests.delete(id);
  }

  private workerClosed(link: BackendLink, closed: LinkClosed): void {
    if (link !== this.link || this.clientGone) return;
    this.detach();
    const backend = link.backend;
    if (!WORKER_GONE.has(closed.code)) {
      this.client.close(closed.code, closed.reason);
      return;
    }
    if (this.requests.size === 0) {
      // Nothing in flight: the worker may just have timed out an idle link (uWS drops it with no close frame,
      // 1006) while the client kept its own connection alive. Not a worker failure; the next request re-attaches.
      this.deps.logger.debug({ backend: backend.url, code: closed.code }, 'idle worker link closed');
      return;
    }
    if (closed.abnormal) this.deps.pool.reportFailure(backend, `connection dropped (${closed.code})`);
    const replay: Uint8Array[] = [];
    for (const [id, request] of this.requests) {
      if (request.audioStarted) {
        this.endRequest(id);
        backend.countError('BACKEND_LOST');
        this.sendToClient(encodeFrame({ type: 'error', id, code: 'BACKEND_LOST', message: 'the worker serving this request was lost after its audio started', retryable: true }));
      } else {
        replay.push(request.start);
      }
    }
    backend.failovers += 1;
    this.deps.metrics.failover(replay.length);
    this.deps.logger.warn({ backend: backend.url, code: closed.code, replayed: replay.length }, 'worker lost; failing over');
    this.outbox = [...replay, ...this.outbox.filter((frame) => !replay.includes(frame))];
    if (this.outbox.length > 0) void this.attach(new Set([backend.index]));
  }

  private detach(): void {
    const link = this.link;
    if (!link) return;
    this.link = undefined;
    link.backend.sessions -= 1;
    link.close(1000, 'session ended');
  }

  private sendToClient(frame: Uint8Array): void {
    if (this.client.closed) return;
    this.client.send(frame);
    if (this.paused || this.client.bufferedBytes() <= this.deps.options.sendHighWaterBytes) return;
    const link = this.link;
    if (!link) return;
    this.paused = true;
    link.pause();
    void this.client.waitWritable().then(() => {
      this.paused = false;
      link.resume();
    });
  }
}

/**
 * A client frame's type: read from its first key when `type` comes first (as our clients write it), else decoded,
 * since the protocol does not fix the key order. Undefined for a frame the worker will refuse.
 */
function clientFrameType(frame: Uint8Array): string | undefined {
  const type = peekFrameType(frame);
  if (type !== undefined) return type;
  try {
    return decodeClientMessage(frame).type;
  } catch {
    return undefined;
  }
}

function startId(frame: Uint8Array): string | undefined {
  try {
    const message = decodeClientMessage(frame);
    return message.type === 'start' ? message.id : undefined;
  } catch {
    return undefined;
  }
}
