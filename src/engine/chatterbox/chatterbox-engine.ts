import { TtsError } from '../../protocol/errors.js';
import type { AudioChunk, Engine, EngineInfo, SynthesisRequest } from '../engine.js';
import type { EngineSpec } from '../engine-spec.js';
import { requestPieces } from '../text/request-pieces.js';
import { splitSentences, type TextPiece } from '../text/split-sentences.js';
import { loadChatterboxModel } from './chatterbox-model.js';
import { generateSpeechTokens } from './generate-tokens.js';
import { measureCapacity } from './measure-capacity.js';
import { normalizeText } from './normalize-text.js';
import { chatterboxParamInfo, toSamplerParams } from './sampler-params.js';
import { createRandomSeed } from './seeded-random.js';
import { fitToTextPositions } from './text-positions.js';
import { DEFAULT_CHUNKING, StreamDecoder, type ChunkingOptions, type PieceHandoff } from './stream-decoder.js';
import { createVoiceBank, listVoiceFiles, MODEL_SAMPLE_RATE_HZ, type VoiceBank } from './voice-bank.js';
import { createWindowDecoder } from './window-decoder.js';

/**
 * One generation call per sentence, and a sentence weighing more than this (characters, a Han, kana or Hangul
 * character counting three) is cut at clauses: the model stops at about 40 s of speech per call, and short prompts
 * keep the first audio early.
 */
const MAX_GROUP_CHARS = 300;
/** The decoder fades in the first 40 ms of every decode (docs/chatterbox-onnx.md, the generation loop, step 4). */
const DECODER_FADE_IN_MS = 40;
/** Audio per speech token (25 tokens per second). */
const MS_PER_TOKEN = 40;

/**
 * Chunking whose re-decoded context covers the decoder's fade-in plus the crossfade: with less, the crossfade
 * (or, without one, the seam itself) lands in the faded-in start of the new decode and every seam dips towards
 * silence (contextTokens 0 left 20 ms of silence at each seam).
 */
function withSeamContext(options: ChunkingOptions): ChunkingOptions {
  const minimum = Math.ceil((DECODER_FADE_IN_MS + options.crossfadeMs) / MS_PER_TOKEN);
  return { ...options, contextTokens: Math.max(options.contextTokens, minimum) };
}

/** What the optional start-up measurement speaks: long enough that the model does not stop within a few runs. */
const MEASUREMENT_TEXT =
  'This sentence only measures how fast the worker speaks when several listeners share it, so it goes on for a while, with a few clauses, and a few more words.';

type ChatterboxSpec = Extract<EngineSpec, { kind: 'chatterbox' }>;

