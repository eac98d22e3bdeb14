// `npm run soak -- --minutes N --sessions M`: the whole backend (Flite workers and the balancer, on loopback) under
// random texts, cancels, slow and non-reading clients, dropped links and periodic worker kills. Prints what it saw
// and exits 1 when a chunk was lost or duplicated or a request did not end with exactly one done or error.
import { parseArgs } from 'node:util';
import { SoakLedger, percentile, soakFailures } from './soak-ledger.js';
import { rssBytes, startSoakBackend, type SoakBackend, type SoakProcess } from './soak-backend.js';
import { rssFailures, settledRss, watchPeakRss, type RssRecord } from './soak-memory.js';
import { createRandom } from '../../src/model-gen/random.js';
import { pickBehaviour, runEpisode, type ConnectionTally } from './soak-session.js';

const HELP = `Usage: npm run soak -- [--minutes 2] [--sessions 20] [--kill-every-sec 30] [--seed N] [--transport auto|uws|node]
                     [--warmup-sec 60] [--settle-sec 15] [--max-rss-growth 10]

Starts 2 Flite workers and a balancer on free loopback ports and runs M concurrent client sessions for N minutes
(fractions allowed); every --kill-every-sec the second worker gets SIGKILL and is restarted on its port (0: never).
The first worker and the balancer live through the whole soak, so their memory can be judged: the same load for
--warmup-sec (long enough for the processes to reach their working size), then --settle-sec of quiet gives the
baseline RSS; after the main load and the same quiet, RSS more
than --max-rss-growth percent above that baseline fails the soak.`;

interface SoakOptions {
  minutes: number;
  sessions: number;
  killEverySec: number;
  seed: number;
  transport: string | undefined;
  warmupSec: number;
  settleSec: number;
  maxRssGrowthPct: number;
}

function parseOptions(argv: string[]): SoakOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string', default: '2' },
      sessions: { type: 'string', default: '20' },
      'kill-every-sec': { type: 'string', default: '30' },
      seed: { type: 'string' },
      transport: { type: 'string' },
      'warmup-sec': { type: 'string', default: '60' },
      'settle-sec': { type: 'string', default: '15' },
      'max-rss-growth': { type: 'string', default: '10' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const number = (flag: string, text: string, min: number) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) throw new Error(`--${flag} must be a number >= ${min}, got '${text}'`);
    return value;
  };
  return {
    minutes: number('minutes', values.minutes, 0.01),
    sessions: Math.floor(number('sessions', values.sessions, 1)),
    killEverySec: number('kill-every-sec', values['kill-every-sec'], 0),
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Math.floor(number('seed', values.seed, 0)),
    transport: values.transport,
    warmupSec: number('warmup-sec', values['warmup-sec'], 0),
    settleSec: number('settle-sec', values['settle-sec'], 0),
    maxRssGrowthPct: number('max-rss-growth', values['max-rss-growth'], 0),
  };
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '?' : `${(bytes / 2 ** 20).toFixed(0)} MB`;
}

function byCode(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([, a], [, b]) => b - a);
  return entries.length === 0 ? 'none' : entries.map(([code, n]) => `${code} ${n}`).join(', ');
}

async function killLoop(backend: SoakBackend, options: SoakOptions, random: () => number, until: number, kills: { count: number }): Promise<void> {
  if (options.killEverySec <= 0) return;
  while (performance.now() + options.killEverySec * 1000 < until) {
    await new Promise((resolve) => setTimeout(resolve, options.killEverySec * 1000));
    // The first worker is spared so that one worker's memory is judged over the whole soak.
    const killable = backend.workers.length > 1 ? backend.workers.slice(1) : backend.workers;
    const worker = killable[Math.floor(random() * killable.length)]!;
    kills.count += 1;
    await backend.killAndRestart(worker);
  }
}

