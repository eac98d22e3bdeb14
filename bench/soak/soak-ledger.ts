/** What the soak saw of one request, from its `start` to its one `done` or `error`. */
interface RequestRecord {
  startedAtMs: number;
  firstAudioAtMs: number | undefined;
  nextSeq: number;
  frames: number;
  samples: number;
  ends: number;
  /** The client cut its own link while the request ran: it may end without a done or error. */
  droppedByClient: boolean;
}

/** The soak's tallies, as `summarize` returns them. */
export interface SoakTally {
  requests: number;
  completed: number;
  cancelled: number;
  errored: number;
  droppedByClient: number;
  errorsByCode: Record<string, number>;
  connectionErrorsByCode: Record<string, number>;
  chunks: number;
  lostChunks: number;
  duplicatedChunks: number;
  /** Audio, done or error frames for a request that had already ended. */
  framesAfterEnd: number;
  /** Requests that never ended (no done or error) though the client kept its link. */
  unended: number;
  /** Requests that ended more than once. */
  endedTwice: number;
  ttfaMs: number[];
}

/**
 * Checks every server frame against the protocol's promises: audio `seq` 0, 1, 2, … with no gap or repeat, `done`
 * counting the frames and samples that arrived, exactly one `done` or `error` per request. Ids must be unique.
 */
export class SoakLedger {
  private readonly records = new Map<string, RequestRecord>();
  private readonly tally: SoakTally = {
    requests: 0,
    completed: 0,
    cancelled: 0,
    errored: 0,
    droppedByClient: 0,
    errorsByCode: {},
    connectionErrorsByCode: {},
    chunks: 0,
    lostChunks: 0,
    duplicatedChunks: 0,
    framesAfterEnd: 0,
    unended: 0,
    endedTwice: 0,
    ttfaMs: [],
  };

  /** A `start` was sent. */
  started(id: string, nowMs: number): void {
    if (this.records.has(id)) throw new Error(`request id ${id} used twice`);
    this.records.set(id, { startedAtMs: nowMs, firstAudioAtMs: undefined, nextSeq: 0, frames: 0, samples: 0, ends: 0, droppedByClient: false });
    this.tally.requests += 1;
  }

  /** True while the request has had no done or error. */
  isOpen(id: string): boolean {
    const record = this.records.get(id);
    return record !== undefined && record.ends === 0;
  }

  audio(id: string, seq: number, samples: number, nowMs: number): void {
    const record = this.records.get(id);
    if (!record || record.ends > 0) {
      this.tally.framesAfterEnd += 1;
      return;
    }
    this.tally.chunks += 1;
    if (record.firstAudioAtMs === undefined) {
      record.firstAudioAtMs = nowMs;
      this.tally.ttfaMs.push(nowMs - record.startedAtMs);
    }
    if (seq < record.nextSeq) {
      this.tally.duplicatedChunks += 1;
      return;
    }
    this.tally.lostChunks += seq - record.nextSeq;
    record.nextSeq = seq + 1;
    record.frames += 1;
    record.samples += samples;
  }

  done(id: string, chunks: number, samples: number, cancelled: boolean): void {
    const record = this.end(id);
    if (!record) return;
    // `chunks` is the count the worker sent: past the highest seq seen, the tail was lost; below it, frames came
    // that were never sent. Gaps were counted as they showed.
    if (chunks > record.nextSeq) this.tally.lostChunks += chunks - record.nextSeq;
    if (chunks < record.nextSeq) this.tally.duplicatedChunks += record.nextSeq - chunks;
    if (chunks === record.frames && samples !== record.samples) this.tally.lostChunks += 1;
    if (cancelled) this.tally.cancelled += 1;
    else this.tally.completed += 1;
  }

  /** An error frame: for a request when `id` names one, else about the whole connection. */
  error(id: string | undefined, code: string): void {
    if (id === undefined || !this.records.has(id)) {
      this.tally.connectionErrorsByCode[code] = (this.tally.connectionErrorsByCode[code] ?? 0) + 1;
      return;
    }
    if (!this.end(id)) return;
    this.tally.errored += 1;
    this.tally.errorsByCode[code] = (this.tally.errorsByCode[code] ?? 0) + 1;
  }

  /** The client is about to cut its link: the request's end, if any, may never arrive. */
  droppedByClient(id: string): void {
    const record = this.records.get(id);
    if (record && record.ends === 0 && !record.droppedByClient) {
      record.droppedByClient = true;
      this.tally.droppedByClient += 1;
    }
  }

  /** The totals, with every request that has neither ended nor been dropped by its client counted as unended. */
  summarize(): SoakTally {
    let unended = 0;
    for (const record of this.records.values()) if (record.ends === 0 && !record.droppedByClient) unended += 1;
    return {
      ...this.tally,
      unended,
      errorsByCode: { ...this.tally.errorsByCode },
      connectionErrorsByCode: { ...this.tally.connectionErrorsByCode },
      ttfaMs: [...this.tally.ttfaMs],
    };
  }

  private end(id: string): RequestRecord | undefined {
    const record = this.records.get(id);
    if (!record) return undefined;
    record.ends += 1;
    if (record.ends === 1) return record;
    if (record.ends === 2) this.tally.endedTwice += 1;
    this.tally.framesAfterEnd += 1;
    return undefined;
  }
}

/** The value below which `fraction` of `values` lie (nearest rank), or NaN for none. */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

/** Problems that make the soak fail; empty when it passed. */
export function soakFailures(tally: SoakTally): string[] {
  const failures: string[] = [];
  if (tally.lostChunks > 0) failures.push(`${tally.lostChunks} chunks lost`);
  if (tally.duplicatedChunks > 0) failures.push(`${tally.duplicatedChunks} chunks duplicated`);
  if (tally.unended > 0) failures.push(`${tally.unended} requests never ended`);
  if (tally.endedTwice > 0) failures.push(`${tally.endedTwice} requests ended twice`);
  if (tally.framesAfterEnd > 0) failures.push(`${tally.framesAfterEnd} frames after a request ended`);
  return failures;
}
