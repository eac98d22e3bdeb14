import WebSocket from 'ws';
import { decodeServerMessage, peekFrameType } from '../protocol/codec.js';
import { TtsError } from '../protocol/errors.js';
import { STREAM_PATH } from '../protocol/messages.js';
import type { Backend } from './backend-pool.js';

/** How a backend connection ended: `abnormal` when the worker vanished without a close frame (1006). */
export interface LinkClosed {
  code: number;
  reason: string;
  abnormal: boolean;
}

/** One balancer → worker WebSocket, carrying one client session's frames. */
export interface BackendLink {
  readonly backend: Backend;
  /** Starts delivering the worker's frames after `ready` (those that arrived already come first, in order). */
  start(handlers: { onFrame: (frame: Uint8Array) => void; onClose: (closed: LinkClosed) => void }): void;
  send(frame: Uint8Array): void;
  /** Stops reading from the worker, so its send buffer fills and its requests pause. */
  pause(): void;
  resume(): void;
  close(code: number, reason: string): void;
  /** Drops the connection at once, without the closing handshake a hung worker would never answer. */
  abort(): void;
}

/** A worker that answered but would not take the session (full, draining, loading): alive, so not a failure. */
export class WorkerRefusal extends TtsError {}

function refusalOf(backend: Backend, frame: Uint8Array): TtsError {
  try {
    const message = decodeServerMessage(frame);
    if (message.type === 'error')
      return new WorkerRefusal(message.code, `${backend.url} refused the session: ${message.message}`, { retryable: message.retryable });
  } catch {
    // Not a protocol frame at all: treated as a broken worker below.
  }
  return new TtsError('NO_BACKEND', `${backend.url}: first frame was not ready`);
}

/**
 * Connects to a worker's stream endpoint and waits for its `ready` frame. Rejects with a WorkerRefusal
 * carrying the worker's code when it answers but refuses (SERVER_BUSY, DRAINING, NOT_READY), and with
 * TtsError NO_BACKEND when it is unreachable or sends no ready in time (its cause then has an ECONNREFUSED,
 * ETIMEDOUT, … code: see isUnreachable) or the connection drops before ready.
 */
export function connectBackend(backend: Backend, timeoutMs: number, headers: Record<string, string> = {}): Promise<{ link: BackendLink; ready: Uint8Array }> {
  const url = new URL(backend.url);
  url.pathname = STREAM_PATH;
  const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs, headers });
  // Frames (and a close) can arrive in the same tick as `ready`, before the caller has the link: hold them.
  const early: Uint8Array[] = [];
  let earlyClose: LinkClosed | undefined;
  let handlers: Parameters<BackendLink['start']>[0] | undefined;
  const link: BackendLink = {
    backend,
    start(h) {
      handlers = h;
      for (const frame of early.splice(0)) h.onFrame(frame);
      if (earlyClose) h.onClose(earlyClose);
    },
    send: (frame) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(frame);
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    close: (code, reason) => {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
    },
    abort: () => ws.terminate(),
  };
  return new Promise((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      ws.terminate();
      const cause = Object.assign(new Error('no ready frame'), { code: 'ETIMEDOUT' });
      reject(new TtsError('NO_BACKEND', `${backend.url}: no ready frame within ${timeoutMs} ms`, { cause }));
    }, timeoutMs);
    ws.on('error', (err) => {
      if (!ready) {
        clearTimeout(timer);
        reject(new TtsError('NO_BACKEND', `${backend.url}: ${err.message}`, { cause: err }));
      }
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      if (!ready) {
        clearTimeout(timer);
        if (peekFrameType(data) !== 'ready') {
          ws.terminate();
          reject(refusalOf(backend, data));
          return;
        }
        ready = true;
        resolve({ link, ready: data });
        return;
      }
      if (handlers) handlers.onFrame(data);
      else early.push(data);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      clearTimeout(timer);
      if (!ready) {
        reject(new TtsError('NO_BACKEND', `${backend.url}: closed before ready (${code} ${reason.toString()})`));
        return;
      }
      const closed = { code, reason: reason.toString(), abnormal: code === 1006 };
      if (handlers) handlers.onClose(closed);
      else earlyClose = closed;
    });
  });
}
