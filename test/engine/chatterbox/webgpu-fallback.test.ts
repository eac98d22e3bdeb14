// `--device webgpu` where WebGPU cannot start (here: the Vulkan loader is pointed at a driver that does not exist, so
// no adapter is found on any machine) runs on the CPU instead, and says why in the engine's details, which the
// `engine ready` log line carries; the step loop and the fused graph give the tokens they give on the CPU.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createChatterboxEngine } from '../../../src/engine/chatterbox/chatterbox-engine.js';
import { loadChatterboxModel } from '../../../src/engine/chatterbox/chatterbox-model.js';
import { createVoiceBank, listVoiceFiles } from '../../../src/engine/chatterbox/voice-bank.js';
import { generationFor, tokensOf } from '../../helpers/chatterbox.js';
import { ensureTinyModel } from '../../helpers/tiny-model.js';

// Read by the Vulkan loader when onnxruntime's WebGPU provider first starts Dawn, which happens after this line.
process.env.VK_DRIVER_FILES = '/nonexistent/vulkan-driver.json';
process.env.VK_ICD_FILENAMES = '/nonexistent/vulkan-driver.json';

async function greedyTokens(dir: string, device: 'cpu' | 'webgpu', decode: 'step' | 'fused') {
  const model = await loadChatterboxModel(dir, { dtype: 'fp32', device, gpu: 0, decode });
  try {
    const voices = createVoiceBank(model.sessions.speech_encoder, listVoiceFiles(model.files.defaultVoice, undefined));
    const tiny = { dir, model, voices, voice: await voices.get(voices.defaultVoice) };
    const tokens = await tokensOf(tiny, generationFor(tiny, 'No adapter here.', { seed: 3, temperature: 0, cfg_weight: 0.5 }));
    return { tokens, device: model.device, provider: model.provider, reason: model.deviceReason, decode: model.decode.mode };
  } finally {
    await model.release();
  }
}

describe('device webgpu without a usable adapter', () => {
  for (const decode of ['step', 'fused'] as const) {
    it(`falls back to the CPU with the reason, and gives the CPU's tokens (${decode})`, async () => {
      const dir = await ensureTinyModel();
      const onWebgpu = await greedyTokens(dir, 'webgpu', decode);
      assert.equal(onWebgpu.device, 'cpu');
      assert.equal(onWebgpu.provider, 'cpu');
      assert.equal(onWebgpu.decode, decode);
      assert.match(onWebgpu.reason, /^WebGPU could not be used \(.*\); using CPU$/u);
      const onCpu = await greedyTokens(dir, 'cpu', decode);
      assert.ok(onCpu.tokens.length > 20);
      assert.deepEqual(onWebgpu.tokens, onCpu.tokens);
    });
  }

  it("puts the fallback into the engine's details for the `engine ready` log line", async () => {
    const engine = await createChatterboxEngine({ kind: 'chatterbox', modelDir: await ensureTinyModel(), device: 'webgpu', dtype: 'fp32', gpu: 0 });
    try {
      assert.equal(engine.info.device, 'cpu');
      assert.equal(engine.info.details?.provider, 'cpu');
      assert.match(String(engine.info.details?.deviceReason), /WebGPU could not be used/u);
    } finally {
      await engine.close();
    }
  });
});
