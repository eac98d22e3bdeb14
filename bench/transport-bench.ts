import type { ChildProcess } from 'node:child_process';
import { loadNativeUws } from '../src/transport/uws/load-uws.js';
import { measurePaths, printPathTable, setupLine, startBalancer, startBenchWorkers, type Path, type PathResult } from './balancer-bench.js';
import { printTable, quantile } from './stats.js';

// What each transport adapter costs: one balancer per adapter over the same two workers, measured by the
// balancer bench's workload in one run, against talking to a worker directly.

/** `npm run bench -- transport`: the uws and node adapters side by side in the balancer. */
export async function benchTransport(): Promise<void> {
  const uws = loadNativeUws();
  const adapters = uws.ok ? ['uws', 'node'] : ['node'];
  if (!uws.ok) console.log(`\nuws cannot load here (${uws.reason}); measuring node alone`);
  const workers = await startBenchWorkers();
  const workerPorts = workers.map((w) => w.port);
  const children: ChildProcess[] = workers.map((w) => w.child);
  try {
    const paths: Path[] = [{ name: 'direct to a worker', urls: workerPorts.map((p) => `ws://127.0.0.1:${p}/v1/stream`) }];
    for (const adapter of adapters) {
      const balancer = await startBalancer(workerPorts, ['--transport', adapter]);
      children.push(balancer.child);
      paths.push({ name: `balancer on ${adapter}`, urls: [`ws://127.0.0.1:${balancer.port}/v1/stream`], pid: balancer.child.pid! });
    }
    const results = await measurePaths(paths);
    printPathTable(`Transport adapters in the balancer, Node ${process.versions.node}: ${setupLine()}`, paths, results);
    if (!uws.ok) return;
    const a = results.get('balancer on uws')!;
    const b = results.get('balancer on node')!;
    const direct = results.get(paths[0]!.name)!;
    const added = (r: PathResult, q: number) => quantile(r.ttfaMs, q) - quantile(direct.ttfaMs, q);
    printTable(
      'Transport ratios, node / uws (ttfa added, cpu, RSS: lower is better; frames/s, MB/s: higher is better)',
      ['metric', 'node / uws'],
      [
        ['added ttfa p50', added(b, 0.5) / added(a, 0.5)],
        ['added ttfa p99', added(b, 0.99) / added(a, 0.99)],
        ['frames/s', b.frames / b.seconds / (a.frames / a.seconds)],
        ['MB/s', b.bytes / b.seconds / (a.bytes / a.seconds)],
        ['relay cpu s/GB', (b.cpuSecPerGb ?? Number.NaN) / (a.cpuSecPerGb ?? Number.NaN)],
        ['relay RSS/1000 idle', (b.rssMbPer1000 ?? Number.NaN) / (a.rssMbPer1000 ?? Number.NaN)],
      ],
    );
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
}
