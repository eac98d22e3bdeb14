import { VERSION } from '../../version.js';
import { OPENAI_PATHS } from './openai-paths.js';
import { ORIGINAL_PATHS } from './original-paths.js';
import type { OpenApiPaths } from './openapi-types.js';
import { SERVICE_PATHS } from './service-paths.js';
import { SHARED_SCHEMAS, jsonResponse } from './shared-schemas.js';
import { TTS_PATHS } from './tts-paths.js';
import { VOICES_PATHS } from './voices-paths.js';

/** Every route group's paths; a group that adds HTTP routes adds its file here. */
const ROUTE_GROUPS: OpenApiPaths[] = [SERVICE_PATHS, TTS_PATHS, OPENAI_PATHS, VOICES_PATHS, ORIGINAL_PATHS];

/** Where the two API descriptions are served, on workers and (forwarded) on the balancer. */
export const OPENAPI_PATH = '/openapi.json';
export const ASYNCAPI_PATH = '/asyncapi.json';

const DOCUMENT_PATHS: OpenApiPaths = {
  [OPENAPI_PATH]: { get: { summary: 'This document', responses: { '200': jsonResponse('OpenAPI 3.1', { type: 'object', required: ['openapi', 'paths'] }) } } },
  [ASYNCAPI_PATH]: {
    get: {
      summary: 'The WebSocket protocol of /v1/stream',
      responses: { '200': jsonResponse('AsyncAPI 3.0', { type: 'object', required: ['asyncapi', 'channels'] }) },
    },
  },
};

/** The OpenAPI 3.1 document of every HTTP route of workers and the balancer (balancer-only routes say so). */
export function buildOpenApiDocument(): Record<string, unknown> {
  const paths: OpenApiPaths = {};
  for (const group of [...ROUTE_GROUPS, DOCUMENT_PATHS]) {
    for (const [path, item] of Object.entries(group)) paths[path] = { ...paths[path], ...item };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'chatterbox-stream HTTP API',
      version: VERSION,
      description:
        'Workers and the balancer answer the same routes (the balancer forwards synthesis to a worker); the streaming WebSocket is described in /asyncapi.json.',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    paths,
    components: {
      schemas: SHARED_SCHEMAS,
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'When the server has API keys (docs/security.md).' } },
    },
  };
}
