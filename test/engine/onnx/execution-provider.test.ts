import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cudaProviderInstalled, planProviders, type DeviceChoice, type ProviderPlan } from '../../../src/engine/onnx/execution-provider.js';

const never = () => {
  throw new Error('hasCuda must only be asked for device auto');
};

describe('planProviders', () => {
  const cases: Array<[string, DeviceChoice, number, () => boolean, Omit<ProviderPlan, 'reason'>, RegExp]> = [
    [
      'auto with the CUDA libraries',
      'auto',
      1,
      () => true,
      { providers: [{ name: 'cuda', deviceId: 1 }, 'cpu'], device: 'cuda:1', cpuFallback: true },
      /CUDA provider libraries are installed/u,
    ],
    ['auto without them', 'auto', 1, () => false, { providers: ['cpu'], device: 'cpu', cpuFallback: false }, /not installed.*npm run install-cuda.*using CPU/u],
    ['cpu', 'cpu', 0, never, { providers: ['cpu'], device: 'cpu', cpuFallback: false }, /cpu was requested/u],
    // An explicit cuda has no CPU retry: a host without a usable GPU fails loudly instead of running slowly.
    ['cuda', 'cuda', 3, never, { providers: [{ name: 'cuda', deviceId: 3 }], device: 'cuda:3', cpuFallback: false }, /cuda was requested/u],
    // WebGPU falls back to CPU when it cannot start: a missing Vulkan loader or adapter is common and not fatal.
    ['webgpu', 'webgpu', 0, never, { providers: ['webgpu', 'cpu'], device: 'webgpu', cpuFallback: true }, /webgpu was requested \(experimental\)/u],
  ];
  for (const [name, choice, gpu, hasCuda, expected, reason] of cases) {
    it(name, () => {
      const { reason: why, ...plan } = planProviders(choice, gpu, hasCuda);
      assert.deepEqual(plan, expected);
      assert.match(why, reason);
    });
  }

  it('auto asks the real library check by default, and agrees with it', () => {
    const installed = cudaProviderInstalled();
    assert.equal(typeof installed, 'boolean');
    assert.equal(planProviders('auto', 0).device, installed ? 'cuda:0' : 'cpu');
  });
});
