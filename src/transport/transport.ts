import type { Logger } from '../logging/logger.js';
import type { TtsError } from '../protocol/errors.js';
import type { FrameConnection, SessionHandler } from './frame-connection.js';
import type { HttpHandler } from './http-exchange.js';
import type { ListenRetryOptions } from './listen-retry.js';

/** The adapters: uWebSockets.js (native binary) or `ws` on `node:http`. */
export const TRANSPORT_NAMES = ['uws', 'node'] as const;
export type TransportName = (typeof TRANSPORT_NAMES)[number];
/** What a user may ask for: an adapter, or `auto` (uws where its native binary loads, else node). */
export type TransportChoice = TransportName | 'auto';

/** The streaming WebSocket endpoint (`STREAM_PATH`) as an adapter serves it. */
export interface StreamRouteOptions {
  /** Makes the session for one accepted connection. */
  createSession: (connection: FrameConnection) => SessionHandler;
  /** Open connections at once; more are refused with SERVER_BUSY and 1013. */
  maxConnections: number;
  /** Largest frame a session accepts; frames up to 16× are read so the session can answer with a coded error. */
  maxFrameBytes: number;
  /** A connection with no traffic in either direction and no request in flight for this long is cut, in seconds. */
  idleTimeoutSec: number;
  /** Send buffer at which `waitWritable` waits, in bytes. */
  sendHighWaterBytes: number;
  /**
   * Most bytes queued for one connection, error replies included; past it the adapter sends CLIENT_TOO_SLOW and
   * closes (1008) rather than buffer for a client that does not read. Sessions pause far earlier, at the high-water mark.
   */
  maxSendBufferBytes: number;
  /** A refusal for new connections (draining, loading), or undefined to accept. */
  isAccepting: () => TtsError | undefined;
  logger: Logger;
  onOpen: () => void;
  onClose: () => void;
  /** Checks each upgrade request (keys, origin, host, limits) before the WebSocket opens; none: all are let in. */
  gate?: UpgradeGate;
}

/** What a gate sees of an upgrade request; valid only during the call. */
export interface UpgradeRequest {
  /** A request header by lower-case name; '' when absent. */
  header(name: string): string;
  readonly remoteAddress: string;
}

/**
 * A gate's answer: `reject` answers the upgrade with that code's HTTP status and no WebSocket; `refuse` opens it, sends
 * the error frame and closes with the code's close code (browsers can read that, not an HTTP status); otherwise the
 * socket opens with `protocol` selected, and `wrap` may put itself between the connection and its session.
 */
export type UpgradeVerdict =
  | { kind: 'reject'; error: TtsError }
  | { kind: 'refuse'; error: TtsError }
  | { kind: 'admit'; wrap: (session: SessionHandler, connection: FrameConnection) => SessionHandler };

/** Decides on one upgrade request; must not throw. */
export type UpgradeGate = (request: UpgradeRequest) => UpgradeVerdict;

/** What `Transport.serve` needs: where to listen and what to serve there. */
export interface ServeOptions {
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  http: HttpHandler;
  stream: StreamRouteOptions;
  logger: Logger;
  retry?: ListenRetryOptions;
}

/** A listening server of one adapter. */
export interface TransportServer {
  readonly port: number;
  /** Open WebSocket sessions. */
  readonly connections: number;
  /** Ends every WebSocket with the close code and reason given. */
  closeAll(code: number, reason: string): void;
  /** Stops accepting connections; open ones stay until closed. */
  stopListening(): void;
}

/** One adapter: serves HTTP and the stream WebSocket on a port. Rejects with PortInUseError when another process holds it. */
export interface Transport {
  readonly name: TransportName;
  serve(options: ServeOptions): Promise<TransportServer>;
}
