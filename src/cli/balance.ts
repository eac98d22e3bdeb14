import { parseArgs } from 'node:util';
import { createBalancerServer } from '../balancer/balancer-server.js';
import { BALANCER_SETTINGS, parseBalancerConfig } from '../config/balancer-config.js';
import { describeSettings, flagOptions } from '../config/settings.js';
import { createLogger } from '../logging/logger.js';
import { notifySystemd } from '../service/systemd-notify.js';

/** `chatterbox balance`: the load balancer. Drains on SIGTERM/SIGINT (sessions end with 1012), then exits. */
export async function balanceCommand(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`Usage: chatterbox balance [--port 6095] --backend ws://HOST:PORT [--backend ...] [options]\n\nOptions (flag, environment variable):\n${describeSettings(BALANCER_SETTINGS)}`);
    return;
  }
  const { values } = parseArgs({ args: argv, options: flagOptions(BALANCER_SETTINGS), allowPositionals: false });
  const config = parseBalancerConfig(values);
  const root = createLogger({ level: config.logLevel, format: config.logFormat, name: 'chatterbox-lb' });
  const server = await createBalancerServer(config, root);
  process.send?.({ type: 'listening', port: server.port });
  void notifySystemd({ ready: true, status: `balancing ${config.backends.length} workers on port ${server.port}` }, root);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    root.info({ component: 'balancer', signal, drainTimeoutSec: config.drainTimeoutSec }, 'draining');
    server.startDraining();
    void notifySystemd({ stopping: true, status: 'draining' }, root);
    await server.whenIdle(config.drainTimeoutSec * 1000);
    await server.close(1012);
    root.info({ component: 'balancer' }, 'stopped');
    root.flush();
    setImmediate(() => process.exit(0));
  };
  process.on('SIGTERM', () => void stop('SIGTERM').catch(exitOnStopFailure));
  process.on('SIGINT', () => void stop('SIGINT').catch(exitOnStopFailure));
}

/** A shutdown that itself failed: say so and exit non-zero rather than hang or crash on an unhandled rejection. */
function exitOnStopFailure(err: unknown): never {
  console.error('shutdown failed:', err);
  process.exit(1);
}
