import { sendJson } from '../../transport/http-exchange.js';
import type { HttpRouter } from '../../transport/http-router.js';
import { buildAsyncApiDocument } from './asyncapi-document.js';
import { ASYNCAPI_PATH, OPENAPI_PATH, buildOpenApiDocument } from './openapi-document.js';

/** Serves the OpenAPI and AsyncAPI documents, built once at startup. */
export function attachApiDescriptionRoutes(router: HttpRouter): void {
  const openApi = buildOpenApiDocument();
  const asyncApi = buildAsyncApiDocument();
  router.on('GET', OPENAPI_PATH, (http) => sendJson(http, 200, openApi));
  router.on('GET', ASYNCAPI_PATH, (http) => sendJson(http, 200, asyncApi));
}
