import { ERROR_CODES } from '../../protocol/errors.js';
import { CLIENT_FRAME_TYPES, INPUT_MODES, PROTOCOL_VERSION, STREAM_FORMATS, STREAM_PATH } from '../../protocol/messages.js';
import { VERSION } from '../../version.js';

const id = { type: 'string', minLength: 1, description: 'Client-chosen request id, unique among the connection’s requests in flight.' };
const count = { type: 'integer', minimum: 0 };

const messages: Record<string, { summary: string; payload: Record<string, unknown> }> = {
  start: {
    summary: 'Starts a request; audio frames follow, then done or error',
    payload: {
      type: 'object',
      required: ['type', 'id'],
      properties: {
        type: { const: 'start' },
        id,
        text: { type: 'string', description: 'The whole text; with input stream, optional: the first piece of it.' },
        input: { type: 'string', enum: [...INPUT_MODES], description: 'stream: more text follows in text frames until end.' },
        voice: { type: 'string' },
        language: { type: 'string', maxLength: 16 },
        params: { type: 'object', additionalProperties: { type: 'number' } },
        format: {
          type: 'string',
          enum: [...STREAM_FORMATS],
          default: 's16le',
          description: 'opus: audio payloads are the pages of one Ogg Opus stream, 24 kHz mono.',
        },
      },
    },
  },
  cancel: {
    summary: 'Ends a request early; done follows with cancelled true',
    payload: { type: 'object', required: ['type', 'id'], properties: { type: { const: 'cancel' }, id } },
  },
  text: {
    summary: 'Appends text to a request started with input stream',
    payload: { type: 'object', required: ['type', 'id', 'text'], properties: { type: { const: 'text' }, id, text: { type: 'string' } } },
  },
  flush: {
    summary: 'Speaks the text buffered so far, even mid-sentence',
    payload: { type: 'object', required: ['type', 'id'], properties: { type: { const: 'flush' }, id } },
  },
  end: {
    summary: 'Closes a streamed request’s input; done follows after the last audio',
    payload: { type: 'object', required: ['type', 'id'], properties: { type: { const: 'end' }, id } },
  },
  ready: {
    summary: 'First frame of every connection: what the engine offers and the limits',
    payload: {
      type: 'object',
      required: ['type', 'protocol', 'engine', 'sampleRate', 'voices', 'defaultVoice', 'languages', 'defaultLanguage', 'params', 'limits'],
      properties: {
        type: { const: 'ready' },
        protocol: { const: PROTOCOL_VERSION },
        engine: { type: 'string' },
        sampleRate: { type: 'integer' },
        voices: { type: 'array', items: { type: 'string' } },
        defaultVoice: { type: 'string' },
        languages: { type: 'array', items: { type: 'string' } },
        defaultLanguage: { type: 'string' },
        params: { type: 'object' },
        limits: { type: 'object', required: ['maxTextChars', 'maxRequestsPerConnection', 'maxFrameBytes'] },
        frames: { type: 'array', items: { type: 'string', enum: [...CLIENT_FRAME_TYPES] }, description: 'The client frames this server takes.' },
      },
    },
  },
  audio: {
    summary: 'One piece of a request’s audio; seq counts 0, 1, 2, … with no gap',
    payload: {
      type: 'object',
      required: ['type', 'id', 'seq', 'pcm', 'samples'],
      properties: {
        type: { const: 'audio' },
        id,
        seq: count,
        pcm: { type: 'string', contentEncoding: 'binary', description: 'msgpack bin: samples in the request’s format.' },
        samples: count,
      },
    },
  },
  done: {
    summary: 'The request ended; totals and metrics',
    payload: {
      type: 'object',
      required: ['type', 'id', 'chunks', 'samples', 'cancelled', 'metrics'],
      properties: { type: { const: 'done' }, id, chunks: count, samples: count, cancelled: { type: 'boolean' }, metrics: { type: 'object' } },
    },
  },
  error: {
    summary: 'A coded error ending a request (with id) or about the connection (without)',
    payload: {
      type: 'object',
      required: ['type', 'code', 'message', 'retryable'],
      properties: {
        type: { const: 'error' },
        id,
        code: { type: 'string', enum: Object.keys(ERROR_CODES) },
        message: { type: 'string' },
        retryable: { type: 'boolean' },
        retryAfterMs: count,
      },
    },
  },
};

const ref = (name: string) => ({ $ref: `#/channels/stream/messages/${name}` });

/** The AsyncAPI 3.0 document of the WebSocket protocol on /v1/stream (msgpack binary frames; docs/protocol.md). */
export function buildAsyncApiDocument(): Record<string, unknown> {
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'chatterbox-stream WebSocket protocol',
      version: VERSION,
      description: `Protocol version ${PROTOCOL_VERSION}. Every frame is one msgpack map in a binary WebSocket message.`,
    },
    defaultContentType: 'application/msgpack',
    channels: {
      stream: {
        address: STREAM_PATH,
        messages: Object.fromEntries(Object.entries(messages).map(([name, m]) => [name, { name, ...m }])),
        bindings: { ws: { method: 'GET' } },
      },
    },
    operations: {
      sendRequest: {
        action: 'receive',
        channel: { $ref: '#/channels/stream' },
        summary: 'The server receives start, cancel and, for streamed input, text, flush and end',
        messages: CLIENT_FRAME_TYPES.map(ref),
      },
      sendAudio: {
        action: 'send',
        channel: { $ref: '#/channels/stream' },
        summary: 'The server sends ready, audio, done and error',
        messages: [ref('ready'), ref('audio'), ref('done'), ref('error')],
      },
    },
  };
}
