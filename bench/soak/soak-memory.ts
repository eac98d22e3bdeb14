import { setTimeout as delay } from 'node:timers/promises';
import { rssBytes, type SoakProcess } from './soak-backend.js';

/** One process's idle memory before and after the main load, and its highest value seen in between. */
export interface RssRecord {
  name: string;
  /** Idle RSS right after start-up, before any load. */
  cold: number | undefined;
  /** Idle RSS after the warm-up load had settled: the baseline the end is judged against. */
  start: number | undefined;
  peak: number | undefined;
  /** Idle RSS after the main load had settled. */
  end: number | undefined;
  /** Whether the process was killed and restarted since `start`, so `end` belongs to another process. */
  restarted: boolean;
}

/** Samples every process's RSS each second for `settleMs` of quiet and returns the last samples (after idle GCs). */
export async function settledRss(processes: SoakProcess[], settleMs: number): Promise<Array<number | undefined>> {
  let last = processes.map((p) => rssBytes(p.child?.pid));
  for (let waited = 0; waited < settleMs; waited += 1000) {
    await delay(Math.min(1000, settleMs - waited));
    last = processes.map((p) => rssBytes(p.child?.pid));
  }
  return last;
}

/** Tracks the highest RSS of each process while the load runs; call stop() when the load ends. */
export function watchPeakRss(processes: SoakProcess[], peaks: Array<number | undefined>): { stop(): void } {
  const timer = setInterval(() => {
    processes.forEach((p, i) => {
      const rss = rssBytes(p.child?.pid);
      if (rss !== undefined && (peaks[i] === undefined || rss > peaks[i])) peaks[i] = rss;
    });
  }, 1000);
  return { stop: () => clearInterval(timer) };
}

/** Failures for processes that lived through the whole load and whose settled RSS grew by more than `maxGrowthPct`. */
export function rssFailures(records: RssRecord[], maxGrowthPct: number): string[] {
  return records
    .filter((r) => !r.restarted && r.start !== undefined && r.end !== undefined && r.end > r.start * (1 + maxGrowthPct / 100))
    .map((r) => `${r.name} RSS grew ${(((r.end! - r.start!) / r.start!) * 100).toFixed(0)}% (limit ${maxGrowthPct}%)`);
}
