import { createSpeechEncoder } from '../audio/encode/create-speech-encoder.js';
import type { SpeechEncoder } from '../audio/encode/speech-encoder.js';
import type { Engine } from '../engine/engine.js';
import { resolveRequest } from '../engine/resolve-request.js';
import { throttleLog, type LogThrottle } from '../logging/log-throttle.js';
import type { Logger } from '../logging/logger.js';
import { decodeClientMessage, encodeFrame, peekRequestId } from '../protocol/codec.js';
import { TtsError, toTtsError } from '../protocol/errors.js';
import { CLIENT_FRAME_TYPES, PROTOCOL_VERSION, type ClientMessage, type ServerMessage, type StartMessage } from '../protocol/messages.js';
import type { FrameConnection, SessionHandler } from '../transport/frame-connection.js';
import type { Admission } from './admission.js';
import { runSynthesis } from './run-synthesis.js';
import { StreamedInput, type StreamedInputLimits } from './streamed-input.js';
import type { WorkerMetrics } from './worker-metrics.js';

export interface SessionLimits extends StreamedInputLimits {
  maxRequestsPerConnection: number;
  maxFrameBytes: number;
  /** Send-buffer size at which a request waits for the client to read, in bytes. */
  sendHighWaterBytes: number;
  /** How long a request paused by an unread send buffer waits before it fails with CLIENT_TOO_SLOW, in seconds. */
  stallTimeoutSec: number;
}

/** A request in flight on the connection. */
interface ActiveRequest {
  abort: AbortController;
  /** Its input, when it was started with `input: 'stream'`. */
  input: StreamedInput | undefined;
  /** Why the server ended it (TEXT_TOO_LONG, INPUT_TIMEOUT): sent instead of `done`. */
  failure: TtsError | undefined;
}

/**
 * One WebSocket connection's state machine: validates frames, runs up to the limit of requests
 * concurrently, keeps each request's seq contiguous, and answers every bad frame with a coded error.
 */
export class StreamSession implements SessionHandler {
  private readonly requests = new Map<string, ActiveRequest>();
  private readonly rejected: LogThrottle;

  constructor(
    private readonly connection: FrameConnection,
    private readonly deps: {
      engine: Engine;
      admission: Admission;
      limits: SessionLimits;
      logger: Logger;
      metrics: WorkerMetrics;
      /** A refusal (DRAINING, NOT_READY) while the worker takes no new requests, even on open connections. */
      isAccepting?: () => TtsError | undefined;
    },
  ) {
    this.rejected = throttleLog(deps.logger, 'rejected client frames');
  }

  /** Requests in flight on this connection. */
  get activeRequests(): number {
    return this.requests.size;
  }

  open(): void {
    const { info } = this.deps.engine;
    const { maxTextChars, maxRequestsPerConnection, maxFrameBytes } = this.deps.limits;
    this.sendMessage({
      type: 'ready',
      protocol: PROTOCOL_VERSION,
      frames: [...CLIENT_FRAME_TYPES],
      engine: info.name,
      sampleRate: info.sampleRateHz,
      voices: info.voices,
      defaultVoice: info.defaultVoice,
      languages: info.languages,
      defaultLanguage: info.defaultLanguage,
      params: info.params,
      limits: { maxTextChars, maxRequestsPerConnection, maxFrameBytes },
    });
  }

  /** Handles one incoming frame; never throws. */
  receive(bytes: Uint8Array, isBinary: boolean): void {
    try {
      if (!isBinary) throw new TtsError('BAD_FRAME', 'text frames are not accepted; send binary msgpack frames');
      if (bytes.byteLength > this.deps.limits.maxFrameBytes) {
        throw new TtsError('FRAME_TOO_LARGE', `frame of ${bytes.byteLength} bytes exceeds ${this.deps.limits.maxFrameBytes}`);
      }
      const message = decodeClientMessage(bytes);
      if (message.type === 'start') this.start(message);
      else if (message.type === 'cancel') this.stop(this.requests.get(message.id));
      else this.input(message);
    } catch (err) {
      const error = toTtsError(err);
      // An id still in flight (a duplicate, or a malformed frame reusing it) belongs to the request running:
      // naming it would end that one for the client while its audio keeps coming.
      const peeked = isBinary ? peekRequestId(bytes) : undefined;
      const requestId = peeked !== undefined && !this.requests.has(peeked) ? peeked : undefined;
      this.deps.metrics.protocolError(error.code);
      this.rejected.note(error.code, { requestId });
      this.sendError(error, requestId);
    }
  }

  /** The connection closed: stop every request of it. */
  closed(): void {
    this.rejected.stop();
    for (const request of this.requests.values()) this.stop(request);
    this.requests.clear();
  }

  private stop(request: ActiveRequest | undefined, failure?: TtsError): void {
    if (!request) return;
    request.failure ??= failure;
    request.input?.close();
    request.abort.abort();
  }

  /** A `text`, `flush` or `end` frame. Throws UNKNOWN_REQUEST or INPUT_CLOSED; past the text limit the request ends. */
  private input(message: Exclude<ClientMessage, StartMessage | { type: 'cancel' }>): void {
    const request = this.requests.get(message.id);
    if (!request) throw new TtsError('UNKNOWN_REQUEST', `no request '${message.id}' is in flight on this connection`);
    const input = request.input;
    if (!input) throw new TtsError('INPUT_CLOSED', `request '${message.id}' was not started with input 'stream'`);
    if (message.type === 'flush') return input.flush();
    if (message.type === 'end') return input.end();
    try {
      input.append(message.text);
    } catch (err) {
      if (!(err instanceof TtsError && err.code === 'TEXT_TOO_LONG')) throw err;
      this.stop(request, err);
    }
  }

