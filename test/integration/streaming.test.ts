import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { rms } from '../../src/audio/pcm.js';
import type { AudioMessage, DoneMessage, ErrorMessage } from '../../src/protocol/messages.js';
import { SPEECH_RMS_FLOOR, longText, samplesOf, wordCount } from '../helpers/audio.js';
import { openRawStreamFor } from '../helpers/per-test.js';
import { RawStream, assertCompleted, type RequestResult } from '../helpers/raw-stream.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

// The worker on the real flite engine, spoken to over a real socket: what a client hears.
let worker: TestWorker;
before(async () => {
  worker = await startTestWorker();
});
after(() => worker.close());

function connect(t: TestContext): Promise<RawStream> {
  return openRawStreamFor(t, worker.wsUrl);
}

function done(result: RequestResult): DoneMessage {
  assert.equal(result.end.type, 'done', result.end.type === 'error' ? `${result.end.code}: ${result.end.message}` : '');
  return result.end as DoneMessage;
}

const SENTENCE = 'The quick brown fox jumps over the lazy dog near the river bank.';

describe('speech over the stream', () => {
  it('a sentence streams as audible speech of a length that fits its words', async (t) => {
    const stream = await connect(t);
    const result = await stream.speak('s1', SENTENCE);
    const end = assertCompleted(result);
    assert.equal(end.cancelled, false);
    assert.ok(result.audio.every((a) => a.pcm.byteLength === a.samples * 2));
    const samples = samplesOf(result.audio.map((a) => a.pcm));
    const seconds = samples.length / stream.ready.sampleRate;
    const words = wordCount(SENTENCE);
    assert.ok(seconds >= 0.15 * words && seconds <= 1.0 * words, `${seconds.toFixed(2)} s for ${words} words`);
    assert.ok(rms(samples) > SPEECH_RMS_FLOOR, `rms ${rms(samples)}`);
    assert.equal(end.metrics.audioMs, Math.round(seconds * 1000));
    assert.ok(end.metrics.ttfaMs > 0 && end.metrics.ttfaMs <= end.metrics.totalMs);
  });

  it('every voice speaks, each differently', async (t) => {
    const stream = await connect(t);
    const voices = stream.ready.voices;
    const audio = new Map<string, Buffer>();
    for (const voice of voices) {
      const result = await stream.speak(`v-${voice}`, 'Hello from this voice.', { voice });
      assertCompleted(result);
      const pcm = Buffer.concat(result.audio.map((a) => a.pcm));
      assert.ok(rms(samplesOf([pcm])) > SPEECH_RMS_FLOOR, voice);
      audio.set(voice, pcm);
    }
    assert.equal(new Set([...audio.values()].map((b) => b.toString('base64'))).size, voices.length);
  });

  it('f32le frames carry the same audio as s16le, 4 bytes a sample', async (t) => {
    const stream = await connect(t);
    const ints = await stream.speak('i', SENTENCE);
    const floats = await stream.speak('f', SENTENCE, { format: 'f32le' });
    assertCompleted(floats);
    assert.ok(floats.audio.every((a) => a.pcm.byteLength === a.samples * 4));
    const f = samplesOf(
      floats.audio.map((a) => a.pcm),
      'f32le',
    );
    const s = samplesOf(
      ints.audio.map((a) => a.pcm),
      's16le',
    );
    assert.equal(f.length, s.length);
    assert.ok(f.every((x, i) => Math.abs(x - s[i]!) <= 1.5 / 32768));
  });

  it('two requests on one connection interleave: the second is heard before the first is done', async (t) => {
    const stream = await connect(t);
    stream.send({ type: 'start', id: 'long', text: longText(8) });
    stream.send({ type: 'start', id: 'short', text: 'I go second but finish first.' });
    const [long, short] = await Promise.all([stream.result('long'), stream.result('short')]);
    assertCompleted(long);
    assertCompleted(short);
    const at = (match: (f: (typeof stream.frames)[number]) => boolean) => stream.frames.findIndex(match);
    const shortFirstAudio = at((f) => f.type === 'audio' && f.id === 'short');
    const longDone = at((f) => f.type === 'done' && f.id === 'long');
    const longAudioAfterShort = stream.frames.slice(shortFirstAudio).some((f) => f.type === 'audio' && f.id === 'long');
    assert.ok(shortFirstAudio < longDone, `short's first audio at frame ${shortFirstAudio}, long's done at ${longDone}`);
    assert.ok(longAudioAfterShort, 'the long request kept streaming after the short one began');
  });

  it('cancel stops the audio: done.cancelled, and at most two frames after the cancel was sent', async (t) => {
    const stream = await connect(t);
    // One-chunk sentences, so no frames of a sentence already produced are still on their way.
    const text = Array.from({ length: 30 }, (_, i) => `Part ${i + 1}.`).join(' ');
    let cancelSentAt = -1;
    stream.onFrame = (frame) => {
      if (cancelSentAt < 0 && frame.type === 'audio' && frame.id === 'c1') {
        stream.send({ type: 'cancel', id: 'c1' });
        cancelSentAt = stream.frames.length;
      }
    };
    stream.send({ type: 'start', id: 'c1', text });
    const result = await stream.result('c1');
    const end = assertCompleted(result);
    assert.equal(end.cancelled, true);
    const lateFrames = stream.frames.slice(cancelSentAt).filter((f) => f.type === 'audio' && f.id === 'c1').length;
    t.diagnostic(`${result.audio.length} frames in all, ${lateFrames} after the cancel`);
    assert.ok(lateFrames <= 2, `${lateFrames} audio frames arrived after the cancel`);

    const full = await stream.speak('c2', text);
    assert.ok(done(full).chunks > result.audio.length + 10, `uncancelled: ${done(full).chunks} frames`);
  });

  it('regression: a request the engine fails ends with an error for that request only', async (t) => {
    const stream = await connect(t);
    // Control characters pass the server's checks (not whitespace) but leave flite nothing to speak: the
    // error is raised in the engine thread and must come back as this request's error frame.
    stream.send({ type: 'start', id: 'healthy', text: longText(6), voice: 'kal16' });
    stream.send({ type: 'start', id: 'broken', text: '\u0001\u0002\u0003' });
    const [healthy, broken] = await Promise.all([stream.result('healthy'), stream.result('broken')]);
    const error = broken.end as ErrorMessage;
    assert.equal(error.type, 'error');
    assert.equal(error.code, 'TEXT_EMPTY');
    assert.match(error.message, /nothing to speak/, 'the engine, not the request check, refused it');
    assert.equal(broken.audio.length, 0);
    assertCompleted(healthy);
    assertCompleted(await stream.speak('after', 'Still working.'));
    assert.equal(stream.frames.filter((f) => f.type === 'error' && f.id !== 'broken').length, 0);
  });

  it('many requests in sequence on one connection each start their seq at 0', async (t) => {
    const stream = await connect(t);
    for (let i = 0; i < 5; i++) {
      const result = await stream.speak(`seq${i}`, `Request number ${i + 1}.`);
      assertCompleted(result);
      assert.equal((result.audio[0] as AudioMessage).seq, 0);
    }
  });
});
