import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rms } from '../../src/audio/pcm.js';
import { decodeWav } from '../../src/audio/wav.js';
import { SPEECH_RMS_FLOOR } from '../helpers/audio.js';
import { runChatterboxCli as chatterbox } from '../helpers/cli.js';
import { withTimeout } from '../helpers/raw-stream.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

// `chatterbox say --stdin-stream` as a child process against an in-process worker: lines spoken as they come.
const WAV_HEADER_BYTES = 44;

describe('chatterbox say --stdin-stream', () => {
  let worker: TestWorker;
  before(async () => {
    worker = await startTestWorker({ 'input-max-delay-ms': '60000' });
  });
  after(() => worker.close());

  it('speaks piped lines, each as it ends, into one WAV', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'say-stream-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const out = join(dir, 'lines.wav');
    const { code, stdout, stderr } = await chatterbox(['say', '--stdin-stream', '--url', worker.wsUrl, '-o', out], {
      stdin: 'A first line with no mark\nA second line.\n',
    });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /ttfa \d+ ms/);
    const wav = decodeWav(await readFile(out));
    assert.ok(wav.samples.length / wav.sampleRateHz > 1, 'both lines spoken');
    assert.ok(rms(wav.samples) > SPEECH_RMS_FLOOR);
  });

  it('a typed line is heard while stdin is still open', async (t) => {
    const child = spawn(process.execPath, ['bin/chatterbox.js', 'say', '--stdin-stream', '--url', worker.wsUrl, '-o', '-'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = once(child, 'close');
    t.after(() => child.kill('SIGKILL'));
    let received = 0;
    const audio = new Promise<void>((resolve) =>
      child.stdout.on('data', (data: Buffer) => {
        received += data.byteLength;
        if (received > WAV_HEADER_BYTES) resolve();
      }),
    );
    child.stdin.write('Hello as I type\n');
    await withTimeout(audio, 15_000, 'audio of the first line');
    child.stdin.end('And goodbye.\n');
    const [code] = (await withTimeout(exited, 15_000, 'say to exit')) as [number | null];
    assert.equal(code, 0);
  });

  it('refuses a text argument with --stdin-stream (exit 2)', async () => {
    const { code, stderr } = await chatterbox(['say', 'text', '--stdin-stream', '--url', worker.wsUrl]);
    assert.equal(code, 2);
    assert.match(stderr, /--stdin-stream/);
  });
});
