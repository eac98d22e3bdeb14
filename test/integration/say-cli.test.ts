import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { rms } from '../../src/audio/pcm.js';
import { decodeWav } from '../../src/audio/wav.js';
import { SPEECH_RMS_FLOOR, readWavHeader, wordCount } from '../helpers/audio.js';
import { runChatterboxCli as chatterbox } from '../helpers/cli.js';
import { withTimeout } from '../helpers/raw-stream.js';
import { WebSocketServer } from 'ws';
import { spawnWorkerProcess, startTestWorker, type TestWorker } from '../helpers/worker.js';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'say-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Asserts a complete, playable WAV of speech: exact sizes, 16 kHz mono s16, audible, a plausible length. */
async function assertSpeechWav(path: string, text: string): Promise<number> {
  const file = await readFile(path);
  const header = readWavHeader(file);
  assert.equal(header.riff, 'RIFF');
  assert.equal(header.wave, 'WAVE');
  assert.equal(header.riffSize, file.byteLength - 8);
  assert.equal(header.dataSize, file.byteLength - 44);
  assert.equal(header.formatTag, 1);
  assert.equal(header.channels, 1);
  assert.equal(header.sampleRateHz, 16000);
  assert.equal(header.bitsPerSample, 16);
  assert.equal(header.byteRate, 32000);
  const wav = decodeWav(file);
  const seconds = wav.samples.length / wav.sampleRateHz;
  const words = wordCount(text);
  assert.ok(seconds >= 0.15 * words && seconds <= 1.0 * words, `${seconds} s for ${words} words`);
  assert.ok(rms(wav.samples) > SPEECH_RMS_FLOOR);
  return seconds;
}

const TEXT = 'Hello from the command line, written to a file.';

/** Asserts that a failed run explained itself in one line, without a stack trace. */
function assertOneLineError(stderr: string): void {
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.doesNotMatch(stderr, /^\s+at /m);
}

