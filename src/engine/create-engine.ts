import type { Engine } from './engine.js';
import type { EngineSpec } from './engine-spec.js';
import { withTempo } from './tempo-engine.js';

/**
 * Builds the engine a spec names, loading its model, with `params.speed` over the full range (see withTempo);
 * throws TtsError when the model cannot be used.
 */
export async function createEngine(spec: EngineSpec): Promise<Engine> {
  return withTempo(await createBareEngine(spec));
}

async function createBareEngine(spec: EngineSpec): Promise<Engine> {
  switch (spec.kind) {
    case 'flite': {
      const { createFliteEngine } = await import('./flite/flite-engine.js');
      return createFliteEngine();
    }
    case 'chatterbox': {
      const { createChatterboxEngine } = await import('./chatterbox/chatterbox-engine.js');
      return createChatterboxEngine(spec);
    }
  }
}
