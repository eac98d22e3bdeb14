import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DoneMessage, ErrorMessage } from '../../src/protocol/messages.js';
import { assertDuration, decodeAudio, requireFfmpeg } from '../helpers/ffmpeg.js';
import { RawStream } from '../helpers/raw-stream.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

const TEXT = 'Opus pages for a browser on a slow link. Each one arrives as it is made, and together they are one stream.';

let worker: TestWorker;
before(async () => {
  requireFfmpeg();
  worker = await startTestWorker();
});
after(() => worker.close());

describe("start.format 'opus' on the WebSocket", () => {
  it('audio payloads are contiguous seqs whose concatenation is one Ogg Opus stream of the spoken length', async (t) => {
    const stream = await RawStream.open(worker.wsUrl);
    t.after(() => stream.close());
    const reference = await stream.speak('pcm', TEXT);
    const pcmSamples = reference.audio.reduce((n, a) => n + a.samples, 0);
    const result = await stream.speak('opus', TEXT, { format: 'opus' });
    const done = result.end as DoneMessage;
    assert.equal(done.type, 'done');
    assert.deepEqual(
      result.audio.map((a) => a.seq),
      result.audio.map((_, i) => i),
    );
    assert.ok(result.audio.length > 1, 'pages stream out as audio is made, not all at the end');
    assert.equal(done.chunks, result.audio.length);
    assert.equal(done.samples, pcmSamples);
    assert.equal(
      result.audio.reduce((n, a) => n + a.samples, 0),
      pcmSamples,
    );
    const ogg = Buffer.concat(result.audio.map((a) => a.pcm));
    assert.equal(ogg.subarray(0, 4).toString('latin1'), 'OggS');
    const decoded = decodeAudio(ogg);
    assert.deepEqual([decoded.formatName, decoded.codecName, decoded.channels], ['ogg', 'opus', 1]);
    assertDuration('opus', decoded.samples24k, Math.round((pcmSamples * 24_000) / stream.ready.sampleRate));
  });

  it('an unknown format is refused with the coded error, naming the formats', async (t) => {
    const stream = await RawStream.open(worker.wsUrl);
    t.after(() => stream.close());
    const result = await stream.speak('bad', TEXT, { format: 'mp3' });
    const error = result.end as ErrorMessage;
    assert.equal(error.type, 'error');
    assert.equal(error.code, 'BAD_MESSAGE');
    assert.match(error.message, /s16le, f32le, opus/);
    assert.equal(result.audio.length, 0);
  });
});
