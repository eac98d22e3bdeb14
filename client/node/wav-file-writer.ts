import { open, type FileHandle } from 'node:fs/promises';
import { encodeWavHeader } from '../../src/audio/wav-header.js';
import type { AudioFormat } from '../../src/protocol/messages.js';

/** Writes a WAV file as chunks arrive; the header's sizes are filled in on `close`. */
export class WavFileWriter {
  private dataBytes = 0;

  private constructor(
    private readonly file: FileHandle,
    private readonly sampleRateHz: number,
    private readonly format: AudioFormat,
  ) {}

  static async create(path: string, sampleRateHz: number, format: AudioFormat): Promise<WavFileWriter> {
    const file = await open(path, 'w');
    await file.write(encodeWavHeader({ sampleRateHz, format }));
    return new WavFileWriter(file, sampleRateHz, format);
  }

  async append(pcm: Uint8Array): Promise<void> {
    await this.file.write(pcm, 0, pcm.byteLength, 44 + this.dataBytes);
    this.dataBytes += pcm.byteLength;
  }

  async close(): Promise<void> {
    await this.file.write(encodeWavHeader({ sampleRateHz: this.sampleRateHz, format: this.format, dataBytes: this.dataBytes }), 0, 44, 0);
    await this.file.close();
  }
}