  private start(message: StartMessage): void {
    const startedAt = performance.now();
    if (this.requests.has(message.id)) throw new TtsError('DUPLICATE_ID', `request '${message.id}' is already in flight`);
    if (this.requests.size >= this.deps.limits.maxRequestsPerConnection) {
      throw new TtsError('TOO_MANY_REQUESTS', `at most ${this.deps.limits.maxRequestsPerConnection} requests may be in flight per connection`);
    }
    const refusal = this.deps.isAccepting?.();
    if (refusal) throw refusal;
    const streamed = message.input === 'stream';
    const request = resolveRequest(streamed ? { ...message, text: '' } : message, this.deps.engine.info, this.deps.limits.maxTextChars, {
      allowEmpty: streamed,
    });
    const active: ActiveRequest = { abort: new AbortController(), input: undefined, failure: undefined };
    if (streamed) {
      const input = new StreamedInput(this.deps.limits, request.language, () =>
        this.stop(active, new TtsError('INPUT_TIMEOUT', `no text for ${this.deps.limits.inputIdleTimeoutSec} s with the input open`)),
      );
      // The start's own text is the first piece of input, cut like the rest.
      try {
        input.append(message.text);
      } catch (err) {
        input.close();
        throw err;
      }
      active.input = input;
    }
    this.requests.set(message.id, active);
    void this.run(message, request, active, startedAt);
  }

  private async run(message: StartMessage, request: ReturnType<typeof resolveRequest>, active: ActiveRequest, startedAt: number): Promise<void> {
    const { id } = message;
    const { abort } = active;
    const log = this.deps.logger.child({ requestId: id });
    log.debug({ textChars: request.text.length, voice: request.voice }, 'request started');
    // With `opus` every chunk goes through one Ogg Opus encoder; frames carry its pages, numbered here, since a chunk
    // too short for a whole Opus frame yields no bytes and gets no frame.
    let encoder: SpeechEncoder | undefined;
    let frames = 0;
    let samplesSinceFrame = 0;
    const send = (payload: Uint8Array, samples: number): Promise<void> | undefined => {
      samplesSinceFrame += samples;
      if (payload.byteLength === 0) return undefined;
      this.sendMessage({ type: 'audio', id, seq: frames++, pcm: payload, samples: samplesSinceFrame });
      samplesSinceFrame = 0;
      if (this.connection.bufferedBytes() <= this.deps.limits.sendHighWaterBytes) return undefined;
      return this.connection.waitWritable().then(() => {
        if (this.connection.closed) abort.abort();
      });
    };
    try {
      if (message.format === 'opus') encoder = await createSpeechEncoder('opus', this.deps.engine.info.sampleRateHz);
      const opus = encoder;
      const outcome = await runSynthesis({
        engine: this.deps.engine,
        admission: this.deps.admission,
        request,
        ...(active.input ? { input: active.input.pieces } : {}),
        format: message.format === 'opus' ? 'f32le' : (message.format ?? 's16le'),
        signal: abort.signal,
        startedAt,
        stallTimeoutMs: this.deps.limits.stallTimeoutSec * 1000,
        sink: {
          write: (pcm, samples) => {
            if (this.connection.closed) {
              abort.abort();
              return undefined;
            }
            return send(opus ? opus.encode(new Float32Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 4)) : pcm, samples);
          },
        },
      });
      if (active.failure) throw active.failure;
      if (opus && !outcome.cancelled) {
        encoder = undefined;
        void send(opus.finish(), 0);
      }
      outcome.chunks = frames;
      this.deps.metrics.requestFinished('ws', outcome);
      this.sendMessage({ type: 'done', id, chunks: outcome.chunks, samples: outcome.samples, cancelled: outcome.cancelled, metrics: outcome.metrics });
      log.info(
        { textChars: active.input?.chars ?? request.text.length, chunks: outcome.chunks, cancelled: outcome.cancelled, ...outcome.metrics },
        'request done',
      );
    } catch (err) {
      const error = active.failure ?? (abort.signal.aborted && !(err instanceof TtsError && err.code === 'SERVER_BUSY') ? undefined : toTtsError(err));
      if (error) {
        this.deps.metrics.requestFailed('ws', error.code);
        log.warn({ err: error, code: error.code }, 'request failed');
        this.sendError(error, id);
      } else {
        this.sendMessage({ type: 'done', id, chunks: 0, samples: 0, cancelled: true, metrics: { ttfaMs: 0, rtf: 0, totalMs: 0, audioMs: 0 } });
      }
    } finally {
      active.input?.close();
      this.requests.delete(id);
      // An Opus encoder not finished above holds WebAssembly memory until finished.
      if (encoder) encoder.finish();
    }
  }

  private sendError(error: TtsError, id: string | undefined): void {
    this.sendMessage({ type: 'error', ...(id === undefined ? {} : { id }), code: error.code, message: error.message, retryable: error.retryable });
  }

  private sendMessage(message: ServerMessage): void {
    if (!this.connection.closed) this.connection.send(encodeFrame(message));
  }
}
