import ort from 'onnxruntime-node';
import { planProviders, type DeviceChoice } from './execution-provider.js';
import { GRAPH_NAMES, type GraphName, type ModelFiles } from './model-files.js';
import { sessionOptionsFor, type OutputLocations } from './session-options.js';

/** The sessions of a model's graphs that loaded, the problems of those that did not, and where they run. */
export interface LoadedSessions {
  sessions: Partial<Record<GraphName, ort.InferenceSession>>;
  problems: string[];
  device: string;
  provider: string;
  /** Why this device, for the one log line that says it. */
  reason: string;
  /** The provider configs the sessions were created with (for sessions created later on the same device). */
  providers: ort.InferenceSession.ExecutionProviderConfig[];
}

/** Creates one session on the given providers, with every graph optimisation on (see session-options.ts). */
export function createSession(
  path: string,
  providers: ort.InferenceSession.ExecutionProviderConfig[],
  outputLocations?: OutputLocations,
): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, sessionOptionsFor(providers, outputLocations));
}

async function createAll(files: ModelFiles, providers: ort.InferenceSession.ExecutionProviderConfig[], skip: readonly GraphName[]) {
  const sessions: LoadedSessions['sessions'] = {};
  const problems: string[] = [];
  for (const name of GRAPH_NAMES) {
    const file = files.graphs[name];
    if (!file || skip.includes(name)) continue;
    try {
      sessions[name] = await createSession(file.path, providers);
    } catch (err) {
      problems.push(`${name}: cannot load ${file.path}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return { sessions, problems };
}

/**
 * Creates a session for each graph file present, on the planned device. With `auto`, a CUDA failure (libraries
 * present but no usable GPU or runtime) retries on CPU, and so does `webgpu` when it cannot start (no Vulkan loader,
 * no adapter); the reason says so. Graphs in `skip` are not loaded (the caller creates them itself, e.g. inside a
 * fused graph).
 */
export async function loadSessions(files: ModelFiles, choice: DeviceChoice, gpu: number, skip: readonly GraphName[] = []): Promise<LoadedSessions> {
  const plan = planProviders(choice, gpu);
  const providerName = (p: (typeof plan.providers)[number]) => (typeof p === 'string' ? p : p.name);
  const providers = plan.providers as ort.InferenceSession.ExecutionProviderConfig[];
  const first = await createAll(files, providers, skip);
  if (first.problems.length === 0 || !plan.cpuFallback) {
    return { ...first, device: plan.device, provider: providerName(plan.providers[0]!), reason: plan.reason, providers };
  }
  await releaseAll(first.sessions);
  const onCpu = await createAll(files, ['cpu'], skip);
  const why = first.problems[0] ?? 'unknown';
  const what = choice === 'webgpu' ? 'WebGPU' : 'CUDA';
  return { ...onCpu, device: 'cpu', provider: 'cpu', reason: `${what} could not be used (${why}); using CPU`, providers: ['cpu'] };
}

/** Frees every session given. */
export async function releaseAll(sessions: LoadedSessions['sessions']): Promise<void> {
  await Promise.all(Object.values(sessions).map((s) => s.release()));
}
