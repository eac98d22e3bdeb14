import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadScore, pickBackend, type BackendLoad } from '../../src/balancer/pick-backend.js';

/** An idle, up backend with room, changed by `fields`. */
function backend(fields: Partial<BackendLoad> = {}): BackendLoad {
  return { state: 'up', activeRequests: 0, queuedRequests: 0, capacity: 8, pinnedSinceReport: 0, sessions: 0, maxSessions: 100, ...fields };
}

describe('loadScore', () => {
  const cases: Array<{ name: string; load: Partial<BackendLoad>; score: number }> = [
    { name: 'idle', load: {}, score: 0 },
    { name: 'active over capacity', load: { activeRequests: 4, capacity: 8 }, score: 0.5 },
    { name: 'queued counts like active', load: { activeRequests: 8, queuedRequests: 4, capacity: 8 }, score: 1.5 },
    { name: 'sessions pinned since the report count', load: { activeRequests: 1, pinnedSinceReport: 3, capacity: 8 }, score: 0.5 },
    { name: 'open sessions alone do not', load: { sessions: 50 }, score: 0 },
    { name: 'capacity 0 reads as 1, never a division by zero', load: { activeRequests: 2, capacity: 0 }, score: 2 },
  ];
  for (const { name, load, score } of cases) {
    it(name, () => assert.equal(loadScore(backend(load)), score));
  }
});

describe('pickBackend', () => {
  const cases: Array<{ name: string; backends: Array<Partial<BackendLoad>>; exclude?: number[]; pick: number | undefined }> = [
    { name: 'lowest score wins', backends: [{ activeRequests: 3 }, { activeRequests: 1 }, { activeRequests: 2 }], pick: 1 },
    {
      name: 'score is relative to capacity',
      backends: [
        { activeRequests: 2, capacity: 2 },
        { activeRequests: 3, capacity: 8 },
      ],
      pick: 1,
    },
    { name: 'queued requests weigh like active ones', backends: [{ activeRequests: 1, queuedRequests: 3 }, { activeRequests: 3 }], pick: 1 },
    { name: 'sessions pinned since the last report spread a burst', backends: [{ pinnedSinceReport: 2 }, { activeRequests: 1 }], pick: 1 },
    {
      name: 'a session pinned since the report weighs as much as an active request',
      backends: [
        { pinnedSinceReport: 1, sessions: 1 },
        { activeRequests: 1, sessions: 0 },
      ],
      pick: 1,
    },
    { name: 'down is skipped even when idlest', backends: [{ state: 'down' }, { activeRequests: 5 }], pick: 1 },
    { name: 'loading is skipped', backends: [{ state: 'loading' }, { activeRequests: 5 }], pick: 1 },
    { name: 'draining is skipped', backends: [{ state: 'draining' }, { activeRequests: 5 }], pick: 1 },
    {
      name: 'a backend at its session cap is skipped',
      backends: [
        { sessions: 4, maxSessions: 4 },
        { activeRequests: 7, sessions: 1, maxSessions: 4 },
      ],
      pick: 1,
    },
    { name: 'one under the cap still takes a session', backends: [{ sessions: 3, maxSessions: 4 }, { activeRequests: 1 }], pick: 0 },
    { name: 'ties go to fewer open sessions', backends: [{ sessions: 3 }, { sessions: 1 }, { sessions: 2 }], pick: 1 },
    { name: 'fewer sessions does not beat a lower score', backends: [{ sessions: 9 }, { sessions: 0, activeRequests: 1 }], pick: 0 },
    { name: 'full ties go to the lower index', backends: [{ sessions: 2 }, { sessions: 2 }, { sessions: 2 }], pick: 0 },
    { name: 'real-time room beats a lower load score', backends: [{ remainingCapacity: 0 }, { activeRequests: 3, remainingCapacity: 1 }], pick: 1 },
    { name: 'a backend that reports no capacity ranks between room and none left', backends: [{ remainingCapacity: 0 }, { activeRequests: 5 }], pick: 1 },
    { name: 'room beats a backend that reports no capacity', backends: [{ remainingCapacity: null }, { activeRequests: 5, remainingCapacity: 2 }], pick: 1 },
    {
      name: 'sessions pinned since the report use up its room',
      backends: [
        { remainingCapacity: 2, pinnedSinceReport: 2 },
        { activeRequests: 4, remainingCapacity: 1 },
      ],
      pick: 1,
    },
    {
      name: 'with room on both, the lower load score wins',
      backends: [
        { activeRequests: 2, remainingCapacity: 6 },
        { activeRequests: 1, remainingCapacity: 1 },
      ],
      pick: 1,
    },
    {
      name: 'with no room anywhere, the lower load score wins',
      backends: [
        { activeRequests: 2, remainingCapacity: 0 },
        { activeRequests: 1, remainingCapacity: 0 },
      ],
      pick: 1,
    },
    { name: 'an excluded backend is skipped', backends: [{}, { activeRequests: 1 }, { activeRequests: 2 }], exclude: [0], pick: 1 },
    { name: 'several excluded', backends: [{}, { activeRequests: 1 }, { activeRequests: 2 }], exclude: [0, 1], pick: 2 },
    { name: 'all excluded → undefined', backends: [{}, {}], exclude: [0, 1], pick: undefined },
    { name: 'none up → undefined', backends: [{ state: 'down' }, { state: 'loading' }, { state: 'draining' }], pick: undefined },
    {
      name: 'all at their cap → undefined',
      backends: [
        { sessions: 1, maxSessions: 1 },
        { sessions: 2, maxSessions: 2 },
      ],
      pick: undefined,
    },
    { name: 'no backends → undefined', backends: [], pick: undefined },
    { name: 'the only usable one wins however loaded', backends: [{ state: 'down' }, { activeRequests: 80, queuedRequests: 40 }], pick: 1 },
  ];
  for (const { name, backends, exclude, pick } of cases) {
    it(name, () => assert.equal(pickBackend(backends.map(backend), new Set(exclude)), pick));
  }

  it('a burst of picks, each counted as pinned, alternates between equal backends', () => {
    const backends = [backend(), backend()];
    const picks: number[] = [];
    for (let i = 0; i < 6; i++) {
      const index = pickBackend(backends)!;
      picks.push(index);
      backends[index]!.pinnedSinceReport += 1;
    }
    assert.deepEqual(picks, [0, 1, 0, 1, 0, 1]);
  });

  it('a burst fills the idle backend up to the busy one’s load before sharing', () => {
    const backends = [backend({ activeRequests: 2 }), backend()];
    const picks: number[] = [];
    for (let i = 0; i < 4; i++) {
      const index = pickBackend(backends)!;
      picks.push(index);
      backends[index]!.pinnedSinceReport += 1;
      backends[index]!.sessions += 1;
    }
    // 0 vs 2, 1 vs 2, then 2 vs 2 ties go to fewer sessions (backend 0), then 3 vs 2.
    assert.deepEqual(picks, [1, 1, 0, 1]);
  });
});
