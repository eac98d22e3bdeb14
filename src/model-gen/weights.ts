// Random initializers on a graph, generated only when the model is written (see random.ts for the streams).
import type { GraphBuilder } from './onnx-builder.js';
import { randomTensor } from './random.js';

/** A float32 initializer drawn from the (seed, name) stream with standard deviation `std` around `mean`. */
export function randomWeight(g: GraphBuilder, seed: number, name: string, dims: number[], std: number, mean = 0) {
  const count = dims.reduce((a, b) => a * b, 1);
  return g.weight(name, 'float32', dims, () => randomTensor(seed, name, count, std, mean));
}

/** x · W for a random W [inputs, outputs] of spread gain/√inputs (variance-preserving at gain 1). */
export function randomLinear(
  g: GraphBuilder,
  seed: number,
  x: string,
  name: string,
  shape: [inputs: number, outputs: number],
  gain = 1,
  output?: string,
): string {
  const weight = randomWeight(g, seed, name, shape, gain / Math.sqrt(shape[0]));
  return g.op('MatMul', [x, weight], {}, output);
}
