import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createVoiceBank, listVoiceFiles, type VoiceBank } from '../../../src/engine/chatterbox/voice-bank.js';
import { floatData } from '../../../src/engine/onnx/tensors.js';
import { TtsError } from '../../../src/protocol/errors.js';
import { loadTinyChatterbox, type TinyChatterbox } from '../../helpers/chatterbox.js';
import { voicedSound, writeWav } from '../../helpers/wav-file.js';

// The voice bank over the tiny model's real speech encoder and a real directory that changes while it runs, as the
// voice library changes it.
let tiny: TinyChatterbox;
let dir: string;
let bank: VoiceBank;
const write = (name: string, f0Hz: number) => writeWav(join(dir, name), { sampleRateHz: 24_000, channels: [voicedSound(24_000, 3, f0Hz)], encoding: 'pcm16' });
const embedding = async (name: string) => floatData((await bank.get(name)).speakerEmbeddings);
const isUnknown = (err: unknown) => err instanceof TtsError && err.code === 'UNKNOWN_VOICE';

before(async () => {
  tiny = await loadTinyChatterbox();
  dir = await mkdtemp(join(tmpdir(), 'voice-bank-'));
  await write('at-start.wav', 150);
  await write('hand copied.wav', 190);
  bank = createVoiceBank(tiny.model.sessions.speech_encoder, listVoiceFiles(tiny.model.files.defaultVoice, dir), dir);
});
after(async () => {
  await tiny.model.release();
  await rm(dir, { recursive: true, force: true });
});

describe('the voice bank over a changing directory', () => {
  it('finds a voice written after it started, and refuses one that never existed or escapes the directory', async () => {
    await assert.rejects(bank.get('later'), isUnknown);
    await write('later.wav', 220);
    assert.ok((await embedding('later')).length > 0);
    await assert.rejects(bank.get('../at-start'), isUnknown);
  });

  it('refuses a voice deleted from the directory, and encodes a new file under the same name afresh', async () => {
    const first = await embedding('at-start');
    await unlink(join(dir, 'at-start.wav'));
    await assert.rejects(bank.get('at-start'), isUnknown);
    await write('at-start.wav', 300);
    assert.notDeepEqual(await embedding('at-start'), first);
  });

  it('returns the cached encoding while the file is unchanged, and encodes again after forget', async () => {
    const once = bank.get('later');
    assert.equal(bank.get('later'), once, 'one encoding shared while the file is unchanged');
    bank.forget('later');
    assert.notEqual(bank.get('later'), once);
    assert.deepEqual(floatData((await bank.get('later')).speakerEmbeddings), floatData((await once).speakerEmbeddings));
  });

  it('keeps serving a file copied in by hand under a name outside the library charset', async () => {
    assert.ok((await embedding('hand copied')).length > 0);
  });

  it('encodes a clip that is not stored, giving another embedding than the default voice', async () => {
    const clip = await bank.encodeClip(voicedSound(24_000, 3, 120));
    assert.notDeepEqual(floatData(clip.speakerEmbeddings), floatData(tiny.voice.speakerEmbeddings));
  });
});
