import { benchBalancer } from './balancer-bench.js';
import { benchEngine } from './engine-bench.js';
import { benchThroughput } from './throughput-bench.js';
import { benchWorker } from './worker-bench.js';

// `npm run bench`: every benchmark section, printed as tables. Sections measure side by side in one run.
const SECTIONS: Record<string, () => Promise<void>> = {
  worker: benchWorker,
  engine: benchEngine,
  balancer: benchBalancer,
  throughput: benchThroughput,
};

const only = process.argv.slice(2);
for (const [name, run] of Object.entries(SECTIONS)) {
  if (only.length > 0 && !only.includes(name)) continue;
  await run();
}
