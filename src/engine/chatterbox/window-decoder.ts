import { TtsError } from '../../protocol/errors.js';
import { floatData, int64Data, int64Tensor } from '../onnx/tensors.js';
import type { ChatterboxModel } from './chatterbox-model.js';
import type { DecodeWindow } from './stream-decoder.js';
import type { VoiceConditioning } from './voice-bank.js';

/** Turbo's decoder is given three silence tokens after the speech, as the reference does; their audio is cut again. */
const TURBO_TAIL = [4299, 4299, 4299];

/**
 * Decodes a window of generated tokens with the voice's prompt tokens in front (the graph cuts the prompt's
 * audio) and returns the audio of exactly those tokens. Throws TtsError ENGINE_FAILED when the graph fails.
 */
export function createWindowDecoder(model: ChatterboxModel, voice: VoiceConditioning): DecodeWindow {
  const prompt = int64Data(voice.audioTokens);
  const tail = model.variant === 'turbo' ? TURBO_TAIL : [];
  return async (tokens) => {
    const ids = [...prompt, ...tokens, ...tail];
    let wave: Float32Array;
    try {
      const out = await model.sessions.conditional_decoder.run({
        speech_tokens: int64Tensor(ids, [1, ids.length]),
        speaker_embeddings: voice.speakerEmbeddings,
        speaker_features: voice.speakerFeatures,
      });
      wave = floatData(out.waveform!);
    } catch (err) {
      throw new TtsError('ENGINE_FAILED', `conditional_decoder failed on ${tokens.length} tokens: ${(err as Error).message.split('\n')[0]}`);
    }
    if (tail.length === 0) return wave;
    const samplesPerToken = wave.length / (tokens.length + tail.length);
    return wave.subarray(0, Math.round(tokens.length * samplesPerToken));
  };
}
