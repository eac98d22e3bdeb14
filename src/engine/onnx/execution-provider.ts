import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The values of `--device`. */
export const DEVICE_CHOICES = ['auto', 'cpu', 'cuda', 'webgpu'] as const;
export type DeviceChoice = (typeof DEVICE_CHOICES)[number];

/** The execution providers to try, in order, and why. */
export interface ProviderPlan {
  /** Provider configs for InferenceSession.create, first choice first; CPU last, except for an explicit 'cuda', which fails rather than run on CPU. */
  providers: Array<string | { name: 'cuda'; deviceId: number }>;
  /** e.g. 'cuda:0', 'cpu', 'webgpu'. */
  device: string;
  /** One sentence for the log: why this device. */
  reason: string;
  /** Whether sessions that cannot start on the device are created on the CPU instead (auto and webgpu). */
  cpuFallback: boolean;
}

/** True when onnxruntime-node's CUDA provider library was installed (npm run install-cuda). */
export function cudaProviderInstalled(): boolean {
  const binding = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
  const binRoot = join(binding, '..', 'bin');
  if (!existsSync(binRoot)) return false;
  const search = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((entry) =>
      entry.isDirectory() ? search(join(dir, entry.name)) : entry.name.startsWith('libonnxruntime_providers_cuda'),
    );
  return search(binRoot);
}

/** Chooses providers for a device setting; `auto` prefers CUDA when its libraries are present. */
export function planProviders(choice: DeviceChoice, gpu: number, hasCuda: () => boolean = cudaProviderInstalled): ProviderPlan {
  switch (choice) {
    case 'cpu':
      return { providers: ['cpu'], device: 'cpu', reason: 'device cpu was requested', cpuFallback: false };
    case 'webgpu':
      // onnxruntime-node's bundled WebGPU provider (Dawn over Vulkan) picks the first adapter; it cannot be chosen by index.
      return { providers: ['webgpu', 'cpu'], device: 'webgpu', reason: 'device webgpu was requested (experimental)', cpuFallback: true };
    case 'cuda':
      return { providers: [{ name: 'cuda', deviceId: gpu }], device: `cuda:${gpu}`, reason: 'device cuda was requested', cpuFallback: false };
    case 'auto':
      if (hasCuda())
        return {
          providers: [{ name: 'cuda', deviceId: gpu }, 'cpu'],
          device: `cuda:${gpu}`,
          reason: 'CUDA provider libraries are installed',
          cpuFallback: true,
        };
      return {
        providers: ['cpu'],
        device: 'cpu',
        reason: 'CUDA provider libraries are not installed (run npm run install-cuda on a GPU host); using CPU',
        cpuFallback: false,
      };
  }
}
