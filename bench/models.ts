import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { makeModel, MODEL_GEN_VERSION, type ModelDtype } from '../src/model-gen/make-model.js';
import type { ModelSize } from '../src/model-gen/sizes.js';

/** A generated English model for benchmarks under .cache/models, made once and reused (full size is ~2 GB). */
export async function ensureBenchModel(size: ModelSize, dtype: ModelDtype): Promise<string> {
  const dir = resolve('.cache', 'models', `bench-${size}-english-${dtype}-v${MODEL_GEN_VERSION}`);
  if (existsSync(join(dir, 'model-gen.json'))) return dir;
  const temp = `${dir}.tmp-${process.pid}`;
  const t0 = performance.now();
  await makeModel({ size, variant: 'english', dtype, outDir: temp });
  await rm(dir, { recursive: true, force: true });
  await rename(temp, dir);
  console.log(`generated ${size} ${dtype} model in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${dir}`);
  return dir;
}
