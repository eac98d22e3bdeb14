// The session options each device gets: on WebGPU the step loop's KV cache stays on the GPU and logits come back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstProvider, sessionOptionsFor, stepCacheLocations } from '../../../src/engine/onnx/session-options.js';

const LM_OUTPUTS = ['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value'];

describe('stepCacheLocations', () => {
  it('on WebGPU: every present.* on the GPU, logits on the CPU, nothing else named', () => {
    assert.deepEqual(stepCacheLocations(['webgpu', 'cpu'], LM_OUTPUTS), {
      logits: 'cpu',
      'present.0.key': 'gpu-buffer',
      'present.0.value': 'gpu-buffer',
      'present.1.key': 'gpu-buffer',
      'present.1.value': 'gpu-buffer',
    });
  });

  it('on CPU and CUDA (and WebGPU after its fallback to CPU): none, every output comes to the host', () => {
    assert.equal(stepCacheLocations(['cpu'], LM_OUTPUTS), undefined);
    assert.equal(stepCacheLocations([{ name: 'cuda', deviceId: 0 }, 'cpu'], LM_OUTPUTS), undefined);
    assert.equal(stepCacheLocations([], LM_OUTPUTS), undefined);
  });
});

describe('sessionOptionsFor', () => {
  it('sets the providers, full optimisation, and the output locations when given', () => {
    const locations = stepCacheLocations(['webgpu', 'cpu'], LM_OUTPUTS);
    assert.deepEqual(sessionOptionsFor(['webgpu', 'cpu'], locations), {
      executionProviders: ['webgpu', 'cpu'],
      graphOptimizationLevel: 'all',
      preferredOutputLocation: locations,
    });
    assert.deepEqual(sessionOptionsFor(['cpu']), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  });

  it('names the first provider', () => {
    assert.equal(firstProvider([{ name: 'webgpu' }, 'cpu']), 'webgpu');
    assert.equal(firstProvider(['cpu']), 'cpu');
    assert.equal(firstProvider([]), 'cpu');
  });
});
