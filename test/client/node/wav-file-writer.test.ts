import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { WavFileWriter } from '../../../client/node/wav-file-writer.js';
import { encodePcm } from '../../../src/audio/pcm.js';
import { decodeWav } from '../../../src/audio/wav.js';
import { readWavHeader } from '../../helpers/audio.js';

async function tempFile(t: TestContext, name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wav-writer-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, name);
}

describe('WavFileWriter', () => {
  for (const format of ['s16le', 'f32le'] as const) {
    it(`writes ${format} chunks after a header whose sizes match the data`, async (t) => {
      const path = await tempFile(t, `out-${format}.wav`);
      const chunks = [Float32Array.from([0.5, -0.5, 0.25]), Float32Array.from([]), Float32Array.from([-1, 1])].map((c) => encodePcm(c, format));
      const writer = await WavFileWriter.create(path, 24000, format);
      for (const chunk of chunks) await writer.append(chunk);
      await writer.close();

      const file = await readFile(path);
      const width = format === 's16le' ? 2 : 4;
      assert.equal(file.byteLength, 44 + 5 * width);
      const header = readWavHeader(file);
      assert.equal(header.riffSize, file.byteLength - 8);
      assert.equal(header.dataSize, file.byteLength - 44);
      assert.equal(header.sampleRateHz, 24000);
      assert.equal(header.formatTag, format === 's16le' ? 1 : 3);
      assert.deepEqual(file.subarray(44), Buffer.concat(chunks));
      const wav = decodeWav(file);
      assert.equal(wav.samples.length, 5);
      assert.ok(Math.abs(wav.samples[0]! - 0.5) < 1e-4 && Math.abs(wav.samples[3]! + 1) < 1e-4);
    });
  }

  it('leaves a valid empty WAV when nothing was appended', async (t) => {
    const path = await tempFile(t, 'empty.wav');
    await (await WavFileWriter.create(path, 16000, 's16le')).close();
    const file = await readFile(path);
    assert.equal(file.byteLength, 44);
    assert.equal(readWavHeader(file).dataSize, 0);
    assert.equal(readWavHeader(file).riffSize, 36);
  });
});
