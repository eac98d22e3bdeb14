import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackendRecord } from '../../src/balancer/backend-record.js';
import { describeStats, formatStatsText } from '../../src/balancer/lb-stats.js';
import { VERSION } from '../../src/version.js';

function backend(index: number, fields: Partial<BackendRecord> = {}): BackendRecord {
  return Object.assign(new BackendRecord(index, `ws://10.0.0.${index + 1}:6093`, 100), { state: 'up' as const }, fields);
}

/** Counts an error as the pool does, in the table its kind belongs to. */
function countError(b: BackendRecord, code: string, table: 'errorsByCode' | 'clientErrorsByCode' = 'errorsByCode'): void {
  b[table][code] = (b[table][code] ?? 0) + 1;
}

function stats(backends: BackendRecord[], extra: { draining?: boolean; startedAtMs?: number; sessions?: number; clientBufferedBytes?: number } = {}) {
  return describeStats({
    backends,
    poolTotals: { noBackend: 2, replayedRequests: 1 },
    sessions: extra.sessions ?? 0,
    clientBufferedBytes: extra.clientBufferedBytes ?? 0,
    draining: extra.draining ?? false,
    startedAtMs: extra.startedAtMs ?? Date.now(),
  });
}

describe('describeStats', () => {
  const statusCases: Array<{ name: string; states: Array<BackendRecord['state']>; draining?: boolean; status: string; healthy: number }> = [
    { name: 'every backend up → ok', states: ['up', 'up'], status: 'ok', healthy: 2 },
    { name: 'some up → degraded', states: ['up', 'down'], status: 'degraded', healthy: 1 },
    { name: 'loading and draining backends are not healthy', states: ['up', 'loading', 'draining'], status: 'degraded', healthy: 1 },
    { name: 'none up → down', states: ['down', 'loading'], status: 'down', healthy: 0 },
    { name: 'no backends → down', states: [], status: 'down', healthy: 0 },
    { name: 'a draining balancer says so whatever its backends', states: ['up', 'up'], draining: true, status: 'draining', healthy: 2 },
  ];
  for (const { name, states, draining, status, healthy } of statusCases) {
    it(name, () => {
      const s = stats(
        states.map((state, i) => backend(i, { state })),
        { draining },
      );
      assert.equal(s.status, status);
      assert.equal(s.healthyBackends, healthy);
      assert.equal(s.totalBackends, states.length);
    });
  }

  it('sums the per-backend counters into the totals', () => {
    const a = backend(0, { requests: 5, framesRelayed: 40, bytesRelayed: 4_000, failovers: 1 });
    countError(a, 'BACKEND_LOST');
    countError(a, 'UNKNOWN_VOICE', 'clientErrorsByCode');
    countError(a, 'UNKNOWN_VOICE', 'clientErrorsByCode');
    const b = backend(1, { requests: 2, framesRelayed: 3, bytesRelayed: 300 });
    countError(b, 'BAD_PARAM', 'clientErrorsByCode');
    countError(b, 'ENGINE_FAILED');
    const s = stats([a, b], { sessions: 3, clientBufferedBytes: 1234 });
    assert.deepEqual(s.totals, {
      requests: 7,
      framesRelayed: 43,
      bytesRelayed: 4_300,
      failovers: 1,
      errors: 2,
      clientErrors: 3,
      noBackend: 2,
      replayedRequests: 1,
    });
    assert.deepEqual(s.backends[0]!.errorsByCode, { BACKEND_LOST: 1 });
    assert.deepEqual(s.backends[0]!.clientErrorsByCode, { UNKNOWN_VOICE: 2 });
    assert.deepEqual(s.backends[1]!.errorsByCode, { ENGINE_FAILED: 1 });
    assert.equal(s.sessions, 3);
    assert.equal(s.clientBufferedBytes, 1234);
    assert.equal(s.version, VERSION);
  });

  it('reports each backend as it stands, with nulls for what it does not know yet', () => {
    const fresh = backend(0, { state: 'down' });
    const seen = backend(1, { sessions: 2, activeRequests: 1, queuedRequests: 0, capacity: 3, pinnedSinceReport: 1, healthLatencyMs: 1.5 });
    seen.lastError = { message: 'connection dropped (1006)', at: '2025-01-01T00:00:00.000Z' };
    seen.report = { status: 'ok', activeRequests: 1, queuedRequests: 0, capacity: 3, remainingCapacity: 2, sessions: 4 };
    seen.remainingCapacity = 2;
    const s = stats([fresh, seen]);
    assert.deepEqual(s.backends[0], {
      url: 'ws://10.0.0.1:6093',
      state: 'down',
      sessions: 0,
      loadScore: 0,
      remainingCapacity: null,
      requests: 0,
      errorsByCode: {},
      clientErrorsByCode: {},
      lastError: null,
      healthLatencyMs: null,
      framesRelayed: 0,
      bytesRelayed: 0,
      failovers: 0,
      reported: null,
    });
    assert.equal(s.backends[1]!.loadScore, 0.667, '(1 active + 1 pinned) / 3, to three decimals');
    assert.equal(s.backends[1]!.lastError?.message, 'connection dropped (1006)');
    assert.equal(s.backends[1]!.reported?.sessions, 4);
    assert.equal(s.backends[1]!.healthLatencyMs, 1.5);
    assert.equal(s.backends[1]!.remainingCapacity, 1, 'the 2 real-time requests it reported, less the session pinned since');
  });

  it('copies the error counts, so the answer does not change under the reader', () => {
    const a = backend(0);
    countError(a, 'X');
    const s = stats([a]);
    countError(a, 'X');
    assert.deepEqual(s.backends[0]!.errorsByCode, { X: 1 });
  });

  it('uptime counts from startedAtMs in whole seconds', () => {
    assert.equal(stats([], { startedAtMs: Date.now() - 90_400 }).uptimeSec, 90);
  });
});

describe('formatStatsText', () => {
  it('renders a header, the totals and one line per backend', () => {
    const a = backend(0, { requests: 12, bytesRelayed: 2_500_000, sessions: 3, remainingCapacity: 4 });
    const b = backend(1, { state: 'down' });
    b.lastError = { message: '/health timed out after 1000 ms', at: '2025-01-01T00:00:00.000Z' };
    countError(b, 'BACKEND_LOST');
    const text = formatStatsText(stats([a, b], { sessions: 3 }));
    const lines = text.trimEnd().split('\n');
    assert.match(lines[0]!, /^balancer degraded {2}backends 1\/2 healthy {2}sessions 3 /);
    assert.match(lines[1]!, /^totals: requests 12 {2}frames 0 {2}MB 2\.5 {2}failovers 0 {2}errors 1$/);
    assert.equal(lines.length, 6, 'header, totals, blank, column names, two backends');
    assert.match(lines[4]!, /^ws:\/\/10\.0\.0\.1:6093 +up +3 +0\.00 +4 +12 +0 +- +2\.5 *$/);
    assert.match(lines[5]!, /^ws:\/\/10\.0\.0\.2:6093 +down .* - .* 1 .*\/health timed out after 1000 ms$/);
  });
});
