import type ort from 'onnxruntime-node';
import { createSession } from '../../onnx/load-sessions.js';
import type { FusedLayout } from './decode-graph.js';
import { prepareFusedModelFile, type FusedModelSource } from './fused-model-file.js';

/** How generation runs: the fused decode graph, the step loop, or the fused graph when the model allows it. */
export type DecodeMode = 'fused' | 'step' | 'auto';

/** A loaded fused decode graph: the one session holding the language model's weights. */
export interface FusedDecoder {
  session: ort.InferenceSession;
  layout: FusedLayout;
  /** The cached model file the session was created from. */
  path: string;
  /** True when the file came from the cache rather than being built at this start. */
  reused: boolean;
}

/**
 * Builds (or reuses) the fused model for a model's embed_tokens and language_model files and creates its session.
 * Throws UnwrappableModelError when the graphs cannot be wrapped, or onnxruntime's error when it rejects the result.
 */
export async function loadFusedDecoder(source: FusedModelSource, providers: ort.InferenceSession.ExecutionProviderConfig[]): Promise<FusedDecoder> {
  const file = prepareFusedModelFile(source);
  const session = await createSession(file.path, providers);
  return { session, layout: file.layout, path: file.path, reused: file.reused };
}
