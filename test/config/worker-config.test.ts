import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/settings.js';
import { WORKER_SETTINGS, parseWorkerConfig } from '../../src/config/worker-config.js';
import { engineSpecFor } from '../../src/cli/serve.js';
import { DEFAULT_CHUNKING } from '../../src/engine/chatterbox/stream-decoder.js';
import { withTimeout } from '../helpers/raw-stream.js';

/** Runs the built CLI and collects its exit code and output. */
async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/chatterbox.js', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await withTimeout(once(child, 'close'), 15_000, `chatterbox ${args.join(' ')}`).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  })) as [number | null];
  return { code, stdout, stderr };
}

describe('parseWorkerConfig', () => {
  it('fills every setting from its default', () => {
    const config = parseWorkerConfig({}, {});
    for (const [name, spec] of Object.entries(WORKER_SETTINGS)) {
      assert.deepEqual(config[name as keyof typeof config], spec.default, name);
    }
    assert.equal(config.port, 6093);
    assert.equal(config.modelDir, undefined, 'no model dir means the flite engine');
  });

  it('lets flags beat environment variables', () => {
    const env = { CHATTERBOX_PORT: '7000', CHATTERBOX_MAX_ACTIVE: '3', CHATTERBOX_SEND_HIGH_WATER_BYTES: '4096' };
    const config = parseWorkerConfig({ port: '7001', 'send-high-water': '8192' }, env);
    assert.equal(config.port, 7001);
    assert.equal(config.sendHighWaterBytes, 8192);
    assert.equal(config.maxActiveSyntheses, 3);
  });

  it('reads process.env when no environment is given', () => {
    const saved = process.env.CHATTERBOX_MAX_QUEUED;
    process.env.CHATTERBOX_MAX_QUEUED = '5';
    try {
      assert.equal(parseWorkerConfig({}).maxQueuedRequests, 5);
    } finally {
      if (saved === undefined) delete process.env.CHATTERBOX_MAX_QUEUED;
      else process.env.CHATTERBOX_MAX_QUEUED = saved;
    }
  });

  it('names every bad setting, from flags and environment, in one ConfigError', () => {
    let error: unknown;
    try {
      parseWorkerConfig({ port: 'nope', 'max-active': '0', device: 'tpu' }, { CHATTERBOX_MAX_FRAME_BYTES: '10', CHATTERBOX_LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    assert.ok(error instanceof ConfigError);
    const expected = [
      ['--port', 'port'],
      ['--device', 'device'],
      ['CHATTERBOX_MAX_FRAME_BYTES', 'maxFrameBytes'],
      ['--max-active', 'maxActiveSyntheses'],
      ['CHATTERBOX_LOG_LEVEL', 'logLevel'],
    ];
    assert.equal(error.problems.length, expected.length, error.problems.join('\n'));
    for (const [source, name] of expected) {
      assert.ok(
        error.problems.some((p) => p.startsWith(`${source} (${name})`)),
        `no problem names ${source} (${name}):\n${error.problems.join('\n')}`,
      );
    }
  });

  it('the chunk settings default to the stream decoder’s defaults and reach the engine spec', () => {
    const defaults = engineSpecFor(parseWorkerConfig({ model: 'm' }, {}));
    assert.equal(defaults.kind, 'chatterbox');
    assert.deepEqual(defaults.kind === 'chatterbox' && defaults.chunking, { ...DEFAULT_CHUNKING });
    const set = engineSpecFor(parseWorkerConfig({ model: 'm', 'lookahead-tokens': '0' }, { CHATTERBOX_CONTEXT_TOKENS: '30' }));
    assert.deepEqual(set.kind === 'chatterbox' && set.chunking, { ...DEFAULT_CHUNKING, lookaheadTokens: 0, contextTokens: 30 });
  });

  it('returns a frozen config', () => {
    const config = parseWorkerConfig({}, {});
    assert.ok(Object.isFrozen(config));
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
  });
});

describe('chatterbox serve with a bad setting', () => {
  it('exits non-zero and names the flag in stderr', async () => {
    const { code, stderr } = await runCli(['serve', '--port', 'nope']);
    assert.equal(code, 2);
    assert.match(stderr, /--port \(port\): 'nope' is not a number/);
  });

  it('exits non-zero and names the environment variable in stderr', async () => {
    const { code, stderr } = await runCli(['serve', '--port', '0'], { CHATTERBOX_MAX_ACTIVE: '0', CHATTERBOX_DEVICE: 'tpu' });
    assert.equal(code, 2);
    assert.match(stderr, /CHATTERBOX_MAX_ACTIVE \(maxActiveSyntheses\): 0 is outside 1\.\.1024/);
    assert.match(stderr, /CHATTERBOX_DEVICE \(device\): 'tpu' is not one of/);
  });

  it('exits non-zero on an unknown flag', async () => {
    const { code, stderr } = await runCli(['serve', '--prot', '1']);
    assert.equal(code, 2);
    assert.match(stderr, /--prot/);
  });
});
