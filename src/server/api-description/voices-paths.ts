import type { OpenApiPaths } from './openapi-types.js';

/** The coded error every route answers with (src/protocol/errors.ts). */
const codedError = {
  type: 'object',
  required: ['code', 'message', 'retryable'],
  properties: { code: { type: 'string' }, message: { type: 'string' }, retryable: { type: 'boolean' } },
};
const error = { type: 'object', required: ['error'], properties: { error: codedError } };
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: error } } });
const nameParameter = { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' } };

const voiceRecord = {
  type: 'object',
  required: ['name', 'durationSec', 'sampleRateHz', 'params', 'createdAt'],
  properties: {
    name: { type: 'string' },
    durationSec: { type: 'number' },
    sampleRateHz: { type: 'integer', const: 24000 },
    params: { type: 'object', additionalProperties: { type: 'number' }, description: 'Defaults for requests with this voice that leave them out.' },
    createdAt: { type: 'string', format: 'date-time' },
  },
};
const builtInVoice = { type: 'object', required: ['name', 'builtIn'], properties: { name: { type: 'string' }, builtIn: { const: true } } };

/** The voice library: `/v1/voices` and `/v1/voices/{name}` (docs/voices.md). */
export const VOICES_PATHS: OpenApiPaths = {
  '/v1/voices': {
    get: {
      summary: 'List the engine’s own voices and the stored ones',
      responses: {
        '200': {
          description: 'The voices',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['defaultVoice', 'cloning', 'voices'],
                properties: {
                  defaultVoice: { type: 'string' },
                  cloning: { type: 'boolean', description: 'False for engines with fixed voices (Flite): uploads are refused.' },
                  voices: { type: 'array', items: { oneOf: [builtInVoice, voiceRecord] } },
                },
              },
            },
          },
        },
      },
    },
    post: {
      summary: 'Store a voice cloned from a clip (WAV, MP3, FLAC, Ogg Vorbis or Opus; 5–30 s by default)',
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              required: ['name', 'file'],
              properties: {
                name: nameParameter.schema,
                file: { type: 'string', format: 'binary', description: 'The reference clip (also accepted as `audio`).' },
              },
              additionalProperties: { type: 'string', description: 'A default for an engine parameter, e.g. exaggeration=0.7.' },
            },
          },
        },
      },
      responses: {
        '201': {
          description: 'Stored',
          content: { 'application/json': { schema: { ...voiceRecord, properties: { ...voiceRecord.properties, source: { type: 'string' } } } } },
        },
        '400': errorResponse('BAD_AUDIO, AUDIO_TOO_SHORT, BAD_VOICE_NAME, BAD_PARAM or BAD_MESSAGE'),
        '409': errorResponse('VOICE_EXISTS'),
        '413': errorResponse('AUDIO_TOO_LONG or FRAME_TOO_LARGE (over --max-upload-bytes)'),
        '415': errorResponse('UNSUPPORTED_MEDIA_TYPE: not multipart/form-data'),
        '422': errorResponse('CLONING_UNSUPPORTED'),
        '502': errorResponse('FANOUT_INCOMPLETE (balancer with --voices-sync fanout): some workers did not store it; see `backends`'),
      },
    },
  },
  '/v1/voices/{name}': {
    parameters: [nameParameter],
    get: {
      summary: 'Describe one voice',
      responses: {
        '200': { description: 'The voice', content: { 'application/json': { schema: { oneOf: [builtInVoice, voiceRecord] } } } },
        '400': errorResponse('BAD_VOICE_NAME'),
        '404': errorResponse('NOT_FOUND'),
      },
    },
    delete: {
      summary: 'Delete a stored voice; requests already using it finish',
      responses: {
        '200': { description: 'Deleted', content: { 'application/json': { schema: { type: 'object', properties: { deleted: { type: 'string' } } } } } },
        '400': errorResponse('BAD_VOICE_NAME'),
        '403': errorResponse('FORBIDDEN: one of the engine’s own voices'),
        '404': errorResponse('NOT_FOUND'),
        '502': errorResponse('FANOUT_INCOMPLETE'),
      },
    },
  },
  '/v1/voices/{name}/audio': {
    parameters: [nameParameter],
    get: {
      summary: 'The stored clip: mono 24 kHz 16-bit WAV',
      responses: { '200': { description: 'The clip', content: { 'audio/wav': {} } }, '404': errorResponse('NOT_FOUND') },
    },
  },
};
