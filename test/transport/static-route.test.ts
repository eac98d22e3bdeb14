import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHttpRouter } from '../../src/transport/http-router.js';
import { attachStaticRoutes, loadStaticSite } from '../../src/transport/static-route.js';
import type { TransportServer } from '../../src/transport/transport.js';
import { httpRequest, type HttpResult } from '../helpers/http.js';
import { withTimeout } from '../helpers/raw-stream.js';
import { availableTransports, serveHttpWith } from '../helpers/transport.js';
import { startTestWorker } from '../helpers/worker.js';

/** A request whose path is sent byte for byte (URL parsing would resolve the '..' a traversal test needs). */
function rawGet(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpResult> {
  const startedAt = performance.now();
  const done = new Promise<HttpResult>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), elapsedMs: performance.now() - startedAt }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  return withTimeout(done, 5000, `${method} ${path}`);
}

for (const transportName of availableTransports())
  describe(`attachStaticRoutes on ${transportName}`, () => {
    let dir: string;
    let port: number;
    let server: TransportServer;
    const page = '<!doctype html><title>t</title>';

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'static-route-'));
      const site = join(dir, 'site');
      mkdirSync(join(site, 'assets'), { recursive: true });
      writeFileSync(join(site, 'index.html'), page);
      writeFileSync(join(site, 'assets', 'app-ABCD1234.js'), 'console.log(1)');
      writeFileSync(join(site, 'tts-client.js'), 'export {}');
      writeFileSync(join(site, '.env'), 'SECRET=1');
      writeFileSync(join(dir, 'secret.txt'), 'outside the site');
      symlinkSync(join(dir, 'secret.txt'), join(site, 'linked.txt'));
      const router = createHttpRouter();
      attachStaticRoutes(router, { rootDir: site });
      router.otherwise((http) => http.end(404, {}, 'nope'));
      server = await serveHttpWith(transportName, router.handle);
      port = server.port;
    });
    after(() => {
      server.stopListening();
      rmSync(dir, { recursive: true, force: true });
    });

    it('serves index.html at / with its content type, no-cache, an ETag and a content security policy', async () => {
      for (const path of ['/', '/index.html']) {
        const result = await rawGet(port, path);
        assert.equal(result.status, 200, path);
        assert.equal(result.body.toString(), page);
        assert.equal(result.headers['content-type'], 'text/html; charset=utf-8');
        assert.equal(result.headers['cache-control'], 'no-cache');
        assert.match(String(result.headers.etag), /^"[\w-]{22}"$/);
        assert.match(String(result.headers['content-security-policy']), /default-src 'self'/);
        assert.equal(result.headers['x-content-type-options'], 'nosniff');
      }
    });

    it('caches hashed assets for good and lets other origins import the client module', async () => {
      const asset = await rawGet(port, '/assets/app-ABCD1234.js');
      assert.equal(asset.status, 200);
      assert.equal(asset.headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
      const library = await rawGet(port, '/tts-client.js');
      assert.equal(library.headers['cache-control'], 'no-cache', 'a stable name is revalidated');
      assert.equal(library.headers['access-control-allow-origin'], '*');
    });

    it('answers HEAD with the headers and length of GET and no body', async () => {
      const head = await rawGet(port, '/', {}, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(Buffer.byteLength(page)));
      assert.equal(head.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(head.body.length, 0);
    });

    it('answers 304 with no body when the ETag still matches', async () => {
      const first = await rawGet(port, '/');
      const again = await rawGet(port, '/', { 'if-none-match': String(first.headers.etag) });
      assert.equal(again.status, 304);
      assert.equal(again.body.length, 0);
      assert.equal(again.headers.etag, first.headers.etag);
      assert.equal((await rawGet(port, '/', { 'if-none-match': '"stale"' })).status, 200);
    });

    it('serves nothing outside the folder, no dotfiles, no symbolic links, nothing unknown', async () => {
      for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/linked.txt', '/.env', '/nope.js', '/assets/', '/assets']) {
        const result = await rawGet(port, path);
        assert.equal(result.status, 404, path);
        assert.equal(result.body.toString(), 'nope', `${path} falls through to the catch-all`);
      }
    });

    it('loads an empty site when the page was not built', () => {
      assert.equal(loadStaticSite(join(dir, 'missing')).size, 0);
    });
  });

describe('the built page on a worker', () => {
  it('serves / and every asset it references with the right content type', async (t) => {
    const worker = await startTestWorker();
    t.after(() => worker.close());
    const index = await httpRequest(`${worker.httpUrl}/`);
    assert.equal(index.status, 200, 'run npm run build: it bundles the page into dist/client/browser');
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    const html = index.body.toString();
    assert.doesNotMatch(html, /https?:\/\//, 'no external CDN: the page loads only from its own server');
    const refs = [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.deepEqual(refs.map((r) => r.replace(/-[A-Z0-9]{8}\./, '-HASH.')).sort(), ['assets/app-HASH.js', 'assets/styles-HASH.css']);
    const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
    for (const ref of [...refs, 'tts-client.js']) {
      const asset = await httpRequest(`${worker.httpUrl}/${ref}`);
      assert.equal(asset.status, 200, ref);
      assert.equal(asset.headers['content-type'], types[ref.split('.').pop()!], ref);
    }
    const app = (await httpRequest(`${worker.httpUrl}/${refs.find((r) => r.endsWith('.js'))}`)).body.toString();
    const worklet = /"(assets\/player-worklet-[A-Z0-9]{8}\.js)"/.exec(app)?.[1];
    assert.ok(worklet, 'the app names its hashed worklet');
    assert.equal((await httpRequest(`${worker.httpUrl}/${worklet}`)).status, 200);
  });
});
