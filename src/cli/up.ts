import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TtsError } from '../protocol/errors.js';
import { parseIntegerFlag } from './usage-error.js';

const BIN = fileURLToPath(new URL('../../../bin/chatterbox.js', import.meta.url));

const HELP = `Usage: chatterbox up [--workers 2] [--worker-port 6093] [--port 6095] [--transport auto|uws|node]

Runs the whole backend on this machine without systemd, with the same commands the units run:
worker N as 'chatterbox serve --host 127.0.0.1 --port (6093+N, skipping 6095) --gpu N', and the balancer as
'chatterbox balance --port 6095 --backend ws://127.0.0.1:6093 ...'. CHATTERBOX_* variables apply to
all of them (CHATTERBOX_MODEL_DIR selects the Chatterbox model; without it the embedded voice speaks);
--transport is passed to every process.
A process that dies is restarted after 10 s, at most 5 times in 10 minutes, as under systemd.
Ctrl-C drains and stops everything.`;

/** Restart policy of the units: Restart=always, RestartSec=10, StartLimitBurst=5 in StartLimitIntervalSec=600. */
const RESTART = { delayMs: 10_000, burst: 5, windowMs: 600_000 };

interface Managed {
  name: string;
  args: string[];
  child: ChildProcess | undefined;
  starts: number[];
}

function start(proc: Managed, onListening: () => void, stopping: () => boolean): void {
  proc.starts = [...proc.starts.filter((t) => Date.now() - t < RESTART.windowMs), Date.now()];
  const child = fork(BIN, proc.args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  proc.child = child;
  child.on('message', (message: { type?: string }) => {
    if (message.type === 'listening') onListening();
  });
  child.on('exit', (code, signal) => {
    proc.child = undefined;
    if (stopping()) return;
    if (proc.starts.length >= RESTART.burst) {
      console.error(`[up] ${proc.name} exited (${signal ?? code}) ${RESTART.burst} times in ${RESTART.windowMs / 60_000} min; not restarting it`);
      return;
    }
    console.error(`[up] ${proc.name} exited (${signal ?? code}); restarting in ${RESTART.delayMs / 1000} s`);
    setTimeout(() => {
      if (!stopping()) start(proc, () => undefined, stopping);
    }, RESTART.delayMs).unref();
  });
}

function startAndWait(proc: Managed, stopping: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    start(proc, resolve, stopping);
    proc.child?.once('exit', (code) => reject(new TtsError('INTERNAL', `${proc.name} exited with ${code} while starting`)));
  });
}

/** Worker ports counting up from `first`, skipping the balancer's (6093, 6094, 6096, … as the units number them). */
export function workerPorts(count: number, first: number, balancerPort: number): number[] {
  const ports: number[] = [];
  for (let port = first; ports.length < count; port++) if (port !== balancerPort) ports.push(port);
  return ports;
}

/** `chatterbox up` (`npm start`): workers and balancer as child processes, stopped together. */
export async function upCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      workers: { type: 'string', default: '2' },
      'worker-port': { type: 'string', default: '6093' },
      port: { type: 'string', default: '6095' },
      transport: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const workers = parseIntegerFlag('--workers', values.workers, 1, 1024);
  const workerPort = parseIntegerFlag('--worker-port', values['worker-port'], 1, 65535);
  parseIntegerFlag('--port', values.port, 1, 65535);
  let stopping = false;
  const isStopping = () => stopping;
  const ports = workerPorts(workers, workerPort, Number(values.port));
  const transport = values.transport === undefined ? [] : ['--transport', values.transport];
  const procs: Managed[] = ports.map((port, gpu) => ({
    name: `worker gpu${gpu}`,
    args: ['serve', '--host', '127.0.0.1', '--port', String(port), '--gpu', String(gpu), ...transport],
    child: undefined,
    starts: [],
  }));
  const backends = ports.flatMap((port) => ['--backend', `ws://127.0.0.1:${port}`]);
  const balancer: Managed = { name: 'balancer', args: ['balance', '--port', values.port, ...backends, ...transport], child: undefined, starts: [] };

  const stopAll = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.error(`[up] ${signal}: draining and stopping`);
    for (const proc of [balancer, ...procs]) proc.child?.kill('SIGTERM');
  };
  process.on('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));

  try {
    await Promise.all(procs.map((p) => startAndWait(p, isStopping)));
    await startAndWait(balancer, isStopping);
  } catch (err) {
    // One process failed to start: stop the others rather than leave them holding GPUs and ports.
    stopping = true;
    for (const proc of [balancer, ...procs]) proc.child?.kill('SIGTERM');
    throw err;
  }
  console.error(`[up] backend ready: ws://127.0.0.1:${values.port}/v1/stream, http://127.0.0.1:${values.port}/health, /lb-stats; Ctrl-C stops it`);
}
