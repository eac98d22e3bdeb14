import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpExchange } from './http-exchange.js';
import type { HttpRouter } from './http-router.js';

/** Where the build writes the browser page (dist/client/browser), found from this module's place in dist/src. */
export const DEFAULT_STATIC_ROOT = fileURLToPath(new URL('../../client/browser/', import.meta.url));

/** Files under this folder have a content hash in their name, so they may be cached for good. */
const HASHED_DIR = 'assets/';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * The page may only load its own scripts and styles and talk to its own origin (the WebSocket included:
 * CSP Level 3 lets 'self' match ws: and wss: on the same host). blob: is for the WAV download.
 * 'wasm-unsafe-eval' lets the bundled Opus decoder compile its WebAssembly; it allows no JavaScript eval.
 */
const PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/** One file as served: bytes and headers fixed at startup. */
interface StaticFile {
  body: Uint8Array;
  etag: string;
  headers: Record<string, string>;
}

/** The files the static route serves, by URL path ('/' is index.html). */
export type StaticSite = ReadonlyMap<string, StaticFile>;

function headersFor(path: string, etag: string): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
    etag,
    'x-content-type-options': 'nosniff',
  };
  if (path.startsWith(`/${HASHED_DIR}`)) {
    headers['cache-control'] = 'public, max-age=31536000, immutable';
  } else {
    // A stable name (the page, the client library) must be revalidated on every use; the ETag makes that a 304.
    headers['cache-control'] = 'no-cache';
  }
  if (path.endsWith('.html')) {
    headers['content-security-policy'] = PAGE_POLICY;
    headers['referrer-policy'] = 'no-referrer';
  } else {
    // Module scripts load in CORS mode: other origins may import the client library (and its worklet and maps).
    headers['access-control-allow-origin'] = '*';
  }
  return headers;
}

/**
 * Reads every regular file under `rootDir` into memory (a few hundred KB of built assets). Only files found
 * here are ever served, by exact path, so a request cannot reach outside the folder; dotfiles and symbolic
 * links are skipped. A missing folder gives an empty site (the page was not built).
 */
export function loadStaticSite(rootDir: string): StaticSite {
  const site = new Map<string, StaticFile>();
  const walk = (dir: string, prefix: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const file = join(dir, entry.name);
      const path = `${prefix}${entry.name}`;
      if (entry.isDirectory()) walk(file, `${path}/`);
      else if (entry.isFile() && lstatSync(file).isFile()) {
        const body = readFileSync(file);
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
        site.set(path, { body, etag, headers: headersFor(path, etag) });
      }
    }
  };
  walk(rootDir, '/');
  const index = site.get('/index.html');
  if (index) site.set('/', index);
  return site;
}

function serve(http: HttpExchange, file: StaticFile, withBody: boolean): void {
  const fresh = http
    .header('if-none-match')
    .split(/\s*,\s*/)
    .includes(file.etag);
  if (fresh) http.endWithoutBody(304, { etag: file.etag, 'cache-control': file.headers['cache-control']! });
  else if (withBody) http.end(200, file.headers, file.body);
  else http.endWithoutBody(200, file.headers, file.body.byteLength);
}

/**
 * Serves the built browser page: GET and HEAD on each file's exact path, `/` for index.html.
 * Returns the paths served (none when the page was not built).
 */
export function attachStaticRoutes(router: HttpRouter, options: { rootDir?: string } = {}): string[] {
  const site = loadStaticSite(options.rootDir ?? DEFAULT_STATIC_ROOT);
  for (const [path, file] of site) {
    router.on('GET', path, (http) => serve(http, file, true));
    router.on('HEAD', path, (http) => serve(http, file, false));
  }
  return [...site.keys()];
}
