import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The four graphs of a Chatterbox export, by file stem under `onnx/`. */
export const GRAPH_NAMES = ['speech_encoder', 'embed_tokens', 'language_model', 'conditional_decoder'] as const;
export type GraphName = (typeof GRAPH_NAMES)[number];

/** The weight precisions an onnx-community export may ship. */
export const MODEL_DTYPES = ['fp32', 'fp16', 'q8', 'q4', 'q4f16'] as const;
export type ModelDtype = (typeof MODEL_DTYPES)[number];

/** File-name suffix of each dtype variant in the onnx-community layout. */
export const DTYPE_SUFFIX: Record<ModelDtype, string> = { fp32: '', fp16: '_fp16', q8: '_quantized', q4: '_q4', q4f16: '_q4f16' };

/** Where each part of a model directory is, and which dtype each graph was found in (absent graphs are missing). */
export interface ModelFiles {
  graphs: Partial<Record<GraphName, { path: string; dtype: ModelDtype }>>;
  tokenizer: string | undefined;
  defaultVoice: string | undefined;
  generationConfig: string | undefined;
}

/**
 * Finds a model directory's files for `dtype`. A graph without that variant falls back to fp32 (exports
 * often quantize only the language model). Returns every problem found rather than stopping at the first.
 */
export function findModelFiles(dir: string, dtype: ModelDtype): { files: ModelFiles; problems: string[] } {
  const problems: string[] = [];
  const graphs: ModelFiles['graphs'] = {};
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    return { files: { graphs, tokenizer: undefined, defaultVoice: undefined, generationConfig: undefined }, problems: [`${dir} is not a directory`] };
  }
  for (const name of GRAPH_NAMES) {
    const wanted = join(dir, 'onnx', `${name}${DTYPE_SUFFIX[dtype]}.onnx`);
    const fallback = join(dir, 'onnx', `${name}.onnx`);
    if (existsSync(wanted)) graphs[name] = { path: wanted, dtype };
    else if (existsSync(fallback)) graphs[name] = { path: fallback, dtype: 'fp32' };
    else problems.push(`missing onnx/${name}${DTYPE_SUFFIX[dtype]}.onnx${dtype === 'fp32' ? '' : ` (and onnx/${name}.onnx)`}`);
  }
  const present = (file: string) => (existsSync(join(dir, file)) ? join(dir, file) : undefined);
  const tokenizer = present('tokenizer.json');
  if (!tokenizer) problems.push('missing tokenizer.json');
  return { files: { graphs, tokenizer, defaultVoice: present('default_voice.wav'), generationConfig: present('generation_config.json') }, problems };
}
