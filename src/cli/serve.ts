import { parseArgs } from 'node:util';
import { describeSettings, flagOptions } from '../config/settings.js';
import { WORKER_SETTINGS, parseWorkerConfig, type WorkerConfig } from '../config/worker-config.js';
import type { EngineSpec } from '../engine/engine-spec.js';
import { createEngineHost } from '../engine/host/engine-host.js';
import { createLogger } from '../logging/logger.js';
import { createWorkerServer } from '../server/worker-server.js';
import { drainOnSignals } from '../service/drain-on-signal.js';
import { notifySystemd } from '../service/systemd-notify.js';

/** The engine a worker config asks for: Chatterbox when a model directory is set, Flite otherwise. */
export function engineSpecFor(config: WorkerConfig): EngineSpec {
  if (config.modelDir === undefined) return { kind: 'flite' };
  return {
    kind: 'chatterbox',
    modelDir: config.modelDir,
    device: config.device as 'auto',
    dtype: config.dtype as 'fp32',
    gpu: config.gpu,
    voicesDir: config.voicesDir,
    decode: config.decode as 'auto',
    fusedCacheDir: config.fusedCacheDir,
    maxBatchRequests: config.maxBatch,
    admitTokensPerSec: config.admitTokensPerSec,
    measureCapacity: config.measureCapacity === 'startup',
    chunking: {
      firstChunkTokens: config.firstChunkTokens,
      chunkTokens: config.chunkTokens,
      contextTokens: config.contextTokens,
      crossfadeMs: config.crossfadeMs,
      lookaheadTokens: config.lookaheadTokens,
    },
  };
}

/** `chatterbox serve`: one worker process (one GPU). Drains on SIGTERM/SIGINT, then exits. */
export async function serveCommand(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`Usage: chatterbox serve [options]\n\nOptions (flag, environment variable):\n${describeSettings(WORKER_SETTINGS)}`);
    return;
  }
  const { values } = parseArgs({ args: argv, options: flagOptions(WORKER_SETTINGS), allowPositionals: false });
  const config = parseWorkerConfig(values);
  const root = createLogger({ level: config.logLevel, format: config.logFormat }).child({ gpu: config.gpu });
  const logger = root.child({ component: 'worker' });
  const spec = engineSpecFor(config);
  logger.info({ engine: spec.kind, modelDir: config.modelDir }, 'loading engine');
  const engine = await createEngineHost(spec, root.child({ component: 'engine' }));
  const server = await createWorkerServer(config, engine, root);
  process.send?.({ type: 'listening', port: server.port });
  void notifySystemd({ ready: true, status: `serving (${spec.kind}) on port ${server.port}` }, logger);

  drainOnSignals(server, { drainTimeoutSec: config.drainTimeoutSec, logger });
}