async function sessionLoop(
  phase: string,
  index: number,
  url: string,
  seed: number,
  until: number,
  ledger: SoakLedger,
  connections: ConnectionTally,
): Promise<void> {
  const random = createRandom(seed + index * 7919 + (phase === 'warm-up' ? 1 : 0));
  for (let episode = 0; performance.now() < until; episode++) {
    await runEpisode({ url, behaviour: pickBehaviour(random), random, ledger, connections, idPrefix: `${phase}-s${index}-e${episode}` });
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) {
    console.log(HELP);
    return 0;
  }
  const backend = await startSoakBackend({ workerCount: 2, transport: options.transport });
  const processes: SoakProcess[] = [backend.balancer, ...backend.workers];
  const cold = processes.map((p) => rssBytes(p.child?.pid));
  const ledger = new SoakLedger();
  const connections: ConnectionTally = { opened: 0, refused: 0, closedWithRequestsOpen: {} };
  const kills = { count: 0 };
  const load = (phase: string, until: number) =>
    Promise.all([
      ...Array.from({ length: options.sessions }, (_, i) => sessionLoop(phase, i, backend.url, options.seed, until, ledger, connections)),
      killLoop(backend, options, createRandom(options.seed ^ (phase === 'warm-up' ? 0xa4a : 0x5eed)), until, kills),
    ]);
  console.error(`soak: ${options.minutes} min, ${options.sessions} sessions, kill every ${options.killEverySec} s, seed ${options.seed}, ${backend.url}`);
  const peaks: Array<number | undefined> = [...cold];
  const peakWatch = watchPeakRss(processes, peaks);
  let start: Array<number | undefined> = [];
  let end: Array<number | undefined> = [];
  let startsAtBaseline: number[] = [];
  let elapsedS = 0;
  try {
    await load('warm-up', performance.now() + options.warmupSec * 1000);
    start = await settledRss(processes, options.settleSec * 1000);
    startsAtBaseline = processes.map((p) => p.starts);
    const startedAt = performance.now();
    await load('main', startedAt + options.minutes * 60_000);
    elapsedS = (performance.now() - startedAt) / 1000;
    end = await settledRss(processes, options.settleSec * 1000);
  } finally {
    peakWatch.stop();
    await backend.stop();
    const records: RssRecord[] = processes.map((p, i) => ({
      name: p.name,
      cold: cold[i],
      start: start[i],
      peak: peaks[i],
      end: end[i],
      restarted: p.starts !== startsAtBaseline[i],
    }));
    const tally = ledger.summarize();
    const failures = [...soakFailures(tally), ...rssFailures(records, options.maxRssGrowthPct)];
    const lines = [
      `soak summary: ${elapsedS.toFixed(0)} s after ${options.warmupSec} s of warm-up, ${options.sessions} sessions, seed ${options.seed}, transport ${options.transport ?? process.env.CHATTERBOX_TRANSPORT ?? 'auto'}`,
      `  requests             ${tally.requests} (completed ${tally.completed}, cancelled ${tally.cancelled}, errors ${tally.errored}, dropped by client ${tally.droppedByClient})`,
      `  errors by code       ${byCode(tally.errorsByCode)}`,
      `  connection errors    ${byCode(tally.connectionErrorsByCode)}`,
      `  connections          opened ${connections.opened}, refused ${connections.refused}, closed by server with requests open: ${byCode(connections.closedWithRequestsOpen)}`,
      `  chunks               received ${tally.chunks}, lost ${tally.lostChunks}, duplicated ${tally.duplicatedChunks}, after the end ${tally.framesAfterEnd}`,
      `  request ends         never ${tally.unended}, twice ${tally.endedTwice}`,
      `  time to first audio  p50 ${percentile(tally.ttfaMs, 0.5).toFixed(0)} ms, p99 ${percentile(tally.ttfaMs, 0.99).toFixed(0)} ms (${tally.ttfaMs.length} requests)`,
      `  worker kills         ${kills.count} (SIGKILL, restarted on the same port)`,
      `  RSS (idle after ${options.settleSec} s quiet)  cold start / after warm-up -> after the soak (peak under load)`,
      ...records.map(
        (r) =>
          `  RSS ${r.name.padEnd(16)} ${mb(r.cold)} / ${mb(r.start)} -> ${mb(r.end)} (peak ${mb(r.peak)})${r.restarted ? ` (restarted ${processes.find((p) => p.name === r.name)!.starts - 1}x: not judged)` : ''}`,
      ),
      `  result               ${failures.length === 0 ? 'PASS' : `FAIL: ${failures.join('; ')}`}`,
    ];
    console.log(lines.join('\n'));
    process.exitCode = failures.length === 0 ? 0 : 1;
  }
  return process.exitCode ?? 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
