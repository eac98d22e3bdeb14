import { Worker } from 'node:worker_threads';
import { TtsError, isErrorCode } from '../../protocol/errors.js';
import type { ClipLimits, ReferenceClip } from './reference-clip.js';

/** Clips decoded at once; more uploads are refused with SERVER_BUSY rather than queue threads without bound. */
const MAX_CLIP_THREADS = 4;
let running = 0;

type ClipReply = { ok: true; clip: ReferenceClip } | { ok: false; code: string; message: string };

/**
 * `readReferenceClip` in a thread of its own, so the socket thread stays responsive while a clip is decoded and
 * resampled. Throws TtsError BAD_AUDIO, AUDIO_TOO_SHORT, AUDIO_TOO_LONG, or SERVER_BUSY when too many run.
 */
export function readReferenceClipInThread(bytes: Uint8Array, limits: ClipLimits): Promise<ReferenceClip> {
  if (running >= MAX_CLIP_THREADS) return Promise.reject(new TtsError('SERVER_BUSY', 'too many clips are being decoded; try again shortly'));
  running += 1;
  return new Promise<ReferenceClip>((resolve, reject) => {
    const worker = new Worker(new URL('./clip-worker.js', import.meta.url), { workerData: { bytes, limits } });
    worker.once('message', (reply: ClipReply) => {
      if (reply.ok) resolve(reply.clip);
      else reject(new TtsError(isErrorCode(reply.code) ? reply.code : 'INTERNAL', reply.message));
      void worker.terminate();
    });
    worker.once('error', (err) => reject(new TtsError('INTERNAL', `the clip decoder failed: ${err.message}`, { cause: err })));
    // After a reply this settles nothing; without one (the thread died) the request must still end.
    worker.once('exit', (code) => reject(new TtsError('INTERNAL', `the clip decoder stopped (exit code ${code})`)));
  }).finally(() => {
    running -= 1;
  });
}
