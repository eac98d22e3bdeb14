import type { Logger } from '../logging/logger.js';
import { encodeFrame } from '../protocol/codec.js';
import { TtsError, closeCodeFor } from '../protocol/errors.js';

/** The error frame and close both adapters send when a client lets more than the send-buffer bound pile up. */
export function sendOverflow(maxSendBufferBytes: number): { frame: Uint8Array; closeCode: number; reason: string } {
  const error = new TtsError('CLIENT_TOO_SLOW', `the client left more than ${maxSendBufferBytes} bytes unread`);
  return {
    frame: encodeFrame({ type: 'error', code: error.code, message: error.message, retryable: error.retryable }),
    closeCode: closeCodeFor(error.code),
    reason: error.code,
  };
}

/** Logs the overflow once per connection: every later send on it is refused quietly. */
export function logOverflow(logger: Logger, bufferedBytes: number, maxSendBufferBytes: number): void {
  logger.warn({ code: 'CLIENT_TOO_SLOW', bufferedBytes, maxSendBufferBytes }, 'client does not read what it is sent; closing');
}
