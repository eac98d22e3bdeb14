import { TtsError } from '../protocol/errors.js';

/**
 * Waits until `writable` resolves (the client read enough to take more audio) or `signal` aborts. Rejects with
 * CLIENT_TOO_SLOW when neither happens within `stallTimeoutMs`, so a client that never reads cannot keep a
 * request, and the engine state behind it, alive for ever.
 */
export async function waitForReader(writable: Promise<void>, signal: AbortSignal, stallTimeoutMs: number): Promise<void> {
  if (signal.aborted) return;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TtsError('CLIENT_TOO_SLOW', `the client read no audio for ${stallTimeoutMs / 1000} s`)), stallTimeoutMs);
  });
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([writable, stalled, aborted]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort!);
  }
}
