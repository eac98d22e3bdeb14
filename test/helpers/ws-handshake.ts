import WebSocket from 'ws';
import { decodeServerMessage, encodeFrame } from '../../src/protocol/codec.js';
import type { ClientMessage, ServerMessage } from '../../src/protocol/messages.js';
import { withTimeout } from './raw-stream.js';

/** How one WebSocket attempt ended: refused with an HTTP status, or opened (protocol selected) and closed with a code. */
export interface HandshakeOutcome {
  /** HTTP status when the upgrade was refused; undefined when the socket opened. */
  status?: number;
  /** The refused upgrade's body. */
  body?: string;
  /** The selected subprotocol ('' for none). */
  protocol?: string;
  /** Every frame the server sent, in order. */
  frames: ServerMessage[];
  closeCode?: number;
}

/**
 * Opens a WebSocket with the headers and subprotocols given, sends `send` once the first frame arrives, and waits
 * until the server closes it, refuses the upgrade, or `untilFrames` frames or one of `untilType` came (then closes it itself).
 */
export function tryWebSocket(
  url: string,
  options: { headers?: Record<string, string>; protocols?: string[]; send?: ClientMessage[]; untilFrames?: number; untilType?: string } = {},
): Promise<HandshakeOutcome> {
  const outcome: HandshakeOutcome = { frames: [] };
  const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers, perMessageDeflate: false });
  const done = new Promise<HandshakeOutcome>((resolve) => {
    ws.on('unexpected-response', (_req, res) => {
      outcome.status = res.statusCode;
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        outcome.body = body;
        resolve(outcome);
      });
    });
    ws.on('error', () => undefined);
    ws.on('open', () => (outcome.protocol = ws.protocol));
    ws.on('message', (data: Buffer) => {
      outcome.frames.push(decodeServerMessage(data));
      if (outcome.frames.length === 1) for (const message of options.send ?? []) ws.send(encodeFrame(message));
      const last = outcome.frames.at(-1);
      if ((options.untilFrames !== undefined && outcome.frames.length >= options.untilFrames) || last?.type === options.untilType) ws.close(1000);
    });
    ws.on('close', (code: number) => {
      outcome.closeCode = code;
      resolve(outcome);
    });
  });
  return withTimeout(done, 15_000, `websocket ${url}`);
}
