import { ERROR_CODES, isErrorCode } from '../protocol/errors.js';
import { loadScore, type BackendLoad } from './pick-backend.js';

/** What the worker said in its last /health that the balancer uses. */
export interface HealthReport {
  status: string;
  activeRequests: number;
  queuedRequests: number;
  capacity: number;
  /** Real-time requests it can still start; null when it reports none. */
  remainingCapacity: number | null;
  sessions: number;
  engine?: string;
}

/** One worker as the rest of the balancer sees it: read-only, since only the pool changes it (and logs each change). */
export interface Backend extends Readonly<BackendLoad> {
  readonly index: number;
  readonly url: string;
  readonly httpUrl: string;
  /** Requests sent to it (stream starts and HTTP /v1/tts). */
  readonly requests: number;
  readonly failovers: number;
  readonly framesRelayed: number;
  readonly bytesRelayed: number;
  readonly healthLatencyMs: number | undefined;
  readonly lastError: { message: string; at: string } | undefined;
  /** Errors of the worker's own making (5xx kinds), by code. */
  readonly errorsByCode: Readonly<Record<string, number>>;
  /** Errors the worker answered because of what a client sent (4xx kinds): no sign of a worker problem. */
  readonly clientErrorsByCode: Readonly<Record<string, number>>;
  readonly report: HealthReport | undefined;
  readonly loadScore: number;
}

/** The pool's own mutable record of one worker; no other module writes it. */
export class BackendRecord implements Backend {
  state: BackendLoad['state'] = 'down';
  activeRequests = 0;
  queuedRequests = 0;
  capacity = 1;
  remainingCapacity: number | null = null;
  pinnedSinceReport = 0;
  sessions = 0;
  opening = 0;
  requests = 0;
  failovers = 0;
  framesRelayed = 0;
  bytesRelayed = 0;
  healthLatencyMs: number | undefined;
  lastError: { message: string; at: string } | undefined;
  readonly errorsByCode: Record<string, number> = {};
  readonly clientErrorsByCode: Record<string, number> = {};
  report: HealthReport | undefined;
  goodChecks = 0;
  badChecks = 0;
  checked = false;
  /** The health check in flight, if any: a slow worker is never checked twice at once. */
  checking: Promise<void> | undefined;
  readonly httpUrl: string;

  constructor(
    readonly index: number,
    readonly url: string,
    readonly maxSessions: number,
  ) {
    const http = new URL(url);
    http.protocol = http.protocol === 'wss:' ? 'https:' : 'http:';
    http.pathname = '/';
    this.httpUrl = http.href.replace(/\/$/, '');
  }

  get loadScore(): number {
    return loadScore(this);
  }
}

/**
 * True when an error code a worker answered describes the client's request (an HTTP 4xx kind: bad frame,
 * unknown voice, too long) rather than a fault of the worker: such errors never count against it.
 */
export function isClientFault(code: string): boolean {
  return isErrorCode(code) && ERROR_CODES[code].httpStatus < 500;
}

/** Network errors that show a worker itself cannot be reached: proof enough to take it out. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL']);

/** True when `err` (or its cause) is a network error that shows the worker cannot be reached at all. */
export function isUnreachable(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) return true;
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  return cause !== undefined && cause !== err && isUnreachable(cause);
}
