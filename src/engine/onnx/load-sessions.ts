import ort from 'onnxruntime-node';
import { planProviders, type DeviceChoice } from './execution-provider.js';
import { GRAPH_NAMES, type GraphName, type ModelFiles } from './model-files.js';

/** The sessions of a model's graphs that loaded, the problems of those that did not, and where they run. */
export interface LoadedSessions {
  sessions: Partial<Record<GraphName, ort.InferenceSession>>;
  problems: string[];
  device: string;
  provider: string;
  /** Why this device, for the one log line that says it. */
  reason: string;
}

async function createAll(files: ModelFiles, providers: ort.InferenceSession.ExecutionProviderConfig[]) {
  const sessions: LoadedSessions['sessions'] = {};
  const problems: string[] = [];
  for (const name of GRAPH_NAMES) {
    const file = files.graphs[name];
    if (!file) continue;
    try {
      sessions[name] = await ort.InferenceSession.create(file.path, {
        executionProviders: providers,
        graphOptimizationLevel: 'all',
      });
    } catch (err) {
      problems.push(`${name}: cannot load ${file.path}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return { sessions, problems };
}

/**
 * Creates a session for each graph file present, on the planned device. With `auto`, a CUDA failure
 * (libraries present but no usable GPU or runtime) retries on CPU and the reason says so.
 */
export async function loadSessions(files: ModelFiles, choice: DeviceChoice, gpu: number): Promise<LoadedSessions> {
  const plan = planProviders(choice, gpu);
  const providerName = (p: (typeof plan.providers)[number]) => (typeof p === 'string' ? p : p.name);
  const first = await createAll(files, plan.providers as ort.InferenceSession.ExecutionProviderConfig[]);
  if (first.problems.length === 0 || choice !== 'auto' || plan.device === 'cpu') {
    return { ...first, device: plan.device, provider: providerName(plan.providers[0]!), reason: plan.reason };
  }
  await releaseAll(first.sessions);
  const onCpu = await createAll(files, ['cpu']);
  const why = first.problems[0] ?? 'unknown';
  return { ...onCpu, device: 'cpu', provider: 'cpu', reason: `CUDA could not be used (${why}); using CPU` };
}

/** Frees every session given. */
export async function releaseAll(sessions: LoadedSessions['sessions']): Promise<void> {
  await Promise.all(Object.values(sessions).map((s) => s.release()));
}
