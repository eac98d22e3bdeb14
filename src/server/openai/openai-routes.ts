import type { Engine } from '../../engine/engine.js';
import { TtsError } from '../../protocol/errors.js';
import { sendJson } from '../../transport/http-exchange.js';
import type { HttpRouter } from '../../transport/http-router.js';
import { sendOpenAiError } from '../../transport/openai-error.js';
import { OPENAI_VOICE_NAMES } from './openai-voices.js';
import { handleSpeech, type SpeechRouteDeps } from './speech-route.js';

/** Model names OpenAI clients send, all served by this server's one engine. */
export const OPENAI_MODEL_ALIASES = ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts'];

/** When the model list says its models were created: fixed, so answers do not change between calls. */
const MODELS_CREATED_SEC = 1_735_689_600;

/** `GET /v1/audio/voices`: the engine's voices, then OpenAI's names that stand for the default voice. */
export function describeVoices(engine: Engine): { voices: { id: string; name: string; alias_of?: string }[]; default: string } {
  const info = engine.info;
  const ours = info.voices.map((id) => ({ id, name: id }));
  const aliases = OPENAI_VOICE_NAMES.filter((id) => !info.voices.includes(id)).map((id) => ({ id, name: id, alias_of: info.defaultVoice }));
  return { voices: [...ours, ...aliases], default: info.defaultVoice };
}

/** `GET /v1/models`: the engine under its own name and under OpenAI's speech model names, in OpenAI's list shape. */
export function describeModels(engine: Engine): { object: 'list'; data: { id: string; object: 'model'; created: number; owned_by: string }[] } {
  const ids = [engine.info.name, ...OPENAI_MODEL_ALIASES.filter((id) => id !== engine.info.name)];
  return { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: MODELS_CREATED_SEC, owned_by: 'chatterbox-stream' })) };
}

/** Adds OpenAI's speech API to a worker's router: /v1/audio/speech, /v1/audio/voices and /v1/models. */
export function attachOpenAiRoutes(router: HttpRouter, deps: SpeechRouteDeps): void {
  router.on('POST', '/v1/audio/speech', (http) => handleSpeech(http, deps));
  router.on('GET', '/v1/audio/voices', (http) => sendJson(http, 200, describeVoices(deps.engine)));
  router.on('GET', '/v1/models', (http) => sendJson(http, 200, describeModels(deps.engine)));
  const wrongMethod = (allow: string) => (http: Parameters<Parameters<HttpRouter['on']>[2]>[0]) =>
    sendOpenAiError(http, new TtsError('METHOD_NOT_ALLOWED', `use ${allow}`), { allow });
  router.on('*', '/v1/audio/speech', wrongMethod('POST'));
  router.on('*', '/v1/audio/voices', wrongMethod('GET'));
  router.on('*', '/v1/models', wrongMethod('GET'));
}
