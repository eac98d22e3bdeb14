import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { createChatterboxEngine } from '../../../src/engine/chatterbox/chatterbox-engine.js';
import { createDefaultVoice, encodeWav16 } from '../../../src/model-gen/default-voice.js';
import { ensureTinyModel } from '../../helpers/tiny-model.js';
import { runEngineContract } from '../contract.js';

runEngineContract('chatterbox, tiny English model', async () =>
  createChatterboxEngine({ kind: 'chatterbox', modelDir: await ensureTinyModel(), device: 'cpu', dtype: 'fp32', gpu: 0 }),
);

// Turbo ships no default voice: the engine's default is the first WAV of the voices directory.
const voicesDir = mkdtemp(join(tmpdir(), 'turbo-voices-')).then(async (dir) => {
  await writeFile(join(dir, 'narrator.wav'), encodeWav16(createDefaultVoice(3)));
  return dir;
});
after(async () => rm(await voicesDir, { recursive: true, force: true }));

runEngineContract('chatterbox, tiny Turbo model with a voices directory', async () =>
  createChatterboxEngine({
    kind: 'chatterbox',
    modelDir: await ensureTinyModel({ variant: 'turbo' }),
    device: 'cpu',
    dtype: 'fp32',
    gpu: 0,
    voicesDir: await voicesDir,
  }),
);
