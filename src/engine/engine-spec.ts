/** Which engine a worker runs, as plain data so it can cross into the engine thread. */
export type EngineSpec =
  | { kind: 'flite' }
  | {
      kind: 'chatterbox';
      modelDir: string;
      device: 'auto' | 'cpu' | 'cuda' | 'webgpu';
      dtype: 'fp32' | 'fp16' | 'q8' | 'q4' | 'q4f16';
      /** CUDA device id. */
      gpu: number;
      /** Directory of extra reference voices (*.wav, named by file stem). */
      voicesDir?: string | undefined;
      /** Generation loop (default 'auto': the fused decode graph where the model allows it). */
      decode?: 'auto' | 'fused' | 'step';
      /** Where the fused decode graph is cached; undefined: the user cache dir, then the temp dir. */
      fusedCacheDir?: string | undefined;
      /** Most requests sharing one fused decode run (default 8). */
      maxBatchRequests?: number;
      /** Tokens/s every running request must keep for another to be admitted; 0 admits all; -1 or absent: 25 on a GPU, 0 on CPU. */
      admitTokensPerSec?: number;
      /** Measure the fused batch's token rates at start-up (a few short batched generations) instead of only learning them. */
      measureCapacity?: boolean;
      /** Streaming chunk sizes; defaults from DEFAULT_CHUNKING for any left out. */
      chunking?: Partial<{ firstChunkTokens: number; chunkTokens: number; contextTokens: number; crossfadeMs: number; lookaheadTokens: number }>;
    };
