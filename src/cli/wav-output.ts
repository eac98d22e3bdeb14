import type { Writable } from 'node:stream';
import { WavFileWriter } from '../../client/node/wav-file-writer.js';
import { encodeWavHeader } from '../audio/wav-header.js';
import { UsageError } from './usage-error.js';

/** The `-o` value that means standard output. */
export const STDOUT_PATH = '-';

/** Where `say` writes the 16-bit PCM it receives, as a WAV. */
export interface WavOutput {
  append(pcm: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * A WAV written as chunks arrive: to a file, or for `-` to stdout. Stdout cannot seek back to fill in the
 * sizes, so its header says "unknown size", which players read to the end. Throws the file system's error
 * when the file cannot be created, and a UsageError when stdout is a terminal.
 */
export async function openWavOutput(path: string, sampleRateHz: number): Promise<WavOutput> {
  if (path !== STDOUT_PATH) return WavFileWriter.create(path, sampleRateHz, 's16le');
  if (process.stdout.isTTY) throw new UsageError(`-o ${STDOUT_PATH} writes a binary WAV to stdout, which is a terminal; redirect it or pipe it to a player`);
  const output = createStreamWav(process.stdout);
  await output.append(encodeWavHeader({ sampleRateHz, format: 's16le' }));
  return output;
}

function createStreamWav(stream: Writable): WavOutput {
  // A reader that goes away (`| head`) makes stdout emit EPIPE; without a listener that would crash the process.
  let failure: Error | undefined;
  stream.on('error', (err: Error) => (failure ??= err));
  return {
    append: (pcm) =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        // The callback fires once the bytes are handed to the OS, so a slow reader slows the download.
        stream.write(pcm, (err) => (err ? reject(err) : resolve()));
      }),
    close: () => (failure ? Promise.reject(failure) : Promise.resolve()),
  };
}
