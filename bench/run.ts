import { benchBalancer } from './balancer-bench.js';
import { benchBatchStep } from './batch-step-bench.js';
import { benchEncoders } from './encoder-bench.js';
import { benchEngine } from './engine-bench.js';
import { benchInputStream } from './input-stream-bench.js';
import { benchSeams } from './seam-bench.js';
import { benchTempo } from './tempo-bench.js';
import { benchText } from './text-bench.js';
import { benchTransport } from './transport-bench.js';
import { benchThroughput } from './throughput-bench.js';
import { benchWorker } from './worker-bench.js';

// `npm run bench`: every benchmark section, printed as tables. Sections measure side by side in one run.
const SECTIONS: Record<string, () => Promise<void>> = {
  worker: benchWorker,
  engine: benchEngine,
  seams: benchSeams,
  balancer: benchBalancer,
  text: benchText,
  tempo: benchTempo,
  transport: benchTransport,
  throughput: benchThroughput,
  'batch-step': benchBatchStep,
  encoders: benchEncoders,
  'input-stream': benchInputStream,
};

const only = process.argv.slice(2);
for (const [name, run] of Object.entries(SECTIONS)) {
  if (only.length > 0 && !only.includes(name)) continue;
  await run();
}
