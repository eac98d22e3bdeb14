import type { OpenApiPaths } from './openapi-types.js';

/** The coded error every route answers with (src/protocol/errors.ts). */
const codedError = {
  type: 'object',
  required: ['code', 'message', 'retryable'],
  properties: { code: { type: 'string' }, message: { type: 'string' }, retryable: { type: 'boolean' } },
};
const failure = {
  description: 'success false with a coded error',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['success', 'error'],
        properties: { success: { const: false }, error: codedError },
      },
    },
  },
};
const number = { type: 'number' };
const fields = {
  text: { type: 'string' },
  exaggeration: number,
  temperature: number,
  cfg_weight: number,
  min_p: number,
  top_p: number,
  repetition_penalty: number,
  seed: { type: 'integer' },
  speech_rate: { type: 'number', minimum: 0.25, maximum: 4, description: 'Tempo; becomes the engine parameter `speed`.' },
  voice: { type: 'string', description: 'A voice name (GET /voices); ignored with an audio_prompt.' },
};
const answer = {
  description: 'The speech was written to a file',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['success', 'audio_url', 'duration', 'sample_rate', 'parameters', 'inference_speed'],
        properties: {
          success: { const: true },
          audio_url: { type: 'string', description: '/audio/{file}; served until --audio-ttl expires' },
          duration: { type: 'number', description: 'seconds' },
          sample_rate: { type: 'integer' },
          parameters: { type: 'object', description: 'Every parameter applied, plus speech_rate and voice' },
          inference_speed: { type: ['number', 'null'], description: 'Speech tokens generated per second; null for engines without speech tokens' },
        },
      },
    },
  },
};
const errors = { '400': failure, '413': failure, '415': failure, '422': failure, '503': failure };

/** The original deployment's endpoints, kept for drop-in clients (docs/original-api.md). */
export const ORIGINAL_PATHS: OpenApiPaths = {
  '/synthesize': {
    post: {
      summary: 'Synthesize to a WAV file (multipart form; optional audio_prompt clip for this request only)',
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: { type: 'object', required: ['text'], properties: { ...fields, audio_prompt: { type: 'string', format: 'binary' } } },
          },
        },
      },
      responses: { '200': answer, ...errors },
    },
  },
  '/synthesize-json': {
    post: {
      summary: 'Synthesize to a WAV file (JSON; audio_prompt as a base64 audio file)',
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { type: 'object', required: ['text'], properties: { ...fields, audio_prompt: { type: 'string', contentEncoding: 'base64' } } },
          },
        },
      },
      responses: { '200': answer, ...errors },
    },
  },
  '/audio/{file}': {
    parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string', pattern: '^tts-[0-9a-f]{32}\\.wav$' } }],
    get: {
      summary: 'A file /synthesize wrote, from whichever worker made it',
      responses: { '200': { description: 'WAV', content: { 'audio/wav': {} } }, '404': failure },
    },
  },
  '/voices': {
    get: {
      summary: 'The voice names, in the original shape',
      responses: {
        '200': {
          description: 'Voices',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['success', 'voices', 'default_voice', 'count'],
                properties: {
                  success: { const: true },
                  voices: { type: 'array', items: { type: 'string' } },
                  default_voice: { type: 'string' },
                  count: { type: 'integer' },
                },
              },
            },
          },
        },
      },
    },
  },
};
