import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// The dependency arrows between the parts, read from the sources: the balancer runs on a box without
// onnxruntime, so nothing it loads may reach the engine; clients ship alone, so they take only protocol and audio.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Module specifiers a TypeScript file imports: static imports and re-exports (type-only ones too), and literal dynamic imports. */
function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const patterns = [/^\s*(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gm, /^\s*import\s*['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) specifiers.push(match[1]!);
  return specifiers;
}

/** Every file reachable from `entries` through relative imports, with the chain that reached it; bare specifiers are collected as leaves. */
function importGraph(entries: string[]): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  const queue = entries.map((file) => [file]);
  while (queue.length > 0) {
    const chain = queue.shift()!;
    const file = chain.at(-1)!;
    if (chains.has(file)) continue;
    chains.set(file, chain);
    if (!file.endsWith('.ts')) continue;
    for (const specifier of importsOf(readFileSync(join(ROOT, file), 'utf8'))) {
      // NodeNext: relative imports name the compiled .js; the source is the .ts beside it.
      const target = specifier.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), specifier)).replace(/\.js$/, '.ts') : specifier;
      queue.push([...chain, target]);
    }
  }
  return chains;
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Reached files or packages that `allowed` rejects, each shown with the import chain that reached it. */
function violations(entries: string[], allowed: (target: string) => boolean): string[] {
  return [...importGraph(entries)].filter(([target]) => !allowed(target)).map(([, chain]) => chain.join(' → '));
}

describe('import arrows', () => {
  it('the parser sees every form of import', () => {
    const source = [
      "import a from 'pkg-a';",
      "import type { B } from './b.js';",
      "import {\n  c,\n  d,\n} from '../c.js';",
      "export { e } from './e.js';",
      "export * from 'pkg-f';",
      "import 'side-effect';",
      "const g = await import('./g.js');",
      "// from 'not-an-import' in a comment line without import keyword",
    ].join('\n');
    assert.deepEqual(importsOf(source).sort(), ['../c.js', './b.js', './e.js', './g.js', 'pkg-a', 'pkg-f', 'side-effect'].sort());
  });

  it('the checker catches an arrow into the engine: the worker server, which must import it, is flagged', () => {
    const found = violations(['src/cli/serve.ts'], (target) => !target.startsWith('src/engine/'));
    assert.ok(found.length > 0, 'serve.ts reaches the engine; a checker that misses it proves nothing');
  });

  it('the balancer never reaches src/engine or onnxruntime-node', () => {
    const entries = [...tsFiles('src/balancer'), 'src/cli/balance.ts'];
    assert.ok(entries.includes('src/balancer/balancer-server.ts'));
    const found = violations(entries, (target) => !target.startsWith('src/engine/') && !target.startsWith('src/server/') && !target.startsWith('onnxruntime'));
    assert.deepEqual(found, []);
    const reached = [...importGraph(entries).keys()];
    assert.ok(reached.includes('src/protocol/codec.ts') && reached.includes('uWebSockets.js'), 'the walk follows imports');
  });

  it('clients import only src/protocol and src/audio of this repo', () => {
    const entries = tsFiles('client');
    assert.ok(entries.includes('client/node/tts-client.ts'));
    const found = violations(entries, (target) => {
      if (target.startsWith('client/')) return true;
      if (target.startsWith('src/')) return target.startsWith('src/protocol/') || target.startsWith('src/audio/');
      return !target.startsWith('.') && !target.startsWith('onnxruntime') && !target.startsWith('uWebSockets');
    });
    assert.deepEqual(found, []);
  });

  it('the engine reaches nothing of the worker, the balancer or the transport', () => {
    const entries = tsFiles('src/engine');
    assert.ok(entries.includes('src/engine/chatterbox/chatterbox-engine.ts'));
    const outside = (target: string) => ['src/server/', 'src/balancer/', 'src/transport/', 'client/'].some((dir) => target.startsWith(dir));
    assert.ok(
      violations(['src/server/worker-server.ts'], (target) => !outside(target) || target === 'src/server/worker-server.ts').length > 0,
      'the check sees the worker reach the transport',
    );
    assert.deepEqual(
      violations(entries, (target) => !outside(target)),
      [],
    );
  });

  it('the protocol is web-standard: no node: module, no package but msgpackr, nothing else of this repo', () => {
    const entries = tsFiles('src/protocol');
    assert.ok(entries.includes('src/protocol/codec.ts'));
    const allowed = (target: string) => target.startsWith('src/protocol/') || target === 'msgpackr';
    assert.ok(
      violations(['src/server/tts-route.ts'], allowed).some((chain) => / → node:/.test(chain)),
      'the check sees a node: import',
    );
    assert.deepEqual(violations(entries, allowed), []);
  });

  it('only src/transport/ imports uWebSockets.js, and the check can fail', () => {
    const importers = (files: string[], allowedDir: string) =>
      files.filter((file) => !file.startsWith(allowedDir) && importsOf(readFileSync(join(ROOT, file), 'utf8')).includes('uWebSockets.js'));
    const files = [...tsFiles('src'), ...tsFiles('client'), ...tsFiles('bench'), ...tsFiles('test')].filter((f) => f !== 'test/architecture.test.ts');
    assert.ok(importers(files, 'src/server/').includes('src/transport/uws/uws-transport.ts'), 'the check sees the adapter’s own import');
    assert.deepEqual(importers(files, 'src/transport/'), []);
  });

  it('uWebSockets.js is imported for its types only, so loading the project never loads it (its entry point warns on Node 22+)', () => {
    const valueImport =
      /^\s*import\s+(?!type\b)[^'"]*\bfrom\s*['"]uWebSockets\.js['"]|\bimport\(\s*['"]uWebSockets\.js['"]\s*\)|require\(\s*['"]uWebSockets\.js['"]\s*\)/m;
    assert.ok(
      valueImport.test("import uWS from 'uWebSockets.js';") && !valueImport.test("import type uWS from 'uWebSockets.js';"),
      'the pattern tells them apart',
    );
    const found = [...tsFiles('src'), ...tsFiles('test'), ...tsFiles('bench')].filter((file) => valueImport.test(readFileSync(join(ROOT, file), 'utf8')));
    assert.deepEqual(found, []);
  });
});
