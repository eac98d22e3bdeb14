// `npm run make-model -- --size tiny|full --variant english|turbo --out DIR [options]`: generates a model directory
// and prints what it wrote and how long it took.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

import { parseMakeModelArgs } from './cli-args.js';
import { makeModel } from './make-model.js';
import type { MakeModelOptions } from './make-model.js';

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)]));
}

async function main(): Promise<void> {
  let options: MakeModelOptions;
  try {
    options = parseMakeModelArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  await makeModel(options);
  const seconds = (performance.now() - started) / 1000;
  let total = 0;
  for (const file of listFiles(options.outDir).sort()) {
    const bytes = statSync(file).size;
    total += bytes;
    process.stdout.write(`${(bytes / 1e6).toFixed(2).padStart(10)} MB  ${relative(options.outDir, file)}\n`);
  }
  process.stdout.write(`${(total / 1e6).toFixed(2).padStart(10)} MB  total, made in ${seconds.toFixed(2)} s\n`);
}

await main();
