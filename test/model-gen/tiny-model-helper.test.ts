import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';

import { ensureTinyModel } from '../helpers/tiny-model.js';

const run = promisify(execFile);
const helper = fileURLToPath(new URL('../helpers/tiny-model.js', import.meta.url));

test('two processes racing for the same tiny model both get one complete directory', async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'model-gen-race-'));
  t.after(() => rm(cwd, { recursive: true, force: true }));
  const script = [
    `const { ensureTinyModel } = await import(${JSON.stringify(helper)});`,
    `process.stdout.write(await ensureTinyModel({ variant: 'turbo' }));`,
  ].join('\n');
  const [a, b] = await Promise.all([0, 1].map(() => run(process.execPath, ['--input-type=module', '-e', script], { cwd })));
  assert.equal(a!.stdout, b!.stdout);
  assert.ok(a!.stdout.startsWith(join(cwd, '.cache', 'models')));
  assert.ok(existsSync(join(a!.stdout, 'onnx', 'language_model.onnx')));
  const leftovers = (await readdir(join(cwd, '.cache', 'models'))).filter((name) => name.startsWith('.'));
  assert.deepEqual(leftovers, [], 'temporary directories are cleaned up');
});

test('calls in one process share the work', async () => {
  const [a, b] = await Promise.all([0, 1].map(() => ensureTinyModel({ plainTokenizer: true })));
  assert.equal(a, b);
  assert.notEqual(a, await ensureTinyModel());
});
