import type { EngineInfo } from '../../engine/engine.js';
import { ParamError } from '../../transport/openai-error.js';

/** OpenAI's built-in voice names; asked for on a server that has no voice of that name, they mean the default voice. */
export const OPENAI_VOICE_NAMES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer', 'verse', 'marin', 'cedar'];

/**
 * The engine voice for an OpenAI `voice` field (a name, or `{id}` for a custom voice): ours by name, OpenAI's
 * names as the default voice. Throws ParamError UNKNOWN_VOICE for any other name, BAD_MESSAGE for another type.
 */
export function resolveOpenAiVoice(voice: unknown, info: EngineInfo): string {
  if (voice === undefined) return info.defaultVoice;
  const name = typeof voice === 'object' && voice !== null && 'id' in voice ? (voice as { id: unknown }).id : voice;
  if (typeof name !== 'string') throw new ParamError('BAD_MESSAGE', 'voice', "'voice' must be a voice name or {id: name}");
  if (info.voices.includes(name)) return name;
  if (OPENAI_VOICE_NAMES.includes(name.toLowerCase())) return info.defaultVoice;
  throw new ParamError('UNKNOWN_VOICE', 'voice', `unknown voice '${name.slice(0, 64)}'; available: ${[...info.voices, ...OPENAI_VOICE_NAMES].join(', ')}`);
}
