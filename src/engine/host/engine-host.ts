import { Worker } from 'node:worker_threads';
import type { Logger } from '../../logging/logger.js';
import { TtsError, toTtsError } from '../../protocol/errors.js';
import type { AudioChunk, Engine, EngineInfo, SynthesisRequest } from '../engine.js';
import type { EngineCapacity } from '../engine-capacity.js';
import type { EngineSpec } from '../engine-spec.js';
import type { TextPiece } from '../text/split-sentences.js';
import { ChunkStream } from './chunk-stream.js';
import type { FromEngineThread, ToEngineThread } from './thread-messages.js';

/** Chunks the engine thread may produce ahead of the consumer. */
const CHUNKS_AHEAD = 2;
const RESTART_DELAY_MS = { first: 500, max: 30_000 };

/** An engine running in a worker thread, restarted after a crash. `state` is 'ready' while it serves. */
export interface HostedEngine extends Engine {
  readonly state: 'loading' | 'ready' | 'closed';
  /** Number of times the engine thread died and was restarted. */
  readonly restarts: number;
  /** The engine's latest throughput estimate (batching engines; undefined before its first run and after a restart). */
  readonly capacity: EngineCapacity | undefined;
  /** Calls `listener` after every change of `capacity` (a new estimate, or a restart forgetting it). */
  onCapacityChange(listener: () => void): void;
}

/**
 * Starts the engine a spec names in a worker thread, so that inference never blocks the socket thread.
 * Resolves once the engine is loaded; rejects with the engine's TtsError when it cannot load.
 */
