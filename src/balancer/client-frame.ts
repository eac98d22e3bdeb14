import { decodeClientMessage, peekFrameType } from '../protocol/codec.js';

/**
 * A client frame's type: read from its first key when `type` comes first (as our clients write it), else decoded,
 * since the protocol does not fix the key order. Undefined for a frame the worker will refuse.
 */
export function clientFrameType(frame: Uint8Array): string | undefined {
  const type = peekFrameType(frame);
  if (type !== undefined) return type;
  try {
    return decodeClientMessage(frame).type;
  } catch {
    return undefined;
  }
}

/** The id of a start frame, or undefined for any other frame. */
export function peekStartId(frame: Uint8Array): string | undefined {
  try {
    const message = decodeClientMessage(frame);
    return message.type === 'start' ? message.id : undefined;
  } catch {
    return undefined;
  }
}
