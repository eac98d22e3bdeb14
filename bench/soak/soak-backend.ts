import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/chatterbox.js', import.meta.url));

/** One backend process the soak runs: its command, the port it serves, and its current child. */
export interface SoakProcess {
  name: string;
  args: string[];
  port: number;
  child: ChildProcess | undefined;
  /** Starts so far (1 + restarts after kills). */
  starts: number;
}

/** The whole backend on loopback, as `chatterbox up` runs it: workers with the same commands, then the balancer. */
export interface SoakBackend {
  /** The balancer's stream URL. */
  url: string;
  workers: SoakProcess[];
  balancer: SoakProcess;
  /** SIGKILLs a worker and starts it again on its port once it is gone; resolves when it listens again. */
  killAndRestart(worker: SoakProcess): Promise<void>;
  /** SIGTERM to every process, then SIGKILL to any still running after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Resident set size of a process in bytes (from /proc), or undefined where it cannot be read. */
export function rssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A loopback port free now and below the ephemeral range. A killed worker restarts on its port; a port from the
 * ephemeral range (what port 0 hands out) is soon the source port of some outgoing connection and cannot be bound.
 */
async function freeFixedPort(): Promise<number> {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: keep the IANA default
  }
  for (;;) {
    const port = 10000 + Math.floor(Math.random() * Math.max(1, low - 10000));
    const probe = createServer();
    probe.listen({ host: '127.0.0.1', port, exclusive: true });
    const free = await once(probe, 'listening').then(
      () => true,
      () => false,
    );
    if (free) {
      probe.close();
      await once(probe, 'close');
      return port;
    }
  }
}

/** Forks `chatterbox <args>` and resolves with its port once it reports listening; rejects if it exits first. */
async function startProcess(proc: SoakProcess, env: NodeJS.ProcessEnv): Promise<void> {
  const child = fork(BIN, proc.args, { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  proc.child = child;
  proc.starts += 1;
  const listening = new Promise<number>((resolve, reject) => {
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message.type === 'listening' && typeof message.port === 'number') resolve(message.port);
    });
    child.once('exit', (code, signal) => reject(new Error(`${proc.name} exited (${signal ?? code}) before listening`)));
  });
  proc.port = await listening;
}

/** Starts two (or `workerCount`) Flite workers on free loopback ports and a balancer in front of them. */
export async function startSoakBackend(options: { workerCount: number; transport?: string | undefined }): Promise<SoakBackend> {
  const env: NodeJS.ProcessEnv = { ...process.env, CHATTERBOX_LOG_LEVEL: process.env.CHATTERBOX_LOG_LEVEL ?? 'error' };
  delete env.CHATTERBOX_MODEL_DIR;
  const transport = options.transport === undefined ? [] : ['--transport', options.transport];
  const workers: SoakProcess[] = [];
  for (let gpu = 0; gpu < options.workerCount; gpu++) {
    const port = await freeFixedPort();
    workers.push({
      name: `worker gpu${gpu}`,
      args: ['serve', '--host', '127.0.0.1', '--port', String(port), '--gpu', String(gpu), ...transport],
      port,
      child: undefined,
      starts: 0,
    });
  }
  const all: SoakProcess[] = [...workers];
  const stop = async (graceMs = 40_000) => {
    const running = all.map((p) => p.child).filter((c): c is ChildProcess => c !== undefined && c.exitCode === null && c.signalCode === null);
    const exits = running.map((c) => once(c, 'exit'));
    for (const c of running) c.kill('SIGTERM');
    const timer = setTimeout(() => running.forEach((c) => c.kill('SIGKILL')), graceMs);
    await Promise.all(exits);
    clearTimeout(timer);
  };
  try {
    await Promise.all(workers.map((w) => startProcess(w, env)));
    const backends = workers.flatMap((w) => ['--backend', `ws://127.0.0.1:${w.port}`]);
    const balancer: SoakProcess = {
      name: 'balancer',
      args: ['balance', '--host', '127.0.0.1', '--port', '0', ...backends, ...transport],
      port: 0,
      child: undefined,
      starts: 0,
    };
    all.push(balancer);
    await startProcess(balancer, env);
    return {
      url: `ws://127.0.0.1:${balancer.port}/v1/stream`,
      workers,
      balancer,
      async killAndRestart(worker) {
        const child = worker.child;
        if (child && child.exitCode === null && child.signalCode === null) {
          const exited = once(child, 'exit');
          child.kill('SIGKILL');
          await exited;
        }
        await startProcess(worker, env);
      },
      stop,
    };
  } catch (err) {
    await stop(5000);
    throw err;
  }
}
