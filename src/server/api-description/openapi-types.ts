/** OpenAPI 3.1 path items keyed by path, as one route group describes them. */
export type OpenApiPaths = Record<string, Record<string, unknown>>;
