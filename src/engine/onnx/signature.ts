import type { InferenceSession } from 'onnxruntime-node';
import type { GraphName } from './model-files.js';

/** How a tensor must look: dtype family and rank. 'float' accepts float32 and float16 (fp16 exports). */
interface TensorRule {
  name: string;
  type: 'float' | 'int64';
  rank: number;
  optional?: boolean;
}

const FLOAT_TYPES = new Set(['float32', 'float16']);

/** The signatures of the real onnx-community exports (see docs), independent of variant where possible. */
const RULES: Record<GraphName, { inputs: TensorRule[]; outputs: TensorRule[] }> = {
  speech_encoder: {
    inputs: [{ name: 'audio_values', type: 'float', rank: 2 }],
    outputs: [
      { name: 'audio_features', type: 'float', rank: 3 },
      { name: 'audio_tokens', type: 'int64', rank: 2 },
      { name: 'speaker_embeddings', type: 'float', rank: 2 },
      { name: 'speaker_features', type: 'float', rank: 3 },
    ],
  },
  embed_tokens: {
    inputs: [
      { name: 'input_ids', type: 'int64', rank: 2 },
      { name: 'position_ids', type: 'int64', rank: 2, optional: true },
      { name: 'exaggeration', type: 'float', rank: 1, optional: true },
    ],
    outputs: [{ name: 'inputs_embeds', type: 'float', rank: 3 }],
  },
  language_model: {
    inputs: [
      { name: 'inputs_embeds', type: 'float', rank: 3 },
      { name: 'attention_mask', type: 'int64', rank: 2 },
      { name: 'position_ids', type: 'int64', rank: 2, optional: true },
    ],
    outputs: [{ name: 'logits', type: 'float', rank: 3 }],
  },
  conditional_decoder: {
    inputs: [
      { name: 'speech_tokens', type: 'int64', rank: 2 },
      { name: 'speaker_embeddings', type: 'float', rank: 2 },
      { name: 'speaker_features', type: 'float', rank: 3 },
    ],
    outputs: [{ name: 'waveform', type: 'float', rank: 2 }],
  },
};

/** The metadata of one session that the checks read: ORT's inputMetadata / outputMetadata. */
export interface GraphSignature {
  inputs: readonly InferenceSession.ValueMetadata[];
  outputs: readonly InferenceSession.ValueMetadata[];
}

function checkTensors(
  graph: string,
  side: 'input' | 'output',
  actual: readonly InferenceSession.ValueMetadata[],
  rules: TensorRule[],
  problems: string[],
): void {
  for (const rule of rules) {
    const found = actual.find((m) => m.name === rule.name);
    if (!found) {
      if (!rule.optional) problems.push(`${graph}: missing ${side} '${rule.name}'`);
      continue;
    }
    if (!found.isTensor) {
      problems.push(`${graph}: ${side} '${rule.name}' is not a tensor`);
      continue;
    }
    const typeOk = rule.type === 'float' ? FLOAT_TYPES.has(found.type) : found.type === rule.type;
    if (!typeOk) problems.push(`${graph}: ${side} '${rule.name}' is ${found.type}, expected ${rule.type === 'float' ? 'float32 or float16' : rule.type}`);
    if (found.shape.length !== 0 && found.shape.length !== rule.rank) {
      problems.push(`${graph}: ${side} '${rule.name}' has rank ${found.shape.length} [${found.shape.join(', ')}], expected rank ${rule.rank}`);
    }
  }
}

/** Layer count of a language model from its `past_key_values.N.key` inputs, with gaps reported. */
function checkCache(signature: GraphSignature, problems: string[]): number {
  const layers = signature.inputs.filter((m) => /^past_key_values\.\d+\.key$/.test(m.name)).length;
  if (layers === 0) problems.push("language_model: no 'past_key_values.N.key' inputs");
  for (let i = 0; i < layers; i++) {
    for (const kind of ['key', 'value']) {
      checkTensors('language_model', 'input', signature.inputs, [{ name: `past_key_values.${i}.${kind}`, type: 'float', rank: 4 }], problems);
      checkTensors('language_model', 'output', signature.outputs, [{ name: `present.${i}.${kind}`, type: 'float', rank: 4 }], problems);
    }
  }
  return layers;
}

/**
 * Checks each graph given against the export's signature and returns all mismatches (empty when the
 * model fits) plus the language model's layer count.
 */
export function checkSignatures(signatures: Partial<Record<GraphName, GraphSignature>>): { problems: string[]; layers: number } {
  const problems: string[] = [];
  for (const [graph, rules] of Object.entries(RULES) as Array<[GraphName, (typeof RULES)[GraphName]]>) {
    const signature = signatures[graph];
    if (!signature) continue;
    checkTensors(graph, 'input', signature.inputs, rules.inputs, problems);
    checkTensors(graph, 'output', signature.outputs, rules.outputs, problems);
  }
  const layers = signatures.language_model ? checkCache(signatures.language_model, problems) : 0;
  return { problems, layers };
}

/** The size of a tensor's last dimension when the graph fixes it (e.g. logits width), else undefined. */
export function lastDim(metadata: readonly InferenceSession.ValueMetadata[], name: string): number | undefined {
  const found = metadata.find((m) => m.name === name);
  if (!found?.isTensor) return undefined;
  const dim = found.shape.at(-1);
  return typeof dim === 'number' ? dim : undefined;
}

/** The element type of a tensor (e.g. 'float32', 'float16'), or undefined when absent. */
export function tensorType(metadata: readonly InferenceSession.ValueMetadata[], name: string): string | undefined {
  const found = metadata.find((m) => m.name === name);
  return found?.isTensor ? found.type : undefined;
}
