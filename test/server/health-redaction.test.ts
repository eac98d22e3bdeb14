import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostedEngine } from '../../src/engine/host/engine-host.js';
import { createAdmission } from '../../src/server/admission.js';
import { describeHealth } from '../../src/server/health.js';

const engine = {
  state: 'ready',
  restarts: 0,
  info: { name: 'chatterbox', device: 'cpu', voices: [], details: { model: '/srv/private/models/chatterbox-en', dtype: 'fp32' } },
} as unknown as HostedEngine;

function health(full: boolean) {
  return describeHealth({
    engine,
    admission: createAdmission({ maxActive: 1, maxQueued: 0 }),
    sessions: 0,
    draining: false,
    gpu: 0,
    startedAtMs: Date.now(),
    transport: 'node',
    full,
  });
}

describe('/health redaction', () => {
  it('shows anonymous callers no absolute path and no pid', () => {
    const report = health(false);
    assert.deepEqual(report.details, { model: 'chatterbox-en', dtype: 'fp32' });
    assert.equal(report.pid, undefined);
    assert.doesNotMatch(JSON.stringify(report), /\/srv\/private/);
  });

  it('shows callers with a key the whole report', () => {
    const report = health(true);
    assert.equal(report.details.model, '/srv/private/models/chatterbox-en');
    assert.equal(report.pid, process.pid);
  });
});
