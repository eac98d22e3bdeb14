import { parentPort, workerData } from 'node:worker_threads';
import { toTtsError } from '../../protocol/errors.js';
import { createEngine } from '../create-engine.js';
import type { Engine, SynthesisRequest } from '../engine.js';
import type { EngineSpec } from '../engine-spec.js';
import { TextQueue } from '../text/text-queue.js';
import type { FromEngineThread, ToEngineThread } from './thread-messages.js';

// The engine thread: owns one engine, runs requests concurrently, and sends a request's chunks
// only while the main thread has granted credit, so a slow client pauses its generation.

interface Running {
  abort: AbortController;
  credit: number;
  wake: (() => void) | undefined;
  /** A streamed request's input, filled by `text` messages. */
  input: TextQueue | undefined;
}

const port = parentPort;
if (!port) throw new Error('engine-thread must run in a worker thread');
const post = (message: FromEngineThread, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const running = new Map<number, Running>();
let closing = false;

function waitForCredit(job: Running): Promise<void> {
  if (job.credit > 0 || job.abort.signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    job.wake = resolve;
  });
}

function wake(job: Running): void {
  const resolve = job.wake;
  job.wake = undefined;
  resolve?.();
}

async function run(engine: Engine, rid: number, request: SynthesisRequest, job: Running): Promise<void> {
  try {
    for await (const chunk of engine.synthesize(request, job.abort.signal)) {
      if (job.abort.signal.aborted) break;
      // Transferring needs a buffer of its own: copy when the chunk is a view into a larger one.
      const pcm = chunk.pcm.byteOffset === 0 && chunk.pcm.byteLength === chunk.pcm.buffer.byteLength ? chunk.pcm : chunk.pcm.slice();
      job.credit -= 1;
      post({ op: 'chunk', rid, pcm, ...(chunk.tokens === undefined ? {} : { tokens: chunk.tokens }) }, [pcm.buffer as ArrayBuffer]);
      await waitForCredit(job);
      if (job.abort.signal.aborted) break;
    }
    // A request cut short by shutdown did not complete: an error, so no client takes it for whole.
    if (closing) post({ op: 'error', rid, code: 'DRAINING', message: 'the worker shut down before the request finished', retryable: true });
    else post({ op: 'end', rid });
  } catch (err) {
    const error = toTtsError(err, 'ENGINE_FAILED');
    post({ op: 'error', rid, code: error.code, message: error.message, retryable: error.retryable });
  } finally {
    running.delete(rid);
  }
}

async function main(): Promise<void> {
  let engine: Engine;
  try {
    engine = await createEngine(workerData as EngineSpec);
  } catch (err) {
    const error = toTtsError(err, 'ENGINE_FAILED');
    post({ op: 'init-error', code: error.code, message: error.message });
    return;
  }
  port!.on('message', (message: ToEngineThread) => {
    switch (message.op) {
      case 'start': {
        const rid = message.rid;
        // Pieces come one at a time, when the engine asks: the main thread knows then that the request waits for text.
        const input = message.streamed === true ? new TextQueue(() => post({ op: 'want-text', rid })) : undefined;
        const job: Running = { abort: new AbortController(), credit: message.credit, wake: undefined, input };
        running.set(message.rid, job);
        void run(engine, message.rid, input ? { ...message.request, input } : message.request, job);
        break;
      }
      case 'text':
        running.get(message.rid)?.input?.push(message.piece);
        break;
      case 'text-end':
        running.get(message.rid)?.input?.end();
        break;
      case 'credit': {
        const job = running.get(message.rid);
        if (job) {
          job.credit += message.credit;
          wake(job);
        }
        break;
      }
      case 'cancel': {
        const job = running.get(message.rid);
        if (job) {
          job.abort.abort();
          job.input?.close();
          wake(job);
        }
        break;
      }
      case 'forget-voice':
        engine.forgetVoice?.(message.name);
        break;
      case 'close':
        closing = true;
        for (const job of running.values()) {
          job.abort.abort();
          job.input?.close();
        }
        void engine.close().finally(() => {
          post({ op: 'closed' });
          port!.close();
        });
        break;
    }
  });
  engine.watchCapacity?.((capacity) => post({ op: 'capacity', capacity }));
  post({ op: 'ready', info: engine.info });
}

void main();
