import type { Engine } from './engine.js';
import type { EngineSpec } from './engine-spec.js';

/** Builds the engine a spec names, loading its model; throws TtsError when the model cannot be used. */
export async function createEngine(spec: EngineSpec): Promise<Engine> {
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
