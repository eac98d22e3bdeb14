import type { Logger } from '../logging/logger.js';
import { decodeServerMessage, encodeFrame, peekFrameId, peekFrameType } from '../protocol/codec.js';
import { TtsError, toTtsError } from '../protocol/errors.js';
import type { FrameConnection, SessionHandler } from '../transport/frame-connection.js';
import type { Backend, BackendPool } from './backend-pool.js';
import { isUnreachable } from './backend-record.js';
import { workerAuthHeaders } from './worker-auth.js';
import { WorkerRefusal, connectBackend, type BackendLink, type LinkClosed } from './backend-link.js';
import { clientFrameType, peekStartId } from './client-frame.js';
import { Deadline } from './deadline.js';
import { RequestTracker } from './request-tracker.js';

/** A frame waiting for a worker link; `startId` names the request when it is a tracked start. */
interface Pending {
  frame: Uint8Array;
  startId: string | undefined;
}

/** Worker close codes that mean "this worker went away" (failover) rather than "this client broke a rule" (propagate). */
const WORKER_GONE = new Set([1001, 1006, 1011, 1012]);

export interface RelayOptions {
  connectTimeoutMs: number;
  /** Client send buffer at which the worker link is paused, in bytes. */
  sendHighWaterBytes: number;
  /** With requests in flight and the client reading, a worker link silent this long has stalled, in ms (0: never). */
  progressTimeoutMs: number;
  /** A worker link with no request in flight is closed after this long, so idle sessions hold no worker connection, in ms. */
  linkIdleMs: number;
  /** The balancer's own key for workers that require one. */
  workerApiKey?: string;
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
  private readonly requests = new RequestTracker();
  /** Frames waiting for a worker link, in order. */
  private outbox: Pending[] = [];
  private readonly progress: Deadline;
  private readonly idleLink: Deadline;

