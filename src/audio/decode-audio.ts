import { flacTotalSamples, inspectContainer, type AudioContainer } from './audio-container.js';
import { decodeWav, type DecodedWav } from './wav.js';

/** Decoded audio mixed down to mono: samples in [-1, 1] at `sampleRateHz`. */
export interface DecodedAudio {
  container: AudioContainer;
  sampleRateHz: number;
  samples: Float32Array;
}

/** Thrown by `decodeAudio` for bytes that are not (whole) audio; `message` says why. */
export class AudioDecodeError extends Error {
  override name = 'AudioDecodeError';
}

interface LibraryDecoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: Array<{ message: string }>;
}

interface LibraryDecoder {
  ready: Promise<void>;
  free(): void;
}

function mixToMono(channels: Float32Array[], length: number): Float32Array {
  if (channels.length === 1) return channels[0]!.subarray(0, length);
  const out = new Float32Array(length);
  for (const channel of channels) for (let i = 0; i < length; i++) out[i]! += channel[i]! / channels.length;
  return out;
}

// The wasm decoders are loaded on first use: a worker that never sees an upload never compiles them.
async function decodeWithLibrary(container: Exclude<AudioContainer, 'wav'>, bytes: Uint8Array): Promise<LibraryDecoded> {
  let decoder: LibraryDecoder;
  let run: () => Promise<LibraryDecoded>;
  switch (container) {
    case 'flac': {
      const { FLACDecoder } = await import('@wasm-audio-decoders/flac');
      const d = new FLACDecoder();
      [decoder, run] = [d, () => d.decodeFile(bytes)];
      break;
    }
    case 'ogg-vorbis': {
      const { OggVorbisDecoder } = await import('@wasm-audio-decoders/ogg-vorbis');
      const d = new OggVorbisDecoder();
      [decoder, run] = [d, () => d.decodeFile(bytes)];
      break;
    }
    case 'ogg-opus': {
      const { OggOpusDecoder } = await import('ogg-opus-decoder');
      const d = new OggOpusDecoder();
      [decoder, run] = [d, () => d.decodeFile(bytes)];
      break;
    }
    case 'mp3': {
      const { MPEGDecoder } = await import('mpg123-decoder');
      const d = new MPEGDecoder();
      [decoder, run] = [d, () => Promise.resolve(d.decode(bytes))];
      break;
    }
  }
  await decoder.ready;
  try {
    return await run();
  } finally {
    decoder.free();
  }
}

/**
 * Decodes a WAV, FLAC, Ogg (Vorbis or Opus) or MP3 file to mono samples at its own rate.
 * Throws AudioDecodeError when the bytes are not one of those, are cut short, or decode with errors.
 */
export async function decodeAudio(bytes: Uint8Array): Promise<DecodedAudio> {
  const verdict = inspectContainer(bytes);
  if (!verdict.ok) throw new AudioDecodeError(verdict.reason);
  const { container } = verdict;
  if (container === 'wav') {
    let wav: DecodedWav;
    try {
      wav = decodeWav(bytes);
    } catch (err) {
      throw new AudioDecodeError((err as Error).message);
    }
    if (wav.samples.length === 0) throw new AudioDecodeError('WAV: no audio in the file');
    return { container, sampleRateHz: wav.sampleRateHz, samples: wav.samples };
  }
  let decoded: LibraryDecoded;
  try {
    decoded = await decodeWithLibrary(container, bytes);
  } catch (err) {
    throw new AudioDecodeError(`${container}: ${(err as Error).message}`);
  }
  if (decoded.errors.length > 0) throw new AudioDecodeError(`${container}: ${decoded.errors[0]!.message}`);
  if (decoded.samplesDecoded === 0 || decoded.channelData.length === 0 || !(decoded.sampleRate > 0)) {
    throw new AudioDecodeError(`${container}: no audio in the file`);
  }
  if (container === 'flac') {
    const declared = flacTotalSamples(bytes);
    if (declared !== 0 && declared !== decoded.samplesDecoded) {
      throw new AudioDecodeError(`FLAC: the header declares ${declared} samples but ${decoded.samplesDecoded} decode (truncated?)`);
    }
  }
  return { container, sampleRateHz: decoded.sampleRate, samples: mixToMono(decoded.channelData, decoded.samplesDecoded) };
}
