import { createTimeStretch } from '../audio/time-stretch.js';
import { TtsError } from '../protocol/errors.js';
import { SPEED_PARAM, type SynthesisParams } from '../protocol/messages.js';
import type { AudioChunk, Engine, SynthesisRequest } from './engine.js';

/**
 * Gives an engine `params.speed` over the whole SPEED_PARAM range with the pitch kept. An engine with a speed of its
 * own (flite's duration stretch, which lengthens phones rather than repeating waveform) does what its range allows
 * and a streaming time stretch does the rest (flite at 4 is its 2 stretched twice over); an engine without one
 * (Chatterbox) is stretched all the way. At a speed the engine reaches alone its chunks pass through untouched.
 */
export function withTempo(engine: Engine): Engine {
  const own = Object.hasOwn(engine.info.params, 'speed') ? engine.info.params['speed'] : undefined;
  const info = { ...engine.info, params: { ...engine.info.params, speed: { ...SPEED_PARAM } } };

  async function* synthesize(request: SynthesisRequest, signal: AbortSignal): AsyncGenerator<AudioChunk> {
    const speed = request.params['speed'] ?? SPEED_PARAM.default;
    if (!(speed >= SPEED_PARAM.min && speed <= SPEED_PARAM.max)) {
      throw new TtsError('BAD_PARAM', `param 'speed' must be a number in ${SPEED_PARAM.min}..${SPEED_PARAM.max}, got ${speed}`);
    }
    const ownSpeed = own ? Math.min(own.max, Math.max(own.min, speed)) : 1;
    const params: SynthesisParams = { ...request.params };
    if (own) params['speed'] = ownSpeed;
    else delete params['speed'];
    const chunks = engine.synthesize({ ...request, params }, signal);
    const stretchBy = speed / ownSpeed;
    if (stretchBy === 1) {
      yield* chunks;
      return;
    }
    const stretch = createTimeStretch({ sampleRateHz: info.sampleRateHz, speed: stretchBy });
    let tokens: number | undefined;
    const chunkOf = (pcm: Float32Array): AudioChunk => (tokens === undefined ? { pcm } : { pcm, tokens });
    for await (const chunk of chunks) {
      tokens = chunk.tokens ?? tokens;
      const out = stretch.push(chunk.pcm);
      if (out.length > 0) yield chunkOf(out);
    }
    if (signal.aborted) return;
    const rest = stretch.flush();
    if (rest.length > 0) yield chunkOf(rest);
  }

  // Everything but the tempo is the engine's own: its voice cache and its capacity estimate pass through.
  return {
    info,
    synthesize,
    close: () => engine.close(),
    ...(engine.forgetVoice ? { forgetVoice: (name: string) => engine.forgetVoice!(name) } : {}),
    ...(engine.watchCapacity ? { watchCapacity: (listener: Parameters<NonNullable<Engine['watchCapacity']>>[0]) => engine.watchCapacity!(listener) } : {}),
  };
}
