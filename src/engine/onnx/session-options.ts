// Session options per device. On WebGPU the step loop's language model leaves its `present.*` outputs on the GPU
// ('gpu-buffer'): they only go back in as the next step's `past_key_values.*`, so the KV cache never crosses to the
// host; `logits` come to the CPU, where the sampler reads them. onnxruntime-node 1.30 honours
// `preferredOutputLocation` for its bundled WebGPU provider only; the names must be the graph's output names.
import type ort from 'onnxruntime-node';

/** Where one output is left after a run. */
export type OutputLocation = 'cpu' | 'gpu-buffer';

/** Output locations by output name; outputs not named stay on the CPU. */
export type OutputLocations = Record<string, OutputLocation>;

/** Provider configs as InferenceSession.create takes them. */
export type Providers = ort.InferenceSession.ExecutionProviderConfig[];

/** The provider a session tries first ('cpu' when none is named). */
export function firstProvider(providers: Providers): string {
  const first = providers[0];
  return first === undefined ? 'cpu' : typeof first === 'string' ? first : first.name;
}

/**
 * Where the step loop's language model leaves its outputs on `providers`: on WebGPU every `present.*` on the GPU and
 * everything else (logits) on the CPU; undefined elsewhere (CPU and CUDA return every output to the host).
 */
export function stepCacheLocations(providers: Providers, outputNames: readonly string[]): OutputLocations | undefined {
  if (firstProvider(providers) !== 'webgpu') return undefined;
  return Object.fromEntries(outputNames.map((name) => [name, name.startsWith('present.') ? 'gpu-buffer' : 'cpu']));
}

/** The options every session is created with: the providers, every graph optimisation, and output locations if any. */
export function sessionOptionsFor(providers: Providers, outputLocations?: OutputLocations): ort.InferenceSession.SessionOptions {
  const options: ort.InferenceSession.SessionOptions = { executionProviders: providers, graphOptimizationLevel: 'all' };
  if (outputLocations !== undefined) options.preferredOutputLocation = outputLocations;
  return options;
}
