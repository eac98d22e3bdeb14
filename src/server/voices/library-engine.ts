import type { EngineInfo } from '../../engine/engine.js';
import type { HostedEngine } from '../../engine/host/engine-host.js';
import type { VoiceStore } from './voice-store.js';

/**
 * The engine as requests see it once a voice library is attached: `info.voices` lists the engine's own voices plus
 * whatever the library holds now (read on each call, so uploads by any worker sharing the directory count at once),
 * and `info.voiceDefaults` gives each stored voice's default parameters.
 */
export function withVoiceLibrary(engine: HostedEngine, store: VoiceStore): HostedEngine {
  const storedAtStart = new Set(store.names());
  let builtIn: string[] | undefined;
  return {
    get info(): EngineInfo {
      const info = engine.info;
      // The engine listed the directory when it loaded; its own voices are the rest (the model's default voice).
      builtIn ??= info.voices.filter((name) => !storedAtStart.has(name));
      const own = builtIn;
      const stored = store.names().filter((name) => !own.includes(name));
      return { ...info, voices: [...own, ...stored], voiceDefaults: (voice) => store.paramsOf(voice) };
    },
    get state() {
      return engine.state;
    },
    get restarts() {
      return engine.restarts;
    },
    get capacity() {
      return engine.capacity;
    },
    onCapacityChange: (listener) => engine.onCapacityChange(listener),
    synthesize: (request, signal) => engine.synthesize(request, signal),
    forgetVoice: (name) => engine.forgetVoice?.(name),
    close: () => engine.close(),
  };
}

/** The voices the engine brings itself (not in the library), which cannot be replaced or deleted. */
export function builtInVoices(info: EngineInfo, store: VoiceStore | undefined): string[] {
  if (!store) return info.voices;
  const stored = new Set(store.names());
  return info.voices.filter((name) => !stored.has(name));
}
