import { ERROR_CODES } from '../../protocol/errors.js';

/** `#/components/schemas` entries several route groups refer to. */
export const SHARED_SCHEMAS: Record<string, unknown> = {
  ErrorCode: { type: 'string', enum: Object.keys(ERROR_CODES), description: 'Stable error code; clients branch on it, never on the message.' },
  Error: {
    type: 'object',
    required: ['error'],
    additionalProperties: false,
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'retryable'],
        additionalProperties: false,
        properties: { code: { $ref: '#/components/schemas/ErrorCode' }, message: { type: 'string' }, retryable: { type: 'boolean' } },
      },
    },
  },
  OpenAiError: {
    type: 'object',
    required: ['error'],
    additionalProperties: false,
    properties: {
      error: {
        type: 'object',
        required: ['message', 'type', 'param', 'code'],
        additionalProperties: false,
        properties: {
          message: { type: 'string' },
          type: { type: 'string', enum: ['invalid_request_error', 'authentication_error', 'server_error'] },
          param: { type: ['string', 'null'], description: 'The request field at fault, when there is one.' },
          code: { $ref: '#/components/schemas/ErrorCode' },
        },
      },
    },
  },
};

/** A response whose body is `schema` as JSON. */
export function jsonResponse(description: string, schema: unknown): Record<string, unknown> {
  return { description, content: { 'application/json': { schema } } };
}

/** The project's error responses for these statuses. */
export function errorResponses(statuses: number[], schema = '#/components/schemas/Error'): Record<string, unknown> {
  return Object.fromEntries(statuses.map((status) => [String(status), jsonResponse('A coded error', { $ref: schema })]));
}