export function createEngineHost(spec: EngineSpec, logger: Logger): Promise<HostedEngine> {
  let worker: Worker;
  let info: EngineInfo | undefined;
  let state: HostedEngine['state'] = 'loading';
  let restarts = 0;
  let restartDelayMs = RESTART_DELAY_MS.first;
  let nextRid = 1;
  const streams = new Map<number, ChunkStream>();
  /** Streamed requests' inputs, read one piece per `want-text`. */
  const inputs = new Map<number, AsyncIterator<TextPiece>>();
  let closed: (() => void) | undefined;
  let threadExited = false;
  let capacity: EngineCapacity | undefined;
  const capacityListeners: Array<() => void> = [];
  const setCapacity = (next: EngineCapacity | undefined) => {
    capacity = next;
    for (const listener of capacityListeners) listener();
  };

  const send = (message: ToEngineThread) => worker.postMessage(message);

  return new Promise<HostedEngine>((resolveStarted, rejectStarted) => {
    const host: HostedEngine = {
      get info() {
        if (!info) throw new Error('engine not loaded');
        return info;
      },
      get state() {
        return state;
      },
      get restarts() {
        return restarts;
      },
      get capacity() {
        return capacity;
      },
      onCapacityChange(listener) {
        capacityListeners.push(listener);
      },
      synthesize(request: SynthesisRequest, signal: AbortSignal): AsyncIterable<AudioChunk> {
        if (state !== 'ready') throw new TtsError('NOT_READY', 'engine is restarting');
        const rid = nextRid++;
        const cancel = () => {
          inputs.delete(rid);
          if (streams.delete(rid)) send({ op: 'cancel', rid });
        };
        const stream = new ChunkStream(() => streams.has(rid) && send({ op: 'credit', rid, credit: 1 }), cancel);
        streams.set(rid, stream);
        if (signal.aborted) {
          stream.end();
          streams.delete(rid);
          return stream;
        }
        signal.addEventListener(
          'abort',
          () => {
            send({ op: 'cancel', rid });
            streams.delete(rid);
            inputs.delete(rid);
            stream.abort();
          },
          { once: true },
        );
        const { input, ...plain } = request;
        send({ op: 'start', rid, request: plain, credit: CHUNKS_AHEAD, ...(input ? { streamed: true } : {}) });
        if (input) inputs.set(rid, input[Symbol.asyncIterator]());
        return stream;
      },
      forgetVoice(name: string) {
        // After a crash the new thread starts with an empty cache, so nothing is lost when no thread is there.
        if (state === 'ready') send({ op: 'forget-voice', name });
      },
      close() {
        if (state === 'closed') return Promise.resolve();
        const between = threadExited;
        state = 'closed';
        // Between a crash and its restart there is no thread to wait for.
        if (between) return Promise.resolve();
        return new Promise<void>((resolve) => {
          closed = resolve;
          send({ op: 'close' });
          const timer = setTimeout(() => void worker.terminate(), 5000);
          timer.unref();
        });
      },
    };

    /** Sends a streamed request's next piece (or the end of its input) to the engine thread, which asked for it. */
    async function sendNextPiece(rid: number): Promise<void> {
      const pieces = inputs.get(rid);
      if (!pieces) return;
      try {
        const next = await pieces.next();
        if (!streams.has(rid)) return;
        if (next.done) inputs.delete(rid);
        send(next.done ? { op: 'text-end', rid } : { op: 'text', rid, piece: next.value });
      } catch (err) {
        inputs.delete(rid);
        streams.get(rid)?.fail(toTtsError(err));
        if (streams.delete(rid)) send({ op: 'cancel', rid });
      }
    }

    const onMessage = (message: FromEngineThread) => {
      switch (message.op) {
        case 'ready':
          info = message.info;
          state = 'ready';
          restartDelayMs = RESTART_DELAY_MS.first;
          logger.info({ engine: info.name, device: info.device, ...info.details }, 'engine ready');
          resolveStarted(host);
          break;
        case 'init-error':
          logger.error({ code: message.code, reason: message.message }, 'engine failed to load');
          // At start-up the caller gets the error (the process exits and systemd retries); after a crash the
          // exit handler restarts the thread with backoff, so a worker never lingers with no engine.
          if (info === undefined) {
            state = 'closed';
            rejectStarted(new TtsError(message.code, message.message));
          }
          void worker.terminate();
          break;
        case 'chunk':
          streams.get(message.rid)?.push(message.tokens === undefined ? { pcm: message.pcm } : { pcm: message.pcm, tokens: message.tokens });
          break;
        case 'want-text':
          void sendNextPiece(message.rid);
          break;
        case 'end':
          streams.get(message.rid)?.end();
          streams.delete(message.rid);
          inputs.delete(message.rid);
          break;
        case 'error':
          streams.get(message.rid)?.fail(new TtsError(message.code, message.message, { retryable: message.retryable }));
          streams.delete(message.rid);
          inputs.delete(message.rid);
          break;
        case 'capacity':
          setCapacity(message.capacity);
          break;
        case 'closed':
          void worker.terminate();
          break;
      }
    };

    const onExit = (exitCode: number) => {
      threadExited = true;
      for (const stream of streams.values()) {
        stream.fail(new TtsError('ENGINE_FAILED', 'the engine thread stopped during the request'));
      }
      streams.clear();
      inputs.clear();
      if (state === 'closed') {
        closed?.();
        return;
      }
      if (info === undefined) {
        rejectStarted(new TtsError('ENGINE_FAILED', `engine thread exited with code ${exitCode} while loading`));
        state = 'closed';
        return;
      }
      restarts += 1;
      state = 'loading';
      // A new thread measures afresh (the crash may have come with a changed device or model).
      setCapacity(undefined);
      logger.error({ exitCode, restarts, delayMs: restartDelayMs }, 'engine thread died; restarting');
      const timer = setTimeout(spawn, restartDelayMs);
      timer.unref();
      restartDelayMs = Math.min(restartDelayMs * 2, RESTART_DELAY_MS.max);
    };

    function spawn(): void {
      if (state === 'closed') return;
      threadExited = false;
      worker = new Worker(new URL('./engine-thread.js', import.meta.url), { workerData: spec });
      worker.on('message', onMessage);
      worker.on('error', (err) => logger.error({ err }, 'engine thread error'));
      worker.on('exit', onExit);
    }

    spawn();
  });
}
