import { AUDIO_FORMATS } from '../../protocol/messages.js';
import type { OpenApiPaths } from './openapi-types.js';
import { errorResponses } from './shared-schemas.js';

/** `POST /v1/tts`: the one-shot endpoint, WAV or raw PCM streamed as it is produced. */
export const TTS_PATHS: OpenApiPaths = {
  '/v1/tts': {
    post: {
      summary: 'Speak a text: WAV (or raw PCM) streamed as it is generated',
      parameters: [{ name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['wav', 'pcm'], default: 'wav' } }],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['text'],
              properties: {
                text: { type: 'string' },
                voice: { type: 'string' },
                language: { type: 'string' },
                params: { type: 'object', additionalProperties: { type: 'number' }, description: 'Engine parameters (temperature, seed, speed, ...).' },
                format: { type: 'string', enum: [...AUDIO_FORMATS], default: 's16le' },
              },
            },
          },
        },
      },
      responses: {
        '200': {
          description: 'Audio, chunked; X-Sample-Rate and X-Audio-Format headers say what it holds',
          content: { 'audio/wav': { schema: { type: 'string', contentMediaType: 'audio/wav' } }, 'application/octet-stream': { schema: { type: 'string' } } },
        },
        ...errorResponses([400, 401, 403, 405, 408, 413, 415, 422, 429, 500, 502, 503]),
      },
    },
  },
};
