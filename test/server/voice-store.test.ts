import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createVoiceStore } from '../../src/server/voices/voice-store.js';

describe('createVoiceStore', () => {
  it('regression: lists no voices once its directory is removed under it, instead of throwing from every voice listing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'voice-store-'));
    try {
      const store = createVoiceStore(dir);
      await writeFile(join(dir, 'kept.wav'), new Uint8Array(0));
      assert.deepEqual(store.names(), ['kept']);
      await rm(dir, { recursive: true });
      assert.deepEqual(store.names(), []);
      assert.equal(store.describe('kept'), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
