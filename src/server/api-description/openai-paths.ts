import { SPEECH_FORMATS } from '../../audio/encode/create-speech-encoder.js';
import type { OpenApiPaths } from './openapi-types.js';
import { errorResponses, jsonResponse } from './shared-schemas.js';

const OPENAI_ERROR = '#/components/schemas/OpenAiError';

const audioContent = Object.fromEntries(
  ['audio/mpeg', 'audio/ogg', 'audio/aac', 'audio/flac', 'audio/wav', 'audio/pcm'].map((type) => [
    type,
    { schema: { type: 'string', contentMediaType: type } },
  ]),
);

/** `POST /v1/audio/speech`, `GET /v1/audio/voices` and `GET /v1/models`: OpenAI's speech API. */
export const OPENAI_PATHS: OpenApiPaths = {
  '/v1/audio/speech': {
    post: {
      summary: "OpenAI's speech API: audio encoded and streamed as it is generated",
      description:
        "Mono 24 kHz in every format. OpenAI voice names this server has no voice for mean the default voice. Engine parameters (exaggeration, cfg_weight, temperature, seed, ...) may be given as extra fields. 'aac' is AAC-LC in ADTS frames.",
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['input'],
              properties: {
                model: { type: 'string', description: 'Any name: tts-1, tts-1-hd, gpt-4o-mini-tts and the engine name all mean this server’s engine.' },
                input: { type: 'string', minLength: 1 },
                voice: { oneOf: [{ type: 'string' }, { type: 'object', required: ['id'], properties: { id: { type: 'string' } } }] },
                response_format: { type: 'string', enum: [...SPEECH_FORMATS], default: 'mp3' },
                speed: { type: 'number', minimum: 0.25, maximum: 4, default: 1 },
                instructions: { type: 'string', description: 'Accepted and not used.' },
                stream_format: { type: 'string', enum: ['audio', 'sse'], default: 'audio' },
                language: { type: 'string' },
              },
              additionalProperties: { type: 'number' },
            },
          },
        },
      },
      responses: {
        '200': {
          description: 'Audio, chunked; or with stream_format sse, speech.audio.delta events then one speech.audio.done',
          content: { ...audioContent, 'text/event-stream': { schema: { type: 'string' } } },
        },
        ...errorResponses([400, 401, 403, 405, 408, 413, 415, 422, 429, 500, 502, 503], OPENAI_ERROR),
      },
    },
  },
  '/v1/audio/voices': {
    get: {
      summary: 'Voices for /v1/audio/speech',
      responses: {
        '200': jsonResponse('The engine’s voices, then OpenAI’s names with the voice they stand for', {
          type: 'object',
          required: ['voices', 'default'],
          additionalProperties: false,
          properties: {
            default: { type: 'string' },
            voices: {
              type: 'array',
              items: {
                type: 'object',
                required: ['id', 'name'],
                additionalProperties: false,
                properties: { id: { type: 'string' }, name: { type: 'string' }, alias_of: { type: 'string' } },
              },
            },
          },
        }),
      },
    },
  },
  '/v1/models': {
    get: {
      summary: 'Models, in OpenAI’s list shape',
      responses: {
        '200': jsonResponse('The engine under its own name and OpenAI’s speech model names', {
          type: 'object',
          required: ['object', 'data'],
          additionalProperties: false,
          properties: {
            object: { const: 'list' },
            data: {
              type: 'array',
              items: {
                type: 'object',
                required: ['id', 'object', 'created', 'owned_by'],
                additionalProperties: false,
                properties: { id: { type: 'string' }, object: { const: 'model' }, created: { type: 'integer' }, owned_by: { type: 'string' } },
              },
            },
          },
        }),
      },
    },
  },
};