/** The Chatterbox engine: loads and checks the model, encodes the default voice, then streams 24 kHz audio. */
export async function createChatterboxEngine(spec: ChatterboxSpec): Promise<Engine> {
  const model = await loadChatterboxModel(spec.modelDir, {
    dtype: spec.dtype,
    device: spec.device,
    gpu: spec.gpu,
    decode: spec.decode ?? 'auto',
    fusedCacheDir: spec.fusedCacheDir,
    maxBatchRequests: spec.maxBatchRequests,
    admitTokensPerSec: spec.admitTokensPerSec,
  });
  let voices: VoiceBank;
  try {
    voices = createVoiceBank(model.sessions.speech_encoder, listVoiceFiles(model.files.defaultVoice, spec.voicesDir), spec.voicesDir);
    await voices.get(voices.defaultVoice);
  } catch (err) {
    await model.release();
    throw err;
  }
  const chunking = withSeamContext({ ...DEFAULT_CHUNKING, ...spec.chunking });
  // Fused runs end where a chunk is due (the first one also needs its look-ahead tokens), so runs never delay audio.
  const stepsPerRun = { first: chunking.firstChunkTokens + chunking.lookaheadTokens, next: chunking.chunkTokens };
  const params = chatterboxParamInfo(model.variant, model.generationDefaults);
  if (spec.measureCapacity && model.batcher) {
    const defaults = Object.fromEntries(Object.entries(params).map(([name, info]) => [name, info.default]));
    const language = model.tokenizer.languages.includes('en') ? 'en' : model.tokenizer.languages[0]!;
    await measureCapacity(
      model,
      {
        text: model.tokenizer.encode(normalizeText(MEASUREMENT_TEXT), language),
        voice: await voices.get(voices.defaultVoice),
        exaggeration: defaults['exaggeration'] ?? 0.5,
        cfgWeight: defaults['cfg_weight'] ?? 0,
        sampler: toSamplerParams(defaults),
        seed: 1,
        maxNewTokens: 0,
        stepsPerRun,
      },
      spec.maxBatchRequests ?? 8,
    );
  }
  const info: EngineInfo = {
    name: 'chatterbox',
    sampleRateHz: MODEL_SAMPLE_RATE_HZ,
    voices: voices.names,
    defaultVoice: voices.defaultVoice,
    languages: model.tokenizer.languages,
    defaultLanguage: model.tokenizer.languages.includes('en') ? 'en' : model.tokenizer.languages[0]!,
    params,
    voiceCloning: true,
    device: model.device,
    details: {
      model: spec.modelDir,
      variant: model.variant,
      dtype: spec.dtype,
      provider: model.provider,
      deviceReason: model.deviceReason,
      layers: String(model.lm.layers),
      cache: model.lm.cacheType,
      positionIds: String(model.lm.hasPositionIds),
      decode: model.decode.mode,
      decodeReason: model.decode.reason,
    },
  };
  let closed = false;

  async function* synthesize(request: SynthesisRequest, signal: AbortSignal): AsyncGenerator<AudioChunk> {
    if (closed) throw new TtsError('NOT_READY', 'engine is closed');
    const voice = request.referenceAudio ? await voices.encodeClip(request.referenceAudio) : await voices.get(request.voice);
    const p = request.params;
    const seed = p.seed === undefined || p.seed === 0 ? createRandomSeed() : p.seed;
    let tokens = 0;
    let index = 0;
    const encode = (piece: TextPiece) => model.tokenizer.encode(normalizeText(piece.text, piece), request.language);
    const split = (text: string) => splitSentences(text, { maxChars: MAX_GROUP_CHARS, language: request.language });
    // A streamed request's pieces run in turn, with the same voice conditioning and seeds numbered on from the
    // pieces before, so streamed text cut where the whole text would be cut sounds the same as the whole text.
    // Each piece's decoder continues the one before (see PieceHandoff): its first decode starts from the previous
    // piece's last tokens, and the join is a crossfade like every seam inside a piece.
    let handoff: PieceHandoff | undefined;
    for await (const batch of requestPieces(request, split)) {
      // Every piece of a batch is checked against the position table before the first one runs, so a refusal comes
      // before any of its audio.
      const groups = batch.flatMap((piece) => fitToTextPositions(piece, encode, { language: request.language }));
      for (const { encoded: text } of groups) {
        if (signal.aborted) return;
        const decoder = new StreamDecoder(createWindowDecoder(model, voice), chunking, MODEL_SAMPLE_RATE_HZ, handoff);
        const generation = generateSpeechTokens(
          model,
          {
            text,
            voice,
            exaggeration: p.exaggeration ?? 0.5,
            cfgWeight: p.cfg_weight ?? 0,
            sampler: toSamplerParams(p),
            // Each group gets its own seed derived from the request's, so a seeded request is reproducible.
            seed: (seed + index * 0x9e3779b9) >>> 0 || 1,
            maxNewTokens: p.max_new_tokens ?? 1000,
            stepsPerRun,
            admitted: index > 0,
          },
          signal,
        );
        index += 1;
        for await (const token of generation) {
          tokens += 1;
          const pcm = await decoder.push(token);
          if (pcm && pcm.length > 0) yield { pcm, tokens };
        }
        if (signal.aborted) return;
        // The multilingual reference drops the last token's 40 ms, where that model tends to leave a click.
        const ended = await decoder.handOff(model.variant === 'multilingual' ? 1 : 0);
        handoff = ended.handoff;
        if (ended.pcm.length > 0) yield { pcm: ended.pcm, tokens };
      }
    }
    // The last piece's held crossfade has no next piece to meet: it ends the request.
    if (handoff && handoff.heldTail.length > 0) yield { pcm: handoff.heldTail, tokens };
  }

  const batcher = model.batcher;
  return {
    info,
    synthesize,
    ...(batcher ? { watchCapacity: (listener: Parameters<typeof batcher.watchCapacity>[0]) => batcher.watchCapacity(listener) } : {}),
    forgetVoice: (name) => voices.forget(name),
    async close() {
      // ORT throws on releasing a session twice; a second close() is a no-op, as for every engine.
      if (closed) return;
      closed = true;
      await model.release();
    },
  };
}
