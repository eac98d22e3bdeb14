/** One client WebSocket as sessions see it; the uWS adapter implements it. Binary frames only. */
export interface FrameConnection {
  /** Queues a binary frame; never drops it. */
  send(frame: Uint8Array): void;
  /** Bytes queued but not yet written to the socket. */
  bufferedBytes(): number;
  /** Resolves when the send buffer has drained below the high-water mark, or the connection closed. */
  waitWritable(): Promise<void>;
  close(code: number, reason: string): void;
  readonly closed: boolean;
}

/** What the WebSocket route drives: a worker's StreamSession or the balancer's RelaySession. */
export interface SessionHandler {
  /** The connection is open: send `ready` (or start fetching it). */
  open(): void;
  /** One incoming frame; must never throw. */
  receive(bytes: Uint8Array, isBinary: boolean): void;
  /** The connection closed: stop everything it started. */
  closed(): void;
  /** Requests in flight: while there are any, the connection is not idle. */
  readonly activeRequests: number;
}