describe('chatterbox say against an in-process worker', () => {
  let worker: TestWorker;
  before(async () => {
    worker = await startTestWorker();
  });
  after(() => worker.close());

  it('writes a playable WAV and prints the metrics', async (t) => {
    const out = join(await tempDir(t), 'out.wav');
    const { code, stdout, stderr } = await chatterbox(['say', TEXT, '--url', worker.wsUrl, '-o', out]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /ttfa \d+ ms\s+rtf [\d.]+\s+duration [\d.]+ s\s+chunks \d+\s+engine flite @ 16000 Hz/);
    await assertSpeechWav(out, TEXT);
  });

  it('passes --voice and --params to the worker', async (t) => {
    const dir = await tempDir(t);
    const slow = await chatterbox(['say', TEXT, '--url', worker.wsUrl, '--voice', 'rms', '--params', '{"speed":0.5}', '-o', join(dir, 'slow.wav')]);
    const fast = await chatterbox(['say', TEXT, '--url', worker.wsUrl, '--voice', 'rms', '--params', '{"speed":2}', '-o', join(dir, 'fast.wav')]);
    assert.equal(slow.code, 0, slow.stderr);
    assert.equal(fast.code, 0, fast.stderr);
    const slowSeconds = decodeWav(await readFile(join(dir, 'slow.wav'))).samples.length;
    const fastSeconds = decodeWav(await readFile(join(dir, 'fast.wav'))).samples.length;
    assert.ok(slowSeconds > 2 * fastSeconds, `${slowSeconds} vs ${fastSeconds} samples`);
  });

  it('exits 1 with the error code when the worker refuses the request', async () => {
    const { code, stderr } = await chatterbox(['say', TEXT, '--url', worker.wsUrl, '--voice', 'nobody']);
    assert.equal(code, 1);
    assert.match(stderr, /error UNKNOWN_VOICE: /);
    assertOneLineError(stderr);
  });

  it('exits 1 with NO_BACKEND when nothing listens at the url', async () => {
    const { code, stderr } = await chatterbox(['say', TEXT, '--url', 'ws://127.0.0.1:1']);
    assert.equal(code, 1);
    assert.match(stderr, /error NO_BACKEND: /);
    assertOneLineError(stderr);
  });

  it('with -o - writes only the WAV to stdout, streamed, and the metrics to stderr', async () => {
    const { code, stdoutBytes, stderr } = await chatterbox(['say', TEXT, '--url', worker.wsUrl, '-o', '-']);
    assert.equal(code, 0, stderr);
    const header = readWavHeader(stdoutBytes);
    assert.equal(header.riff, 'RIFF');
    assert.equal(header.sampleRateHz, 16000);
    assert.equal(header.bitsPerSample, 16);
    // Stdout cannot seek back, so the sizes say "unknown" and everything after the header is audio.
    assert.equal(header.dataSize, 0xffffffff);
    assert.equal((stdoutBytes.byteLength - 44) % 2, 0);
    const wav = decodeWav(stdoutBytes);
    const seconds = wav.samples.length / wav.sampleRateHz;
    assert.ok(seconds >= 0.15 * wordCount(TEXT) && seconds <= 1.0 * wordCount(TEXT), `${seconds} s`);
    assert.ok(rms(wav.samples) > SPEECH_RMS_FLOOR);
    assert.match(stderr, /ttfa \d+ ms\s+rtf [\d.]+\s+duration [\d.]+ s.*→ stdout/);
  });

  it('reads the text from stdin when no text argument is given', async (t) => {
    const out = join(await tempDir(t), 'stdin.wav');
    const { code, stderr } = await chatterbox(['say', '--url', worker.wsUrl, '-o', out], { stdin: `${TEXT}\n` });
    assert.equal(code, 0, stderr);
    await assertSpeechWav(out, TEXT);
  });

  it('a missing output directory is one line and exit 1, not a stack trace', async (t) => {
    const out = join(await tempDir(t), 'missing-dir', 'x.wav');
    const { code, stderr } = await chatterbox(['say', TEXT, '--url', worker.wsUrl, '-o', out]);
    assert.equal(code, 1);
    assert.match(stderr, /ENOENT.*missing-dir/);
    assertOneLineError(stderr);
  });
});

describe('chatterbox serve and say as two processes', () => {
  it('serves a say, then drains and exits 0 on SIGTERM', async (t) => {
    const { child, port, output } = await spawnWorkerProcess(['--log-level', 'info']);
    t.after(() => child.kill('SIGKILL'));
    const out = join(await tempDir(t), 'two.wav');
    const say = await chatterbox(['say', TEXT, '--url', `ws://127.0.0.1:${port}`, '-o', out]);
    assert.equal(say.code, 0, say.stderr);
    await assertSpeechWav(out, TEXT);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await withTimeout(exited, 10_000, 'the worker to exit')) as [number | null];
    assert.equal(code, 0, output());
    assert.match(output(), /"msg":"stopped"/);
  });
});

describe('chatterbox say without --url', () => {
  it('speaks to the balancer port, 6095, as npm start serves it', async (t) => {
    // A plain listener on 6095 (exclusive, so no running backend shares it) that records the upgrade and closes.
    const http = createServer();
    const listening = await new Promise<boolean>((resolve) => {
      http.once('error', () => resolve(false));
      http.listen(6095, '127.0.0.1', () => resolve(true));
    });
    if (!listening) return t.skip('port 6095 is in use on this machine');
    t.after(() => http.close());
    const paths: string[] = [];
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (ws, req) => {
      paths.push(req.url ?? '');
      ws.close(1011, 'test listener');
    });
    t.after(() => wss.close());
    const env = { ...process.env };
    delete env.CHATTERBOX_URL;
    const { code, stderr } = await chatterbox(['say', TEXT], { env });
    assert.deepEqual(paths, ['/v1/stream']);
    assert.equal(code, 1);
    assert.match(stderr, /error NO_BACKEND: connection closed before ready \(1011 test listener\)/);
  });
});
