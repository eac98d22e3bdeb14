// The browser code may import only web-standard modules: src/protocol, src/audio, client/shared, its own files, msgpackr,
// and opus-decoder (libopus in WebAssembly, for the Opus option).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ALLOWED_DIRS = ['client/browser', 'client/shared', 'src/protocol', 'src/audio'];
const ALLOWED_PACKAGES = ['msgpackr', 'opus-decoder'];

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => (m[1] ?? m[2])!);
}

describe('browser code dependencies', () => {
  it('reach only client/browser, src/protocol, src/audio, msgpackr and opus-decoder, never node:', () => {
    const queue = readdirSync(join(ROOT, 'client/browser'))
      .filter((name) => name.endsWith('.ts'))
      .map((name) => join(ROOT, 'client/browser', name));
    assert.ok(queue.length >= 5, `found the browser sources (${queue.length})`);
    const seen = new Set<string>();
    const problems: string[] = [];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const specifier of importsOf(file)) {
        const from = relative(ROOT, file);
        if (!specifier.startsWith('.')) {
          if (!ALLOWED_PACKAGES.includes(specifier)) problems.push(`${from} imports '${specifier}'`);
          continue;
        }
        const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
        const dir = relative(ROOT, dirname(target));
        if (!ALLOWED_DIRS.includes(dir)) problems.push(`${from} imports ${relative(ROOT, target)}`);
        else queue.push(target);
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(
      [...seen].some((f) => f.includes('src/protocol/codec.ts')),
      'the walk followed imports into src/protocol',
    );
  });
});
