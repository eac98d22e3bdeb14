import { decodeClientMessage } from '../protocol/codec.js';

/** A request the balancer has seen start and not yet end. */
interface TrackedRequest {
  /** The client's start frame as received, then its streamed input (`text`, `flush`, `end`), to replay on another worker. */
  frames: Uint8Array[];
  audioStarted: boolean;
  /** The client cancelled it before any audio: on failover it ends as cancelled instead of being replayed. */
  cancelled: boolean;
  /** A streamed request whose input has not ended: its worker may rightly be silent while it waits for text. */
  inputOpen: boolean;
}

/** What becomes of a session's requests when its worker is lost. */
export interface FailoverPlan {
  /** Requests that had sent audio: they end with BACKEND_LOST. */
  lost: string[];
  /** Frames of requests with no audio yet (each one's start, then its input so far), for the next worker, in order. */
  replay: Uint8Array[];
  /** Requests the client cancelled before their audio: they end with done.cancelled. */
  cancelled: string[];
}

/**
 * The requests of one relayed session, as far as failover needs them: which started, which sent audio,
 * which the client cancelled. Only well-formed starts are tracked; the worker answers the rest.
 */
export class RequestTracker {
  private readonly requests = new Map<string, TrackedRequest>();
  private awaiting = 0;

  /** Requests started and not yet ended. */
  get size(): number {
    return this.requests.size;
  }

  /** Requests whose worker owes audio or an end: all but streamed requests with their input still open. */
  get owing(): number {
    let count = 0;
    for (const request of this.requests.values()) if (!request.inputOpen) count += 1;
    return count;
  }

  /** Requests still waiting for their first audio frame. */
  get awaitingAudio(): number {
    return this.awaiting;
  }

  /** Records a client frame; returns the id of a start it began tracking. */
  fromClient(frame: Uint8Array, type: string | undefined): string | undefined {
    if (type !== 'start' && type !== 'cancel' && type !== 'text' && type !== 'flush' && type !== 'end') return undefined;
    let message;
    try {
      message = decodeClientMessage(frame);
    } catch {
      return undefined;
    }
    const known = this.requests.get(message.id);
    if (message.type === 'cancel') {
      if (known && !known.audioStarted) known.cancelled = true;
      return undefined;
    }
    if (message.type === 'end' && known) known.inputOpen = false;
    if (message.type !== 'start') {
      // Input that arrives before the first audio replays with its start: the next worker hears all the text so far.
      if (known && !known.audioStarted) known.frames.push(frame);
      return undefined;
    }
    if (known) return undefined;
    this.requests.set(message.id, { frames: [frame], audioStarted: false, cancelled: false, inputOpen: message.input === 'stream' });
    this.awaiting += 1;
    return message.id;
  }

  /** True while the request exists and has not sent audio. */
  isAwaitingAudio(id: string): boolean {
    return this.requests.get(id)?.audioStarted === false;
  }

  audioArrived(id: string): void {
    const request = this.requests.get(id);
    if (!request || request.audioStarted) return;
    request.audioStarted = true;
    request.frames = [];
    this.awaiting -= 1;
  }

  end(id: string): void {
    const request = this.requests.get(id);
    if (!request) return;
    if (!request.audioStarted) this.awaiting -= 1;
    this.requests.delete(id);
  }

  /** The frames (start, then input) of a request that has not sent audio, when it is the only request in flight. */
  soleUnstarted(id: string): Uint8Array[] | undefined {
    const request = this.requests.get(id);
    return request && !request.audioStarted && this.requests.size === 1 ? [...request.frames] : undefined;
  }

  /** Splits the requests for a failover and ends those that cannot move. */
  planFailover(): FailoverPlan {
    const plan: FailoverPlan = { lost: [], replay: [], cancelled: [] };
    for (const [id, request] of this.requests) {
      if (request.audioStarted) plan.lost.push(id);
      else if (request.cancelled) plan.cancelled.push(id);
      else plan.replay.push(...request.frames);
    }
    for (const id of [...plan.lost, ...plan.cancelled]) this.end(id);
    return plan;
  }

  clear(): void {
    this.requests.clear();
    this.awaiting = 0;
  }
}
