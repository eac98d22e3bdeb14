import { TtsError, httpStatusFor } from '../protocol/errors.js';
import { sendJson, type HttpExchange } from './http-exchange.js';

/** A TtsError about one field of an OpenAI-style request body, named in the error's `param`. */
export class ParamError extends TtsError {
  readonly param: string;

  constructor(code: TtsError['code'], param: string, message: string) {
    super(code, message);
    this.param = param;
  }
}

/** The OpenAI API's error body: `{error: {message, type, param, code}}`, with our stable code as `code`. */
export function openAiErrorBody(error: TtsError): { error: { message: string; type: string; param: string | null; code: string } } {
  const status = httpStatusFor(error.code);
  const type = status === 401 || status === 403 ? 'authentication_error' : status < 500 ? 'invalid_request_error' : 'server_error';
  return { error: { message: error.message, type, param: error instanceof ParamError ? error.param : null, code: error.code } };
}

/** Sends a coded error in OpenAI's shape with the status of its code, for the OpenAI-compatible routes. */
export function sendOpenAiError(http: HttpExchange, error: TtsError, headers: Record<string, string> = {}): void {
  sendJson(http, httpStatusFor(error.code), openAiErrorBody(error), headers);
}

/** True for paths of the OpenAI-compatible API, whose errors take OpenAI's shape. */
export function isOpenAiPath(path: string): boolean {
  return path.startsWith('/v1/audio/') || path === '/v1/models';
}
