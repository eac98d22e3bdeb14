import { parentPort, workerData } from 'node:worker_threads';
import { toTtsError } from '../../protocol/errors.js';
import { readReferenceClip, type ClipLimits } from './reference-clip.js';

// Decodes and resamples one uploaded clip off the socket thread: seconds of CPU for a long clip, which would
// otherwise stall /health and every stream on the worker.
const { bytes, limits } = workerData as { bytes: Uint8Array; limits: ClipLimits };
readReferenceClip(bytes, limits).then(
  (clip) => parentPort!.postMessage({ ok: true, clip }, [clip.samples.buffer as ArrayBuffer]),
  (err: unknown) => {
    const error = toTtsError(err);
    parentPort!.postMessage({ ok: false, code: error.code, message: error.message });
  },
);
