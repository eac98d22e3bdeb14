import type { OpenApiPaths } from './openapi-types.js';
import { jsonResponse } from './shared-schemas.js';

const count = { type: 'integer', minimum: 0 };

const workerHealth = {
  type: 'object',
  required: [
    'status',
    'engine',
    'device',
    'details',
    'voices',
    'gpu',
    'sessions',
    'activeRequests',
    'queuedRequests',
    'pausedRequests',
    'capacity',
    'loadScore',
    'uptimeSec',
    'version',
    'transport',
  ],
  properties: {
    status: { type: 'string', enum: ['ok', 'loading', 'draining', 'closed'] },
    engine: { type: 'string' },
    device: { type: 'string' },
    details: { type: 'object', additionalProperties: { type: 'string' } },
    voices: { type: 'array', items: { type: 'string' } },
    gpu: { type: 'integer' },
    sessions: count,
    activeRequests: count,
    queuedRequests: count,
    pausedRequests: count,
    capacity: count,
    loadScore: { type: 'number', minimum: 0 },
    uptimeSec: count,
    version: { type: 'string' },
    pid: { type: 'integer', description: 'Only for callers that presented a valid API key.' },
    transport: { type: 'string', enum: ['uws', 'node'] },
  },
};

const balancerHealth = {
  type: 'object',
  required: ['status', 'healthyBackends', 'totalBackends', 'sessions', 'uptimeSec', 'version', 'transport'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded', 'down', 'draining'] },
    healthyBackends: count,
    totalBackends: count,
    sessions: count,
    uptimeSec: count,
    version: { type: 'string' },
    transport: { type: 'string', enum: ['uws', 'node'] },
  },
};

const lbStats = {
  type: 'object',
  required: ['status', 'uptimeSec', 'version', 'sessions', 'clientBufferedBytes', 'healthyBackends', 'totalBackends', 'totals', 'backends'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded', 'down', 'draining'] },
    uptimeSec: count,
    version: { type: 'string' },
    sessions: count,
    clientBufferedBytes: count,
    healthyBackends: count,
    totalBackends: count,
    totals: {
      type: 'object',
      required: ['requests', 'framesRelayed', 'bytesRelayed', 'failovers', 'errors', 'clientErrors', 'noBackend', 'replayedRequests'],
      additionalProperties: count,
    },
    backends: {
      type: 'array',
      items: {
        type: 'object',
        required: ['url', 'state', 'sessions', 'loadScore', 'requests', 'errorsByCode', 'clientErrorsByCode', 'framesRelayed', 'bytesRelayed', 'failovers'],
        properties: {
          url: { type: 'string' },
          state: { type: 'string' },
          sessions: count,
          loadScore: { type: 'number' },
          requests: count,
          errorsByCode: { type: 'object', additionalProperties: count },
          clientErrorsByCode: { type: 'object', additionalProperties: count },
          lastError: { type: ['object', 'null'] },
          healthLatencyMs: { type: ['number', 'null'] },
          framesRelayed: count,
          bytesRelayed: count,
          failovers: count,
          reported: { type: ['object', 'null'] },
        },
      },
    },
  },
};

/** `/health`, `/lb-stats` and `/metrics`: the routes operators and the balancer poll. */
export const SERVICE_PATHS: OpenApiPaths = {
  '/health': {
    get: {
      summary: 'Health and load of a worker, or of the balancer and its backends',
      description: 'A worker answers WorkerHealth, the balancer BalancerHealth. 503 while loading, draining or (balancer) with no healthy backend.',
      responses: {
        '200': jsonResponse('Serving', { oneOf: [workerHealth, balancerHealth] }),
        '503': jsonResponse('Not serving now', { oneOf: [workerHealth, balancerHealth] }),
      },
    },
  },
  '/lb-stats': {
    get: {
      summary: 'Balancer only: per-backend state and totals',
      parameters: [{ name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'text'] } }],
      responses: { '200': { description: 'Stats', content: { 'application/json': { schema: lbStats }, 'text/plain': { schema: { type: 'string' } } } } },
    },
  },
  '/metrics': {
    get: {
      summary: 'Prometheus metrics in the text exposition format',
      responses: { '200': { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  },
};