  constructor(
    private readonly client: FrameConnection,
    private readonly deps: { pool: BackendPool; options: RelayOptions; logger: Logger; onClosed?: () => void },
  ) {
    this.progress = new Deadline(deps.options.progressTimeoutMs, () => this.stalled());
    this.idleLink = new Deadline(Math.max(1, deps.options.linkIdleMs), () => this.releaseIdleLink());
  }

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
      this.sendToClient(
        encodeFrame({ type: 'error', code: 'BAD_FRAME', message: 'text frames are not accepted; send binary msgpack frames', retryable: false }),
      );
      return;
    }
    const type = clientFrameType(bytes);
    const startId = this.requests.fromClient(bytes, type);
    if (this.link) this.forwardToWorker(this.link, bytes, startId);
    else {
      this.outbox.push({ frame: bytes, startId });
      if (!this.attaching && this.readySent) void this.attach(new Set());
    }
    this.updateTimers();
  }

  closed(): void {
    this.clientGone = true;
    this.deps.onClosed?.();
    this.detach();
    this.requests.clear();
    this.outbox = [];
    this.updateTimers();
  }

  private forwardToWorker(link: BackendLink, bytes: Uint8Array, startId: string | undefined): void {
    if (startId !== undefined) this.deps.pool.requestStarted(link.backend);
    link.send(bytes);
  }

  /**
   * The progress deadline runs while requests the worker owes audio are in flight on a link and the client reads (a
   * paused link is silent by our own doing, and so is a worker waiting for a streamed request's next text); the idle
   * deadline runs while a link carries nothing.
   */
  private updateTimers(): void {
    const inFlight = this.link !== undefined && this.requests.owing > 0;
    if (inFlight && !this.paused) this.progress.run();
    else this.progress.stop();
    if (this.link !== undefined && this.requests.size === 0 && this.outbox.length === 0) this.idleLink.run();
    else this.idleLink.stop();
  }

  /** No frame from the worker for the progress deadline: treat it as lost (a hung or stopped process). */
  private stalled(): void {
    const link = this.link;
    if (!link || this.clientGone) return;
    const why = `no frame for ${this.progress.ms} ms with requests in flight`;
    this.deps.logger.warn({ backend: link.backend.url, requests: this.requests.size }, 'worker link stalled; failing over');
    this.deps.pool.suspect(link.backend, why);
    link.abort();
    this.failOver(link, why, `the worker serving this request sent nothing for ${this.progress.ms} ms after its audio started`);
  }

  /** Idle sessions hold no worker connection: the next request attaches again (a worker's connections are few). */
  private releaseIdleLink(): void {
    if (!this.link || this.requests.size > 0 || this.outbox.length > 0 || this.attaching) return;
    this.deps.logger.debug({ backend: this.link.backend.url }, 'idle worker link released');
    this.detach();
  }

  /** Picks a worker and connects, trying the others if one refuses; then flushes the outbox. */
  private async attach(exclude: Set<number>): Promise<void> {
    this.attaching = true;
    try {
      for (;;) {
        const backend = this.deps.pool.reserveSession(exclude);
        if (!backend) return this.noBackend();
        try {
          const { link, ready } = await connectBackend(backend, this.deps.options.connectTimeoutMs, workerAuthHeaders(this.deps.options.workerApiKey));
          if (this.clientGone) {
            this.deps.pool.openAbandoned(backend);
            link.close(1000, 'client left');
            return;
          }
          this.link = link;
          this.deps.pool.opened(backend);
          // The client may still be reading slowly from before a failover: the new link waits with it.
          if (this.paused) link.pause();
          this.deps.logger.debug({ backend: backend.url }, 'session pinned');
          if (!this.readySent) {
            this.readySent = true;
            this.sendToClient(ready);
          }
          const outbox = this.outbox;
          this.outbox = [];
          for (const pending of outbox) this.forwardToWorker(link, pending.frame, pending.startId);
          link.start({ onFrame: (frame) => this.fromWorker(link, frame), onClose: (closed) => this.workerClosed(link, closed) });
          this.updateTimers();
          return;
        } catch (err) {
          exclude.add(backend.index);
          this.deps.pool.openAbandoned(backend);
          // A worker that refused is alive and says so in /health: marking it down would take a merely busy
          // worker out of rotation (a defect of the original deployment). Only unreachable ones are failures.
          if (err instanceof WorkerRefusal) {
            if (err.code === 'DRAINING') this.deps.pool.markDraining(backend, 'worker refused a session: draining');
          } else if (isUnreachable(err)) {
            this.deps.pool.reportFailure(backend, toTtsError(err).message);
          } else {
            // Dropped before ready: maybe one bad link, maybe a dying worker; its health check decides.
            this.deps.pool.suspect(backend, toTtsError(err).message);
          }
        }
      }
    } finally {
      this.attaching = false;
    }
  }

  private noBackend(): void {
    const error = new TtsError('NO_BACKEND', 'no healthy worker can take this session now');
    this.deps.pool.noBackend();
    if (!this.readySent) {
      this.sendToClient(encodeFrame({ type: 'error', code: error.code, message: error.message, retryable: error.retryable }));
      this.client.close(1013, 'no backend available');
      return;
    }
    // Mid-session: end the waiting requests with the error; the session stays open for later ones.
    for (const { startId: id } of this.outbox) {
      if (id === undefined) continue;
      this.requests.end(id);
      this.sendToClient(encodeFrame({ type: 'error', id, code: error.code, message: error.message, retryable: error.retryable }));
    }
    this.outbox = [];
    this.updateTimers();
  }

  // `link` is passed in: frames of a link already replaced must not touch the new one.
  private fromWorker(link: BackendLink, frame: Uint8Array): void {
    if (link !== this.link) return;
    const backend = link.backend;
    this.progress.touch();
    this.deps.pool.relayed(backend, frame.byteLength);
    const type = peekFrameType(frame);
    if (type === 'ready') return;
    if (this.mustObserve(type, frame) && this.observe(backend, frame) === 'moved') return;
    this.sendToClient(frame);
    if (type !== 'audio') this.updateTimers();
  }

  /** Audio passes through undecoded unless its request still waits for its first audio frame. */
  private mustObserve(type: string | undefined, frame: Uint8Array): boolean {
    if (type !== 'audio') return true;
    if (this.requests.awaitingAudio === 0) return false;
    const id = peekFrameId(frame);
    return id === undefined || this.requests.isAwaitingAudio(id);
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
      this.requests.audioArrived(message.id);
    } else if (message.type === 'done') {
      this.requests.end(message.id);
    } else if (message.type === 'error') {
      if (message.id !== undefined && message.code === 'DRAINING' && this.moveOffDrainingWorker(backend, message.id)) return 'moved';
      this.deps.pool.countError(backend, message.code);
      if (message.id !== undefined) this.requests.end(message.id);
    }
    return 'forward';
  }

  /**
   * A worker that is draining refused a new request. When it is the session's only request, the session moves
   * to another worker and the request (with its streamed input so far) is sent there, unseen by the client. With other requests still running
   * on the draining worker the link must stay, so the client gets the retryable DRAINING error instead.
   */
  private moveOffDrainingWorker(backend: Backend, id: string): boolean {
    const frames = this.requests.soleUnstarted(id);
    if (!frames) return false;
    this.deps.pool.markDraining(backend, 'worker refused a request: draining');
    this.detach();
    const moved = frames.map((frame, index) => ({ frame, startId: index === 0 ? id : undefined }));
    this.outbox = [...moved, ...this.outbox.filter((pending) => !frames.includes(pending.frame))];
    this.deps.logger.info({ backend: backend.url }, 'worker draining; session moved');
    void this.attach(new Set([backend.index]));
    return true;
  }

  private workerClosed(link: BackendLink, closed: LinkClosed): void {
    if (link !== this.link || this.clientGone) return;
    const backend = link.backend;
    if (!WORKER_GONE.has(closed.code)) {
      this.detach();
      this.client.close(closed.code, closed.reason);
      return;
    }
    if (this.requests.size === 0) {
      // Nothing in flight: the worker may just have timed out an idle link (uWS drops it with no close frame,
      // 1006) while the client kept its own connection alive. Not a worker failure; the next request re-attaches.
      this.detach();
      this.updateTimers();
      this.deps.logger.debug({ backend: backend.url, code: closed.code }, 'idle worker link closed');
      return;
    }
    // One dropped link is no proof the worker is down (issue 11): its health check decides, at once.
    if (closed.abnormal) this.deps.pool.suspect(backend, `connection dropped (${closed.code})`);
    this.failOver(link, `link closed (${closed.code})`, 'the worker serving this request was lost after its audio started');
  }

  /**
   * Leaves `link`'s worker: requests that sent audio end with BACKEND_LOST, those the client cancelled end as
   * cancelled, and the rest are replayed on another worker, unseen by the client.
   */
  private failOver(link: BackendLink, why: string, lostMessage: string): void {
    this.detach();
    const backend = link.backend;
    const plan = this.requests.planFailover();
    for (const id of plan.lost) {
      this.deps.pool.countError(backend, 'BACKEND_LOST');
      this.sendToClient(encodeFrame({ type: 'error', id, code: 'BACKEND_LOST', message: lostMessage, retryable: true }));
    }
    for (const id of plan.cancelled) {
      this.sendToClient(encodeFrame({ type: 'done', id, chunks: 0, samples: 0, cancelled: true, metrics: { ttfaMs: 0, rtf: 0, totalMs: 0, audioMs: 0 } }));
    }
    const replayed = plan.replay.map((frame) => ({ frame, startId: peekStartId(frame) }));
    // A streamed request replays as its start and its input: count requests, not frames.
    const requests = replayed.filter((pending) => pending.startId !== undefined).length;
    this.deps.pool.failover(backend, requests);
    this.deps.logger.warn({ backend: backend.url, why, replayed: requests }, 'worker lost; failing over');
    this.outbox = [...replayed, ...this.outbox.filter((pending) => !plan.replay.includes(pending.frame))];
    this.updateTimers();
    if (this.outbox.length > 0) void this.attach(new Set([backend.index]));
  }

  private detach(): void {
    const link = this.link;
    if (!link) return;
    this.link = undefined;
    this.deps.pool.linkClosed(link.backend);
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
    this.updateTimers();
    void this.client.waitWritable().then(() => {
      this.paused = false;
      // The link may have been replaced meanwhile (failover): resume the current one.
      this.link?.resume();
      this.updateTimers();
    });
  }
}
